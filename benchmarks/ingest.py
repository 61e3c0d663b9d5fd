"""Ingestion benchmark: HTTP batch endpoint vs COPY, single /track, CSV import.

Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/motive).
Creates and drops its own database `<name>_bench_ingest`, runs gunicorn with 2
workers and the repository's gunicorn.conf.py (GUNICORN_CMD_ARGS overrides it,
e.g. "-k sync --threads 1") on 127.0.0.1 only, and stops everything it
started, whatever happens. The clients are lean raw-socket processes (`Client`).
Bounded: every phase has a time limit. Sizes can be reduced with env vars
BENCH_EVENTS, BENCH_TRACK_REQUESTS, BENCH_CSV_ROWS.

  (a) BENCH_ROUNDS (3) rounds, each of BENCH_EVENTS events through POST
      /api/v1/ingest/batch, 100 per batch, CLIENTS concurrent clients → events/s,
      each round followed at once by as many rows COPied into a plain table of the
      same columns with only a unique message-id index → the round's ratio; the
      floor is the median of the rounds' ratios: API / that COPY >= 0.10
  (b) the same number of rows loaded by COPY into segments_event → rows/s, ratio
  (c) single-event POST /api/v1/ingest/track → requests/s and p99 latency
  (d) manage.py import_events of a BENCH_CSV_ROWS-row CSV → seconds and peak RSS
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _shared import cpu_seconds, database_urls, free_port, psql_admin, server_pids

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
EVENTS = int(os.environ.get("BENCH_EVENTS", "200000"))
BATCH = 100
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
USERS = 20_000
TRACK_REQUESTS = int(os.environ.get("BENCH_TRACK_REQUESTS", "5000"))
CSV_ROWS = int(os.environ.get("BENCH_CSV_ROWS", "1000000"))
# Paired rounds of (a) and its COPY baseline; the floor is the median ratio.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
PHASE_TIMEOUT = 600
# The import command in a process that reports its own peak memory and CPU.
MEASURED_IMPORT = (
    "import resource, sys, django; django.setup(); "
    "from django.core.management import call_command; "
    "call_command('import_events', sys.argv[1], workspace=int(sys.argv[2])); "
    "usage = resource.getrusage(resource.RUSAGE_SELF); "
    "print('cpu', usage.ru_utime + usage.ru_stime); "
    "print('maxrss_kb', usage.ru_maxrss)"
)
NAMES = ["Pricing Page Viewed", "Report Created", "Order Completed", "Teammate Invited"]


def make_batches(seed: int, count: int, prefix: str) -> list[bytes]:
    rng = random.Random(seed)
    base = datetime.now(UTC) - timedelta(days=30)
    bodies = []
    for b in range(count):
        items = []
        for i in range(BATCH):
            ts = base + timedelta(seconds=rng.randrange(30 * 86400))
            items.append(
                {
                    "type": "track",
                    "userId": f"u_{rng.randrange(USERS)}",
                    "event": rng.choice(NAMES),
                    "properties": {"amount": round(rng.random() * 100, 2), "plan": "pro"},
                    "timestamp": ts.isoformat(),
                    "messageId": f"{prefix}-{b}-{i}",
                }
            )
        bodies.append(json.dumps({"batch": items}).encode())
    return bodies


def request_bytes(port: int, key: str, path: str, body: bytes) -> bytes:
    """One complete HTTP/1.1 POST, built before the clock starts."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Client:
    """A lean HTTP/1.1 client: prepared requests out, status and body in.

    The load generator shares the two cores with the server it measures, so it
    should cost as little as it can: http.client spent ~0.7 ms of CPU per batch
    request (~9 % of what a request costs all processes), this ~0.1 ms. It keeps
    the connection while the server does (gthread) and reconnects when the
    server closes it after each response (sync workers).
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def _receive(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("the server closed the connection mid-response")
        self.buffer += chunk

    def post(self, request: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.split(":", 1) for line in lines[1:])
        headers = {name.strip().lower(): value.strip() for name, value in headers.items()}
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            self._receive()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


# The requests of each client, set before the client processes fork (they
# inherit them instead of receiving them pickled inside the timed window).
_SHARES: list[list[bytes]] = []


def client_run(share: int) -> list[float]:
    client = Client(_PORT)
    latencies = []
    try:
        for request in _SHARES[share]:
            start = time.perf_counter()
            status, payload = client.post(request)
            if status != 200:
                raise RuntimeError(f"{status}: {payload[:300]!r}")
            latencies.append(time.perf_counter() - start)
    finally:
        client.close()
    return latencies


_PORT = 0


class CpuMeter:
    """CPU seconds spent by the web server and by PostgreSQL between start() and stop()."""

    def __init__(self, server_pid: int, database: str) -> None:
        self.server_pid, self.database = server_pid, database

    def start(self) -> None:
        pids = server_pids(self.server_pid, self.database)
        self.before = {pid: cpu_seconds(pid) for group in pids.values() for pid in group}

    def stop(self) -> dict[str, float]:
        pids = server_pids(self.server_pid, self.database)
        return {
            group: sum(cpu_seconds(pid) - self.before.get(pid, 0.0) for pid in members)
            for group, members in pids.items()
        }

    def settle(self, limit: float = 30.0) -> None:
        """Wait until the server's processes are idle (a worker may still be booting)."""
        deadline = time.time() + limit
        quiet = 0
        while quiet < 2 and time.time() < deadline:
            self.start()
            time.sleep(0.25)
            quiet = quiet + 1 if sum(self.stop().values()) < 0.02 else 0


class BackendSampler:
    """CPU of the database's PostgreSQL backends while a block runs, sampled every 0.1 s.

    Backends that start during the block count whole. Of those that exit during it
    (an import's connections close with it), the last 0.1 s may be missed.
    """

    def __init__(self, database: str) -> None:
        self.database = database
        self.last: dict[int, float] = {}
        self.stop = threading.Event()

    def _sample(self) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid in server_pids(-1, self.database)["db"]}

    def __enter__(self) -> BackendSampler:
        self.before = self._sample()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.wait(0.1):
            self.last.update((pid, cpu) for pid, cpu in self._sample().items() if cpu)

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def cpu(self) -> float:
        return sum(cpu - self.before.get(pid, 0.0) for pid, cpu in self.last.items())


def run_clients(
    port: int, key: str, bodies: list[bytes], path: str
) -> tuple[float, list[float], float]:
    """Send `bodies` from CLIENTS processes at once; (seconds, sorted latencies, client CPU s)."""
    global _PORT
    requests = [request_bytes(port, key, path, body) for body in bodies]
    _PORT = port
    _SHARES[:] = [requests[i::CLIENTS] for i in range(CLIENTS)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with ProcessPoolExecutor(CLIENTS, mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(client_run, range(CLIENTS)))
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    _SHARES.clear()
    return elapsed, sorted(lat for part in results for lat in part), cpu


def cpu_line(cpu: dict[str, float], requests: int) -> str:
    return (
        f"    CPU per request: web {cpu['web'] / requests * 1000:.2f} ms, "
        f"PostgreSQL {cpu['db'] / requests * 1000:.2f} ms, "
        f"clients {cpu['clients'] / requests * 1000:.2f} ms"
    )


def copy_baseline(url: str, workspace: int, table: str = "segments_event") -> float:
    """COPY as many rows as phase (a) stored, into `table`, with fresh message ids.

    `segments_event` is the issue's (b); a bare copy of its columns, without
    indexes or constraints (`raw_copy_table`), is what raw COPY costs on this machine.
    """
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        people = [row[0] for row in conn.execute("SELECT id FROM segments_person LIMIT 20000")]
        rng = random.Random(7)
        now = datetime.now(UTC)
        rows = [
            (
                workspace,
                rng.choice(people),
                rng.choice(NAMES),
                json.dumps({"amount": round(rng.random() * 100, 2), "plan": "pro"}),
                now - timedelta(seconds=rng.randrange(30 * 86400)),
                f"copy-{i}",
                now,
            )
            for i in range(EVENTS)
        ]
        start = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy(
                f"COPY {table} (workspace_id, person_id, name, properties, timestamp, "
                "message_id, received_at) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - start


def checkpoint(url: str) -> None:
    """Flush what earlier phases wrote, so that their checkpoint is not billed to the next.

    Each phase writes up to ~2 GB of WAL; with max_wal_size = 1GB a checkpoint
    otherwise lands in whichever phase comes next, with a wave of full-page
    writes (the 1M-row import measured 28.7-29.2 s after a CHECKPOINT and
    34.6-49.1 s right after phase (c)).
    """
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def raw_copy_table(url: str) -> str:
    """A table with segments_event's columns and a unique message-id index, nothing else."""
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_events")
        conn.execute(
            "CREATE TABLE bench_raw_events "
            "(LIKE segments_event INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
        conn.execute("CREATE UNIQUE INDEX ON bench_raw_events (workspace_id, message_id)")
    return "bench_raw_events"


def write_csv(path: Path) -> None:
    rng = random.Random(3)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        out.write("user_id,event,timestamp,properties,message_id\n")
        for i in range(CSV_ROWS):
            ts = (base + timedelta(seconds=rng.randrange(300 * 86400))).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            amount = round(rng.random() * 100, 2)
            out.write(
                f'c_{rng.randrange(50_000)},{rng.choice(NAMES)},{ts},"{{""amount"": {amount}}}",'
                f"csv-{i}\n"
            )


def main() -> int:
    url, name = database_urls("bench_ingest", "benchmarks/ingest.py")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "benchmark-only-not-a-secret-0123456789abcdef0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        # Production's broker; the debounced segment refresh after ingestion publishes here.
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
    }
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
        port = free_port()
        # The repository's gunicorn.conf.py (worker class, heartbeat directory),
        # with the two workers.
        server = subprocess.Popen(
            [str(Path(PY).parent / "gunicorn"), "config.wsgi", "-w", "2",
             "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "60"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)

        # Warm both workers and create the people, then measure.
        run_clients(port, info["ingest_key"], make_batches(1, 40, "warm"), "/api/v1/ingest/batch")
        # Paired rounds: each round's API run is followed at once by its COPY baseline,
        # and the floor is the median of the rounds' ratios. On a shared VM the machine's
        # speed drifts between phases (one unpaired run measured 0.069, the next 0.092),
        # and a baseline measured minutes apart cancels less of it.
        ratios, api_rates, raw_rates, batch_cpu = [], [], [], {}
        all_latencies: list[float] = []
        meter = CpuMeter(server.pid, name)
        for round_no in range(ROUNDS):
            bodies = make_batches(2 + round_no, EVENTS // BATCH, f"a{round_no}")
            checkpoint(url)
            meter.settle()
            meter.start()
            elapsed, latencies, clients = run_clients(
                port, info["ingest_key"], bodies, "/api/v1/ingest/batch"
            )
            for group, seconds in {**meter.stop(), "clients": clients}.items():
                batch_cpu[group] = batch_cpu.get(group, 0.0) + seconds
            all_latencies += latencies
            checkpoint(url)
            raw_rate = EVENTS / copy_baseline(url, info["workspace"], raw_copy_table(url))
            api_rates.append(EVENTS / elapsed)
            raw_rates.append(raw_rate)
            ratios.append(api_rates[-1] / raw_rate)
            print(f"    round {round_no + 1}: batch API {api_rates[-1]:,.0f} events/s, COPY into "
                  f"a plain table with a unique message-id index {raw_rate:,.0f} rows/s, "
                  f"ratio {ratios[-1]:.3f}", flush=True)  # fmt: skip
        api_rate = statistics.median(api_rates)
        all_latencies.sort()
        p99 = all_latencies[int(len(all_latencies) * 0.99) - 1] * 1000
        print(f"(a) batch API: {ROUNDS} x {EVENTS} events, median {api_rate:,.0f} events/s "
              f"({CLIENTS} clients, {BATCH}/batch, 2 gunicorn workers "
              f"{os.environ.get('GUNICORN_CMD_ARGS') or '(gunicorn.conf.py)'}, "
              f"p99 {p99:.0f} ms/request)")  # fmt: skip
        print(cpu_line(batch_cpu, ROUNDS * EVENTS // BATCH))

        checkpoint(url)
        copy_seconds = copy_baseline(url, info["workspace"])
        copy_rate = EVENTS / copy_seconds
        print(f"(b) COPY into segments_event: {EVENTS} rows in {copy_seconds:.1f}s = "
              f"{copy_rate:,.0f} rows/s; API/COPY = {api_rate / copy_rate:.2f}")  # fmt: skip
        runs = ", ".join(f"{ratio:.3f}" for ratio in ratios)
        print(f"    COPY into a plain table with a unique message-id index: median "
              f"{statistics.median(raw_rates):,.0f} rows/s; API/that COPY = "
              f"{statistics.median(ratios):.3f}, the median of the rounds' ratios ({runs}) "
              "(floor >= 0.10)")  # fmt: skip

        singles = []
        rng = random.Random(5)
        for i in range(TRACK_REQUESTS):
            item = {"userId": f"u_{rng.randrange(USERS)}", "event": "Clicked",
                    "properties": {"x": i}, "messageId": f"t-{i}"}  # fmt: skip
            singles.append(json.dumps(item).encode())
        checkpoint(url)
        meter.settle()
        meter.start()
        elapsed, latencies, clients = run_clients(
            port, info["ingest_key"], singles, "/api/v1/ingest/track"
        )
        track_cpu = {**meter.stop(), "clients": clients}
        track_p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        print(f"(c) /ingest/track: {TRACK_REQUESTS} requests in {elapsed:.1f}s = "
              f"{TRACK_REQUESTS / elapsed:,.0f} requests/s, p99 {track_p99:.1f} ms")  # fmt: skip
        print(cpu_line(track_cpu, TRACK_REQUESTS))
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        server = None

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "events.csv"
            write_csv(path)
            checkpoint(url)
            backends = BackendSampler(name)
            start = time.perf_counter()
            with backends:
                done = subprocess.run(
                    [PY, "-c", MEASURED_IMPORT, str(path), str(info["workspace"])],
                    cwd=ROOT, env=env, check=True, timeout=PHASE_TIMEOUT, capture_output=True,
                    text=True,
                )  # fmt: skip
            seconds = time.perf_counter() - start
            lines = done.stdout.strip().splitlines()
            peak_mb = int(lines[-1].split()[-1]) / 1024
            own_cpu, db_cpu = float(lines[-2].split()[1]), backends.cpu()
            print(f"(d) import_events: {CSV_ROWS} rows in {seconds:.1f}s "
                  f"({CSV_ROWS / seconds:,.0f} rows/s), peak RSS {peak_mb:.0f} MB")  # fmt: skip
            print(f"    CPU: import process {own_cpu:.1f} s, PostgreSQL {db_cpu:.1f} s")
            print(f"    {lines[0]}")
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        psql_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
