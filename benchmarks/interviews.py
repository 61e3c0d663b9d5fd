"""Interview benchmark (issue 12): respondents answering through the API vs a trivial endpoint.

Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/motive) and Redis
(REDIS_URL, default redis://127.0.0.1:6379/4; the respondent rate limits count there).
Creates and drops its own database `<name>_bench_interviews`, runs gunicorn with 2 workers
and the repository's gunicorn.conf.py on 127.0.0.1 (BENCH_PORT, default a free port), with
the offline moderator (no OPENAI_API_KEY), and stops everything it started.

Setup: BENCH_RESPONDENTS (200) people, and 8 more who warm the server up, in a static
segment; a live six-question study aimed at it (two open questions with one follow-up
allowed, a scale, a single and a multiple choice, a yes/no), launched as a `link` study,
so every person has a token.

Measured, in order, with the server idle before each phase:

  (t1) the trivial endpoint: GET /api/v1/workspace/ (API key, one small JSON object),
       7 x BENCH_RESPONDENTS requests (as many as the respondents send answers) from as
       many concurrent clients as there are respondents;
  (o)  every respondent (one thread each, spread over CLIENT_PROCS processes) opens its
       interview (GET); CPU per open is printed;
  (i)  then, once all have opened and the server is idle, all of them at once answer step
       after step until the thank-you; half of them answer the open questions vaguely, so
       the offline moderator asks a follow-up;
  (t2) the trivial endpoint again (the machine drifts; the mean of t1 and t2 counts).

For each phase: turns/s, p50/p95 latency, and CPU per turn of the gunicorn processes (from
/proc) and of PostgreSQL's backends. A turn is one answer POST in (i), one request in (t).
Then every answer sent is looked up in the database: the run fails unless all are there,
with the value sent. Target: web CPU per answer turn <= 3x the trivial endpoint's.

A completing turn queues the trait write-back (`interviews.write_traits`) on the broker
(REDIS_URL); no worker runs, so that work is outside the figures, and the queued messages
(one per respondent) stay in that Redis database: point REDIS_URL at a scratch one.

The interview phase's per-IP rate limit is switched off (every simulated respondent comes
from 127.0.0.1); the per-token limit stays on.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _shared import cpu_seconds, database_urls, free_port, psql_admin, server_pids

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
RESPONDENTS = int(os.environ.get("BENCH_RESPONDENTS", "200"))
CLIENT_PROCS = int(os.environ.get("BENCH_CLIENT_PROCS", "4"))
PHASE_TIMEOUT = float(os.environ.get("BENCH_PHASE_TIMEOUT", "300"))
TARGET_RATIO = 3.0
# Respondents who warm the server up before the measured ones start.
WARM = 8

VAGUE = "idk, it was ok"
CONCRETE = (
    "We moved from Mixpanel because their price doubled when we passed 40 seats, "
    "and I had to show the board a churn chart every Monday."
)
FOLLOWUP_ANSWER = (
    "Last Tuesday I exported the churn report for the board and it took ten minutes, "
    "so I compared three tools."
)
QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "why",
        "type": "open_ended",
        "prompt": "What made you look for a new analytics tool?",
        "probe": {"max_followups": 1},
    },
    {
        "key": "nps",
        "type": "scale",
        "prompt": "How likely are you to recommend us to a colleague?",
        "min": 0,
        "max": 10,
        "min_label": "Not at all likely",
        "max_label": "Extremely likely",
    },
    {
        "key": "plan",
        "type": "single_choice",
        "prompt": "Which plan are you on?",
        "options": ["Free", "Pro", "Team"],
    },
    {
        "key": "features",
        "type": "multiple_choice",
        "prompt": "Which features do you use every week?",
        "options": ["Dashboards", "Funnels", "Cohorts", "Exports"],
    },
    {"key": "team", "type": "yes_no", "prompt": "Do you work in a team of five or more?"},
    {
        "key": "change",
        "type": "open_ended",
        "prompt": "If you could change one thing, what would it be?",
        "probe": {"max_followups": 1},
    },
]
BY_PROMPT = {q["prompt"]: q for q in QUESTIONS}


# --- database and server ------------------------------------------------------------


def setup_study(workspace_id: int) -> list[str]:
    """People in a static segment and a launched six-question study; the tokens."""
    import django

    django.setup()
    from django.db import connection, connections

    from segments.models import Segment
    from studies import services
    from studies.models import Invitation
    from workspaces.models import Workspace

    workspace = Workspace.objects.get(pk=workspace_id)
    segment = Segment.objects.create(
        workspace=workspace, name="Respondents", kind="static", definition={}
    )
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO segments_person (workspace_id, user_id, traits, trait_times, "
            "first_seen, last_seen) SELECT %s, 'r' || g, '{}'::jsonb, '{}'::jsonb, %s, %s "
            "FROM generate_series(1, %s) g",
            [workspace.pk, now, now, RESPONDENTS + WARM],
        )
        cursor.execute(
            "INSERT INTO segments_segmentmembership (segment_id, person_id, entered_at) "
            "SELECT %s, id, %s FROM segments_person WHERE workspace_id = %s",
            [segment.pk, now, workspace.pk],
        )
    study = services.study_create(
        workspace=workspace,
        title="Why teams switch",
        objective="Learn why teams switch analytics tools.",
        segments=[segment.pk],
        questions=QUESTIONS,
        quota_per_segment=RESPONDENTS + WARM,
        channel="link",
    )
    services.study_launch(study=study)
    tokens = list(Invitation.objects.filter(study=study).values_list("token", flat=True))
    connections.close_all()
    return tokens


def answers_in_database(tokens: list[str]) -> dict[tuple[str, int], Any]:
    """(token, step id) → stored value, for every answer of these interviews."""
    from django.db import connections

    from interviews.models import Answer

    rows = Answer.objects.filter(step__interview__invitation__token__in=tokens).values_list(
        "step__interview__invitation__token", "step_id", "value"
    )
    found = {(token, step): value for token, step, value in rows}
    connections.close_all()
    return found


# --- clients ------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection; JSON in, JSON out, latency recorded."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, float]:
        payload = None if body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        for attempt in range(2):
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=payload, headers=sent)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                # The server closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        elapsed = time.perf_counter() - started
        return response.status, json.loads(data) if data else None, elapsed


def value_for(step: dict[str, Any], vague: bool) -> Any:
    if step["kind"] == "followup":
        return FOLLOWUP_ANSWER
    question = BY_PROMPT[step["text"]]
    qtype = question["type"]
    if qtype == "open_ended":
        return VAGUE if vague else CONCRETE
    if qtype == "scale":
        return 4 if vague else 8
    if qtype == "single_choice":
        return "Pro"
    if qtype == "multiple_choice":
        return ["Dashboards", "Exports"]
    return True


def open_interview(port: int, token: str) -> tuple[Connection, dict[str, Any]]:
    conn = Connection(port)
    status, state, _ = conn.call("GET", f"/api/v1/interviews/{token}/")
    if status != 200:
        raise RuntimeError(f"opening {token[:6]}…: HTTP {status} {state}")
    return conn, state


def answer_all(
    conn: Connection, token: str, state: dict[str, Any], vague: bool, deadline: float
) -> dict[str, Any]:
    """Answer step after step until the thank-you; what was sent and how long turns took."""
    sent: list[tuple[str, int, Any]] = []
    latencies: list[float] = []
    followups = 0
    while state["step"]["kind"] != "done":
        if time.time() > deadline:
            raise RuntimeError("phase time limit reached")
        step = state["step"]
        value = value_for(step, vague)
        followups += step["kind"] == "followup"
        status, state, elapsed = conn.call(
            "POST", f"/api/v1/interviews/{token}/answer", {"step": step["id"], "value": value}
        )
        if status != 200:
            raise RuntimeError(f"answering step {step['id']}: HTTP {status} {state}")
        sent.append((token, step["id"], value))
        latencies.append(elapsed)
    conn.conn.close()
    return {"sent": sent, "latencies": latencies, "followups": followups}


def _threads(work: list[Any], target: Any) -> list[Any]:
    results: list[Any] = [None] * len(work)
    errors: list[BaseException] = []

    def run(index: int, item: Any) -> None:
        try:
            results[index] = target(item)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


# Set by the parent before it forks the clients: every respondent has opened its
# interview (1), the parent has started measuring (2).
_OPENED: Any = None
_GO: Any = None


def respondents_share(args: tuple[int, list[tuple[str, bool]], float]) -> list[dict[str, Any]]:
    """Open every interview of this share, wait for the start, then answer them all."""
    port, share, deadline = args
    opened = _threads(share, lambda item: open_interview(port, item[0]))
    if _OPENED is not None:
        _OPENED.wait(timeout=PHASE_TIMEOUT)
        _GO.wait(timeout=PHASE_TIMEOUT)
    work = [
        (token, vague, conn, state)
        for (token, vague), (conn, state) in zip(share, opened, strict=True)
    ]
    return _threads(work, lambda w: answer_all(w[2], w[0], w[3], w[1], deadline))


def trivial_share(args: tuple[int, str, int, int]) -> list[float]:
    """`clients` threads, each sending its part of `requests` GETs on one connection."""
    port, key, clients, requests = args
    per_client = [requests // clients + (i < requests % clients) for i in range(clients)]

    def run(count: int) -> list[float]:
        conn = Connection(port)
        latencies = []
        for _ in range(count):
            status, body, elapsed = conn.call(
                "GET", "/api/v1/workspace/", headers={"Authorization": f"Bearer {key}"}
            )
            if status != 200:
                raise RuntimeError(f"trivial endpoint: HTTP {status} {body}")
            latencies.append(elapsed)
        conn.conn.close()
        return latencies

    return [lat for part in _threads(per_client, run) for lat in part]


def in_processes(function: Any, jobs: list[Any]) -> tuple[list[Any], float, float]:
    """Run jobs in CLIENT_PROCS forked processes: (results, seconds, client CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(len(jobs), mp_context=context) as pool:
        futures = [pool.submit(function, job) for job in jobs]
        results = [future.result(timeout=PHASE_TIMEOUT + 30) for future in futures]
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return results, elapsed, cpu


# --- CPU from /proc -------------------------------------------------------------------


class CpuMeter:
    """CPU seconds of the web server and of PostgreSQL between start() and stop().

    Sampled every 0.1 s: Django closes a database connection older than CONN_MAX_AGE
    after a request, and a backend's CPU would be lost with it. Processes that start
    during the phase count whole; of those that end, the last 0.1 s may be missed.
    """

    def __init__(self, server_pid: int, database: str) -> None:
        self.server_pid, self.database = server_pid, database
        self.before: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def _sample(self) -> dict[int, tuple[str, float]]:
        pids = server_pids(self.server_pid, self.database)
        return {
            pid: (group, cpu_seconds(pid)) for group, members in pids.items() for pid in members
        }

    def start(self) -> None:
        sample = self._sample()
        self.before = {pid: cpu for pid, (_, cpu) in sample.items()}
        self.last = dict(sample)
        self.stopping.clear()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.wait(0.1):
            self.last.update((pid, v) for pid, v in self._sample().items() if v[1])

    def stop(self) -> dict[str, float]:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join()
        self.last.update((pid, v) for pid, v in self._sample().items() if v[1])
        totals = {"web": 0.0, "db": 0.0}
        for pid, (group, cpu) in self.last.items():
            totals[group] += cpu - self.before.get(pid, 0.0)
        return totals

    def settle(self, limit: float = 30.0) -> None:
        """Wait until the server's processes are idle."""
        deadline = time.time() + limit
        quiet = 0
        while quiet < 2 and time.time() < deadline:
            self.start()
            time.sleep(0.25)
            quiet = quiet + 1 if sum(self.stop().values()) < 0.02 else 0


# --- phases -----------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(name: str, turns: int, latencies: list[float], seconds: float, cpu: dict[str, float]):
    web = cpu["web"] / turns * 1000
    print(
        f"  {name}: {turns:,} turns in {seconds:.1f} s = {turns / seconds:,.0f} turns/s; "
        f"p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms\n"
        f"    CPU per turn: web {web:.2f} ms, PostgreSQL {cpu['db'] / turns * 1000:.2f} ms, "
        f"clients {cpu['clients'] / turns * 1000:.2f} ms",
        flush=True,
    )
    return web


def trivial_phase(port: int, key: str, requests: int, meter: CpuMeter) -> tuple[float, Any]:
    procs = range(CLIENT_PROCS)
    per_proc = [RESPONDENTS // CLIENT_PROCS + (i < RESPONDENTS % CLIENT_PROCS) for i in procs]
    shares = [requests // CLIENT_PROCS + (i < requests % CLIENT_PROCS) for i in procs]
    jobs = [(port, key, c, r) for c, r in zip(per_proc, shares, strict=True) if c]
    meter.settle()
    meter.start()
    results, seconds, clients = in_processes(trivial_share, jobs)
    cpu = {**meter.stop(), "clients": clients}
    latencies = [lat for part in results for lat in part]
    return seconds, (latencies, cpu)


def interview_phase(port: int, tokens: list[str], meter: CpuMeter) -> tuple[float, Any]:
    """(o) every respondent opens its interview, then (i) all answer at once; (i) is timed."""
    global _OPENED, _GO
    deadline = time.time() + PHASE_TIMEOUT
    people = [(token, n % 2 == 0) for n, token in enumerate(tokens)]
    jobs = [(port, people[i::CLIENT_PROCS], deadline) for i in range(CLIENT_PROCS)]
    context = multiprocessing.get_context("fork")
    _OPENED, _GO = context.Barrier(CLIENT_PROCS + 1), context.Barrier(CLIENT_PROCS + 1)
    outcome: dict[str, Any] = {}

    def clients() -> None:
        try:
            outcome["results"] = in_processes(respondents_share, jobs)
        except BaseException as error:
            outcome["error"] = error
            _OPENED.abort()
            _GO.abort()

    meter.settle()
    meter.start()
    runner = threading.Thread(target=clients)
    runner.start()
    _OPENED.wait(timeout=PHASE_TIMEOUT)
    opened = meter.stop()
    meter.settle()
    meter.start()
    started = time.perf_counter()
    _GO.wait(timeout=PHASE_TIMEOUT)
    runner.join()
    seconds = time.perf_counter() - started
    cpu = meter.stop()
    _OPENED = _GO = None
    if "error" in outcome:
        raise outcome["error"]
    results, _, client_cpu = outcome["results"]
    done = [r for part in results for r in part]
    print(
        f"  (o) {len(tokens)} respondents opened their interview: CPU per open: "
        f"web {opened['web'] / len(tokens) * 1000:.2f} ms, "
        f"PostgreSQL {opened['db'] / len(tokens) * 1000:.2f} ms",
        flush=True,
    )
    return seconds, (done, {**cpu, "clients": client_cpu})


def main() -> int:
    url, name = database_urls("bench_interviews", "benchmarks/interviews.py")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "benchmark-only-not-a-secret-0123456789abcdef0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4"),
        "OPENAI_API_KEY": "",
        "MOTIVE_INTERVIEW_RATE_PER_IP": "0",
    }
    os.environ.update(env)
    print(
        f"Interview benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}: "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{RESPONDENTS} respondents, {CLIENT_PROCS} client processes",
        flush=True,
    )
    psql_admin(url, f'DROP DATABASE IF EXISTS "{name}"')
    psql_admin(url, f'CREATE DATABASE "{name}"')
    server = None
    try:
        subprocess.run(
            [PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
        )
        created = subprocess.run(
            [PY, "manage.py", "createworkspace", "Bench", "--email", "bench@example.com",
             "--password", "bench-password-1"],
            cwd=ROOT, env=env, check=True, timeout=120, capture_output=True, text=True,
        )  # fmt: skip
        info = json.loads(created.stdout.strip().splitlines()[-1])
        tokens = setup_study(info["workspace"])
        port = int(os.environ.get("BENCH_PORT") or free_port())
        server = subprocess.Popen(
            [str(Path(PY).parent / "gunicorn"), "config.wsgi", "-w", "2",
             "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "60"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        wait_for(port, server)
        meter = CpuMeter(server.pid, name)

        # Warm both workers on both endpoints with respondents not measured.
        warm, measured = tokens[:WARM], tokens[WARM:]
        in_processes(respondents_share, [(port, [(t, True)], time.time() + 60) for t in warm])
        print(f"  commit {commit()}", flush=True)
        in_processes(trivial_share, [(port, info["api_key"], 4, 40)] * 2)

        # The trivial endpoint before and after the interviews, as many requests as
        # answers (six questions and, for half the respondents, one follow-up on each of
        # the two open questions): the machine drifts, so the two bracket the interviews.
        requests = RESPONDENTS * 7
        trivial = []
        seconds, (lat, cpu) = trivial_phase(port, info["api_key"], requests, meter)
        trivial.append(report("(t1) GET /api/v1/workspace/", requests, lat, seconds, cpu))

        seconds, (done, cpu) = interview_phase(port, measured, meter)
        latencies = [lat for r in done for lat in r["latencies"]]
        turns = len(latencies)
        followups = sum(r["followups"] for r in done)
        print(
            f"  (i) {len(done)} respondents in parallel, {turns} answer turns "
            f"({followups} to follow-ups from the offline moderator)"
        )
        answer_web = report("(i) answer turns", turns, latencies, seconds, cpu)

        seconds, (lat, cpu) = trivial_phase(port, info["api_key"], requests, meter)
        trivial.append(report("(t2) GET /api/v1/workspace/", requests, lat, seconds, cpu))

        sent = {(token, step): value for r in done for token, step, value in r["sent"]}
        stored = answers_in_database(measured)
        missing = [key for key in sent if key not in stored]
        wrong = [key for key, value in sent.items() if key in stored and stored[key] != value]
        print(
            f"  answers sent {len(sent)}, in the database {len(stored)}, missing {len(missing)}, "
            f"different {len(wrong)}"
        )
        ratio = answer_web / statistics.fmean(trivial)
        print(
            f"  web CPU per answer turn / per trivial request: {ratio:.2f} "
            f"(target <= {TARGET_RATIO:g})"
        )
        ok = not missing and not wrong and len(sent) == len(stored) and ratio <= TARGET_RATIO
        print("  RESULT:", "targets met" if ok else "TARGET MISSED", flush=True)
        return 0 if ok else 1
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)
        from django.db import connections

        connections.close_all()
        psql_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def commit() -> str:
    described = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    )
    return described.stdout.strip() or "unknown"


def wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
