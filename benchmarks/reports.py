"""Report analysis benchmark (issue 16): 2 segments x 2,000 vs 2 x 500 completed interviews.

Runs `reports.analysis.analyze` (the whole offline analysis: statistics of five
structured questions, themes from the open answers and one follow-up answer per
interview, distinctive language, subgroups, summary) over seeded synthetic
interviews with planted differences (`tests/reports/synthetic.py`), six
questions each. Each size runs in a child process of its own, so its peak RSS
is its own; the data is generated before the clock starts. Reported per size:
wall time of `analyze`, time per step (from its progress callback), peak
Python allocations (tracemalloc, numpy included) and the child's peak RSS.

Targets: under 60 s and 1 GB at 2 x 2,000, and at most 5x the time of 2 x 500
(the sizes differ 4x: no worse than linear, with room for noise). The ratio is
judged on CPU time (all threads of the child): on a shared machine the wall
time of a one-second run swings with the neighbours' load; both are printed.
Phase 1 (no database): `analyze` alone. Phase 2 (PostgreSQL, skipped with
BENCH_REPORT_DB=0): the whole generation minus the job bookkeeping,
`reports.generation.build_document`, which reads the completed interviews
(`reports.sources`, one streamed query) and analyses them; the interviews are
bulk-inserted once into the benchmark's own database `<name>_bench_reports`
(kept between runs; `--fresh` drops it) and are not timed.
Sizes: BENCH_REPORT_SIZES (default "500,2000", interviews per segment);
BENCH_REPEAT (default 5) runs of each, interleaved; medians are compared.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/motive")
DB_NAME = os.environ.get("BENCH_DB_NAME", "motive_bench_reports")

FOLLOWUPS = [
    "Mostly because the team needed one place for the numbers.",
    "It started when our old tool was shut down.",
    "I think the price was the main reason, to be honest.",
    "We tried to connect it to Salesforce first.",
    "My manager wanted weekly reports without spreadsheets.",
    "Nothing special, it just works for us.",
]


def with_followups(per_segment: int) -> list[Any]:
    from tests.reports import synthetic

    rng = random.Random(per_segment)
    return [
        dataclasses.replace(response, followups=(rng.choice(FOLLOWUPS),))
        for response in synthetic.responses(seed=per_segment, per_segment=per_segment)
    ]


def database_url() -> str:
    parts = urlsplit(BASE_URL)
    return urlunsplit(parts._replace(path="/" + DB_NAME))


def ensure_database(fresh: bool) -> None:
    import psycopg

    parts = urlsplit(BASE_URL)
    admin = urlunsplit(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        check=True,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url()},
        timeout=600,
    )


def seeded_report(per_segment: int) -> Any:
    """The benchmark's report of 2 x `per_segment` completed interviews (made once)."""
    from django.utils import timezone

    from interviews.models import Answer, Interview, InterviewStatus, Step, StepKind
    from people.models import Person
    from reports.models import Report, ReportSegment
    from segments.models import Segment
    from studies import services as study_services
    from studies.models import Invitation, InvitationStatus
    from tests.reports import synthetic
    from workspaces.models import Workspace

    name = f"bench-report-{per_segment}"
    existing = Report.objects.filter(workspace__name=name).first()
    if existing is not None:
        return existing
    workspace = Workspace.objects.create(name=name)
    segments = {
        key: Segment.objects.create(workspace=workspace, name=label, kind="static")
        for key, label in (("a", "Price watchers"), ("b", "Integrators"))
    }
    study = study_services.study_create(
        workspace=workspace,
        title="Why do they stall?",
        segments=[segments["a"].pk, segments["b"].pk],
        questions=[{**q, "prompt": f"Question {q['key']}"} for q in synthetic.QUESTIONS],
    )
    questions = list(study.questions.order_by("position"))
    rows = with_followups(per_segment)
    now = timezone.now()
    people = Person.objects.bulk_create(
        [Person(workspace=workspace, user_id=f"u{index}") for index in range(len(rows))]
    )
    invitations = Invitation.objects.bulk_create(
        [
            Invitation(
                workspace=workspace,
                study=study,
                person=person,
                segment=segments[row.segment],
                status=InvitationStatus.COMPLETED,
                expires_at=now,
            )
            for person, row in zip(people, rows, strict=True)
        ],
        batch_size=2000,
    )
    interviews = Interview.objects.bulk_create(
        [
            Interview(
                workspace=workspace,
                study=study,
                invitation=invitation,
                person=invitation.person,
                segment=invitation.segment,
                status=InterviewStatus.COMPLETED,
                completed_at=now,
            )
            for invitation in invitations
        ],
        batch_size=2000,
    )
    steps, values = [], []
    for interview, row in zip(interviews, rows, strict=True):
        position = 0
        for question in questions:
            steps.append(
                Step(interview=interview, position=position, kind=StepKind.QUESTION,
                     question=question, question_key=question.key, status="answered")
            )  # fmt: skip
            value = row.answers.get(question.key)
            values.append((value, "" if value is None else str(value)))
            position += 1
            if question.key == "why":
                steps.append(
                    Step(interview=interview, position=position, kind=StepKind.FOLLOWUP,
                         question=question, question_key=question.key, followup_index=1,
                         text="Could you say more?", status="answered")
                )  # fmt: skip
                values.append((row.followups[0], row.followups[0]))
                position += 1
    steps = Step.objects.bulk_create(steps, batch_size=5000)
    Answer.objects.bulk_create(
        [
            Answer(step=step, value=value, text=text)
            for step, (value, text) in zip(steps, values, strict=True)
        ],
        batch_size=5000,
    )
    report = Report.objects.create(workspace=workspace, study=study)
    for position, key in enumerate(("a", "b")):
        ReportSegment.objects.create(report=report, segment=segments[key], position=position)
    return report


def run_generation_one(per_segment: int) -> dict[str, Any]:
    import django

    os.environ["DATABASE_URL"] = database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DEBUG"] = "0"
    django.setup()
    from django.db import connection

    from reports.generation import build_document

    report = seeded_report(per_segment)
    connection.close()
    steps: list[tuple[str, float]] = []

    def progress(percent: int, step: str) -> None:
        steps.append((step, time.perf_counter()))

    tracemalloc.start()
    cpu_started = time.process_time()
    started = time.perf_counter()
    document = build_document(report, progress)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    marks = [("Reading interviews", started), *steps, ("end", started + elapsed)]
    return {
        "per_segment": per_segment,
        "seconds": round(elapsed, 3),
        "cpu_seconds": round(cpu, 3),
        "steps": {name: round(marks[i + 1][1] - at, 3) for i, (name, at) in enumerate(marks[:-1])},
        "tracemalloc_peak_mb": round(peak / 2**20, 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "completed": [segment["completed"] for segment in document["segments"]],
    }


def run_one(per_segment: int) -> dict[str, Any]:
    from reports.analysis import SegmentInfo, analyze
    from tests.reports import synthetic

    responses = with_followups(per_segment)
    segments = [
        SegmentInfo("a", "Price watchers", completed=per_segment),
        SegmentInfo("b", "Integrators", completed=per_segment),
    ]
    steps: list[tuple[str, float]] = []

    def progress(percent: int, step: str) -> None:
        steps.append((step, time.perf_counter()))

    tracemalloc.start()
    cpu_started = time.process_time()
    started = time.perf_counter()
    document = analyze(synthetic.QUESTIONS, segments, responses, progress=progress)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    marks = [*steps, ("end", started + elapsed)]
    step_seconds = {
        name: round(marks[index + 1][1] - at, 3) for index, (name, at) in enumerate(marks[:-1])
    }
    significant = sorted(
        question["key"]
        for question in document["questions"]
        if question["test"] and question["test"]["significant"]
    ) + sorted(theme["label"] for theme in document["themes"] if theme["test"]["significant"])
    return {
        "per_segment": per_segment,
        "seconds": round(elapsed, 3),
        "cpu_seconds": round(cpu, 3),
        "steps": step_seconds,
        "tracemalloc_peak_mb": round(peak / 2**20, 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "themes": len(document["themes"]),
        "significant": significant,
    }


def child(per_segment: int, mode: str = "--child") -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, mode, str(per_segment)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def phase(title: str, sizes: list[int], repeat: int, mode: str) -> bool:
    print(f"== {title}")
    results: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
    for _ in range(repeat):
        for size in sizes:
            result = child(size, mode)
            results[size].append(result)
            print(json.dumps(result))
    small, large = min(sizes), max(sizes)
    # Medians: the machine is shared, and single runs of a second swing by 2x.
    best = {
        size: statistics.median(run["seconds"] for run in runs) for size, runs in results.items()
    }
    cpu = {
        size: statistics.median(run["cpu_seconds"] for run in runs)
        for size, runs in results.items()
    }
    rss = max(run["max_rss_mb"] for run in results[large])
    ratio = best[large] / best[small] if best[small] else float("inf")
    print(
        f"CPU (median): 2 x {large}: {cpu[large]:.2f} s, 2 x {small}: {cpu[small]:.2f} s, "
        f"ratio {cpu[large] / cpu[small]:.2f}"
    )
    print(
        f"wall (median): 2 x {large}: {best[large]:.2f} s (target < 60 s), peak RSS {rss:.0f} MB "
        f"(target < 1024 MB); 2 x {small}: {best[small]:.2f} s; ratio {ratio:.2f} "
        f"(target <= 5 for {large / small:.0f}x the interviews)"
    )
    # Linearity is judged on CPU time: on a loaded machine the wall time of a one-second
    # run measures the neighbours (the load average is printed with the result).
    cpu_ratio = cpu[large] / cpu[small] if cpu[small] else float("inf")
    print(f"load average: {' '.join(f'{load:.1f}' for load in os.getloadavg())}")
    ok = best[large] < 60 and rss < 1024 and cpu_ratio <= 5
    print("targets met" if ok else "TARGETS MISSED")
    return ok


def main() -> None:
    sizes = [int(size) for size in os.environ.get("BENCH_REPORT_SIZES", "500,2000").split(",")]
    repeat = int(os.environ.get("BENCH_REPEAT", "5"))
    ok = phase("analysis only (plain data)", sizes, repeat, "--child")
    if os.environ.get("BENCH_REPORT_DB", "1") != "0":
        ensure_database("--fresh" in sys.argv)
        for size in sizes:  # seed outside the measured runs
            child(size, "--child-db")
        ok = (
            phase("generation from PostgreSQL (read + analyse)", sizes, repeat, "--child-db") and ok
        )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(run_one(int(sys.argv[2]))))
    elif len(sys.argv) == 3 and sys.argv[1] == "--child-db":
        print(json.dumps(run_generation_one(int(sys.argv[2]))))
    else:
        main()
