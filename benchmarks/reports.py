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
No database and no network needed. Sizes: BENCH_REPORT_SIZES (default "500,2000",
interviews per segment); BENCH_REPEAT (default 5) runs of each,
interleaved; medians are compared.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FOLLOWUPS = [
    "Mostly because the team needed one place for the numbers.",
    "It started when our old tool was shut down.",
    "I think the price was the main reason, to be honest.",
    "We tried to connect it to Salesforce first.",
    "My manager wanted weekly reports without spreadsheets.",
    "Nothing special, it just works for us.",
]


def run_one(per_segment: int) -> dict[str, Any]:
    from reports.analysis import SegmentInfo, analyze
    from tests.reports import synthetic

    rng = random.Random(per_segment)
    responses = [
        dataclasses.replace(response, followups=(rng.choice(FOLLOWUPS),))
        for response in synthetic.responses(seed=per_segment, per_segment=per_segment)
    ]
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


def child(per_segment: int) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", str(per_segment)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    sizes = [int(size) for size in os.environ.get("BENCH_REPORT_SIZES", "500,2000").split(",")]
    repeat = int(os.environ.get("BENCH_REPEAT", "5"))
    results: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
    for _ in range(repeat):
        for size in sizes:
            result = child(size)
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


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(run_one(int(sys.argv[2]))))
    else:
        main()
