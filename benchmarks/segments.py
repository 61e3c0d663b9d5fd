"""Segment computation benchmark (issue 4) on PostgreSQL.

Generates (seeded, server-side with generate_series) PEOPLE people and EVENTS events
over 90 days in its own database `<name>_bench_segments`, then times, each as the
median of REPEAT runs:

  1. a three-condition rule segment compiled by Motive vs a hand-written SQL query
     for the same rule, in the same run (ratio; target <= 1.5);
  2. the preview of "3+ Pricing Page Viewed in 7 days" (target < 200 ms);
  3. a full compute of a 30-day two-condition segment, first time and recompute
     (target < 5 s);
  4. one RFM compute and one 4-cluster compute;
and the peak Python memory (tracemalloc) of each step at a tenth of the size and at
full size: it must not grow with the number of events.

Sizes: BENCH_PEOPLE (100000), BENCH_EVENTS (5000000), BENCH_REPEAT (5). The database
is kept between runs (generation is skipped when the data is already there); pass
--fresh to rebuild it.

`python benchmarks/segments.py fresh` runs only the fresh-data phase instead (issue 14):
a new database `<name>_bench_fresh`, FRESH_PEOPLE (25000) people, FRESH_PURCHASES (70000)
`Order Completed` over a year and as many other events, loaded in bulk and computed at
once (a rule, an RFM and a 4-cluster segment, each once) with no VACUUM or ANALYZE and
autovacuum off on the tables, as right after a CSV import into a new database.

`python benchmarks/segments.py preview` runs only the preview-versus-compute phase
(issue 15): PREVIEW_PEOPLE (100000) people and PREVIEW_EVENTS (2000000) events in
`<name>_bench_preview`, after VACUUM ANALYZE; for each of two rules (ISSUE_RULE and
"3+ Pricing Page Viewed in 7 days") the median preview, the median recompute of a
saved segment, and DuckDB answering the same count over the same rows, copied out of
PostgreSQL in the same run (the `bench` extra installs duckdb); then EXPLAIN ANALYZE
of the preview's statement. Target: preview <= compute, each at most 10x DuckDB.
A compute no longer records the share of revenue itself: it queues the follow-up task
(`segments.record_revenue_shares`) on commit, so the phase also times that task's read,
`metrics.revenue_shares`, for the same segment, as a row of its own.

Every compute publishes that follow-up to the broker; here the broker is kombu's
in-memory transport, so the publish is timed with the compute and no task outlives the
run (nor reaches a worker of another database).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PEOPLE = int(os.environ.get("BENCH_PEOPLE", "100000"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "5000000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
FRESH = "fresh" in sys.argv[1:]
PREVIEW_PHASE = "preview" in sys.argv[1:]
PREVIEW_PEOPLE = int(os.environ.get("BENCH_PREVIEW_PEOPLE", "100000"))
PREVIEW_EVENTS = int(os.environ.get("BENCH_PREVIEW_EVENTS", "2000000"))
FRESH_PEOPLE = int(os.environ.get("BENCH_FRESH_PEOPLE", "25000"))
FRESH_PURCHASES = int(os.environ.get("BENCH_FRESH_PURCHASES", "70000"))
AS_OF = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/motive")
parts = urlsplit(BASE_URL)
DB_NAME = parts.path.lstrip("/") + (
    "_bench_fresh" if FRESH else "_bench_preview" if PREVIEW_PHASE else "_bench_segments"
)
os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + DB_NAME))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "0"

THREE_CONDITIONS = {
    "all": [
        {"event": "Pricing Page Viewed", "value": {"gte": 3}, "within_days": 7},
        {"not": {"event": "Teammate Invited", "within_days": 30}},
        {"trait": "plan", "op": "eq", "value": "free"},
    ]
}
HAND_WRITTEN = """
SELECT p.id FROM segments_person p
JOIN (SELECT person_id FROM segments_event
      WHERE workspace_id = %(ws)s AND name = 'Pricing Page Viewed'
        AND timestamp >= %(as_of)s - interval '7 days' AND timestamp <= %(as_of)s
      GROUP BY person_id HAVING COUNT(*) >= 3) v ON v.person_id = p.id
WHERE p.workspace_id = %(ws)s AND p.traits -> 'plan' = '"free"'::jsonb
  AND NOT EXISTS (SELECT 1 FROM segments_event t
                  WHERE t.workspace_id = %(ws)s AND t.person_id = p.id
                    AND t.name = 'Teammate Invited'
                    AND t.timestamp >= %(as_of)s - interval '30 days'
                    AND t.timestamp <= %(as_of)s)
"""
PREVIEW = {"event": "Pricing Page Viewed", "value": {"gte": 3}, "within_days": 7}
THIRTY_DAY_TWO_CONDITIONS = {
    "all": [
        {"event": "Logged In", "value": {"gte": 5}, "within_days": 30},
        {"event": "Report Exported", "within_days": 30},
    ]
}
# Issue 15's rule: 5+ Logged In in 30 days, no Teammate Invited in 30 days, and Order
# Completed amounts summing to 100+ in 90 days.
ISSUE_RULE = {
    "all": [
        {"event": "Logged In", "value": {"gte": 5}, "within_days": 30},
        {"not": {"event": "Teammate Invited", "within_days": 30}},
        {
            "event": "Order Completed",
            "agg": "sum",
            "property": "amount",
            "value": {"gte": 100},
            "within_days": 90,
        },
    ]
}
# The same questions for DuckDB, over events(person_id, name, ts, amount) and people(id).
DUCKDB_QUERIES = {
    "issue": """
WITH logged AS (SELECT person_id FROM events WHERE name = 'Logged In'
                  AND ts >= $as_of - INTERVAL 30 DAY AND ts <= $as_of
                GROUP BY person_id HAVING count(*) >= 5),
     invited AS (SELECT DISTINCT person_id FROM events WHERE name = 'Teammate Invited'
                   AND ts >= $as_of - INTERVAL 30 DAY AND ts <= $as_of),
     spent AS (SELECT person_id FROM events WHERE name = 'Order Completed'
                 AND ts >= $as_of - INTERVAL 90 DAY AND ts <= $as_of
               GROUP BY person_id HAVING coalesce(sum(amount), 0) >= 100)
SELECT count(*) FROM people p
WHERE p.id IN (SELECT person_id FROM logged) AND p.id IN (SELECT person_id FROM spent)
  AND p.id NOT IN (SELECT person_id FROM invited)
""",
    "pricing": """
SELECT count(*) FROM (SELECT person_id FROM events WHERE name = 'Pricing Page Viewed'
                        AND ts >= $as_of - INTERVAL 7 DAY AND ts <= $as_of
                      GROUP BY person_id HAVING count(*) >= 3) q
""",
}
RFM = {"event": "Order Completed", "monetary_property": "amount", "window_days": 365}
CLUSTER = {
    "features": [
        {"event": "Logged In", "within_days": 30},
        {"event": "Report Exported", "within_days": 30},
        {"event": "Order Completed", "agg": "sum", "property": "amount", "within_days": 90},
        {"event": "Feature Used", "agg": "distinct_days", "within_days": 30},
    ],
    "k": 4,
    "seed": 0,
}

# Event mix: (name, cumulative share). Heavier users are drawn more often (power(random, 2)).
GENERATE_EVENTS = """
SELECT setseed(0.42);
INSERT INTO segments_event (workspace_id, person_id, name, properties, timestamp, message_id,
                            received_at)
SELECT %(ws)s,
       %(first)s + floor(power(random(), 2) * %(people)s)::bigint,
       n.name,
       CASE n.name
         WHEN 'Order Completed'
           THEN jsonb_build_object('amount', round((random() * 200)::numeric, 2))
         WHEN 'Feature Used'
           THEN jsonb_build_object('feature',
                (ARRAY['export','share','api','alerts'])[1 + floor(random() * 4)::int])
         ELSE '{}'::jsonb END,
       %(as_of)s - random() * interval '90 days',
       %(prefix)s || g,
       %(as_of)s
FROM generate_series(%(start)s, %(stop)s) g
CROSS JOIN LATERAL (SELECT random() + 0 * g AS r) r  -- correlated: one draw per row
CROSS JOIN LATERAL (SELECT CASE
    WHEN r.r < 0.35 THEN 'Logged In' WHEN r.r < 0.60 THEN 'Page Viewed'
    WHEN r.r < 0.68 THEN 'Pricing Page Viewed' WHEN r.r < 0.78 THEN 'Report Exported'
    WHEN r.r < 0.83 THEN 'Dashboard Created' WHEN r.r < 0.85 THEN 'Teammate Invited'
    WHEN r.r < 0.88 THEN 'Order Completed' ELSE 'Feature Used' END AS name) n
"""


def ensure_database(fresh: bool) -> None:
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


# The fresh-data run: purchases over a year by three in four people (heavier buyers more
# often), logins, exports and feature use by everyone, all drawn server-side.
FRESH_PEOPLE_SQL = """
INSERT INTO segments_person (workspace_id, user_id, traits, trait_times, first_seen, last_seen)
SELECT %(ws)s, 'u' || g, jsonb_build_object('plan', (ARRAY['free','pro','team'])[1 + (g %% 3)]),
       '{}'::jsonb, %(as_of)s, %(as_of)s
FROM generate_series(1, %(people)s) g
"""
FRESH_EVENTS_SQL = """
SELECT setseed(0.14);
INSERT INTO segments_event (workspace_id, person_id, name, properties, timestamp, message_id,
                            received_at)
SELECT %(ws)s, %(first)s + floor(power(random(), 2) * %(people)s * 0.75)::bigint,
       'Order Completed', jsonb_build_object('amount', round((random() * 200)::numeric, 2)),
       %(as_of)s - random() * interval '360 days', 'o' || g, %(as_of)s
FROM generate_series(1, %(purchases)s) g;
INSERT INTO segments_event (workspace_id, person_id, name, properties, timestamp, message_id,
                            received_at)
SELECT %(ws)s, %(first)s + floor(random() * %(people)s)::bigint,
       (ARRAY['Logged In', 'Logged In', 'Report Exported', 'Feature Used'])
         [1 + floor(random() * 4)::int],
       '{}'::jsonb, %(as_of)s - random() * interval '90 days', 'x' || g, %(as_of)s
FROM generate_series(1, %(purchases)s) g;
"""
FRESH_RULE = {
    "all": [
        {"event": "Order Completed", "value": {"gte": 3}, "within_days": 365},
        {"event": "Logged In", "within_days": 30},
        {"trait": "plan", "op": "eq", "value": "pro"},
    ]
}


def generate(name: str, people: int, events: int) -> Any:
    """A workspace with `people` people and `events` events, built in the database."""
    from django.db import connection

    from people.models import Event, Person
    from workspaces.models import Workspace

    workspace = Workspace.objects.filter(name=name).first()
    if workspace and Event.objects.filter(workspace=workspace).count() == events:
        return workspace
    Workspace.objects.filter(name=name).delete()
    workspace = Workspace.objects.create(name=name, revenue_event="Order Completed")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO segments_person (workspace_id, user_id, traits, trait_times, "
            "first_seen, last_seen) SELECT %s, 'u' || g, jsonb_build_object('plan', "
            "(ARRAY['free','pro','team'])[1 + (g %% 3)], 'seats', g %% 50), '{}'::jsonb, %s, %s "
            "FROM generate_series(1, %s) g",
            [workspace.pk, AS_OF, AS_OF, people],
        )
        first = (
            Person.objects.filter(workspace=workspace)
            .order_by("id")
            .values_list("id", flat=True)[0]
        )
        step = 1_000_000
        for start in range(1, events + 1, step):
            cursor.execute(
                GENERATE_EVENTS,
                {
                    "ws": workspace.pk,
                    "first": first,
                    "people": people,
                    "as_of": AS_OF,
                    "prefix": f"{name}-",
                    "start": start,
                    "stop": min(start + step - 1, events),
                },
            )
    # What autovacuum does to a table that has settled: statistics and the visibility
    # map, which lets rule queries use index-only scans.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE segments_event")
        cursor.execute("VACUUM ANALYZE segments_person")
    print(
        f"  generated {people:,} people and {events:,} events in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return workspace


def timed(fn: Callable[[], Any], repeat: int = REPEAT) -> tuple[float, Any, float]:
    """Median seconds of `repeat` untraced runs, the last result, and the peak Python
    memory (MB) of one more run under tracemalloc (tracing slows numpy, so it is timed apart)."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), result, peak / 1e6


def run(workspace: Any) -> dict[str, Any]:
    from django.db import connection

    from segments import services
    from segments.models import Segment
    from segments.rules import compile_rule, preview

    def count(sql: str, params: Any) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) q", params)
            return cursor.fetchone()[0]

    compiled = compile_rule(THREE_CONDITIONS, workspace=workspace, as_of=AS_OF)
    results: dict[str, Any] = {}
    count(compiled.sql, compiled.params)  # warm the cache for both
    results["rule_motive"] = timed(lambda: count(compiled.sql, compiled.params))
    hand_params = {"ws": workspace.pk, "as_of": AS_OF}
    results["rule_hand"] = timed(lambda: count(HAND_WRITTEN, hand_params))
    assert results["rule_motive"][1] == results["rule_hand"][1], "engine and hand SQL disagree"
    results["preview"] = timed(lambda: preview(PREVIEW, workspace=workspace, as_of=AS_OF))

    Segment.objects.filter(workspace=workspace).delete()
    two = Segment.objects.create(
        workspace=workspace,
        name="Active exporters",
        kind="rule",
        definition=THIRTY_DAY_TWO_CONDITIONS,
    )
    # The first compute enters everyone; the traced extra run is then a recompute. Each
    # compute publishes its share-of-revenue follow-up task; the task itself is not timed.
    results["compute_first"] = timed(lambda: services.segment_compute(segment=two, as_of=AS_OF), 1)
    results["compute_again"] = timed(lambda: services.segment_compute(segment=two, as_of=AS_OF))
    rfm = Segment.objects.create(workspace=workspace, name="RFM", kind="rfm", definition=RFM)
    results["rfm"] = timed(lambda: services.segment_compute(segment=rfm, as_of=AS_OF), 3)
    cluster = Segment.objects.create(
        workspace=workspace, name="Usage", kind="cluster", definition=CLUSTER
    )
    results["cluster"] = timed(lambda: services.segment_compute(segment=cluster, as_of=AS_OF), 1)
    return results


def fresh_run() -> list[str]:
    """Load the fresh-data set in bulk and compute once per kind, analyzing nothing first."""
    from django.db import connection

    from people.models import Person
    from segments import services
    from segments.models import Segment
    from workspaces.models import Workspace

    with connection.cursor() as cursor:
        for table in ("segments_person", "segments_event", "segments_segmentmembership"):
            cursor.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    workspace = Workspace.objects.create(name="bench-fresh", revenue_event="Order Completed")
    started = time.perf_counter()
    params = {"ws": workspace.pk, "as_of": AS_OF, "people": FRESH_PEOPLE}
    with connection.cursor() as cursor:
        cursor.execute(FRESH_PEOPLE_SQL, params)
        first = Person.objects.filter(workspace=workspace).order_by("id").values_list("id")[0][0]
        cursor.execute(FRESH_EVENTS_SQL, {**params, "first": first, "purchases": FRESH_PURCHASES})
    loaded = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, last_analyze, last_autoanalyze FROM pg_stat_user_tables "
            "WHERE relname IN ('segments_person', 'segments_event') ORDER BY relname"
        )
        analyzed = cursor.fetchall()
    lines = [
        f"#### fresh: {FRESH_PEOPLE:,} people, {FRESH_PURCHASES:,} purchases and "
        f"{FRESH_PURCHASES:,} other events, loaded in {loaded:.1f} s, no ANALYZE",
        "",
        f"last (auto)analyze before computing: {analyzed}",
        "",
        "| compute (first, on fresh data) | wall time | size |",
        "|---|---:|---:|",
    ]
    for kind, definition in (("rule", FRESH_RULE), ("rfm", RFM), ("cluster", CLUSTER)):
        segment = Segment.objects.create(
            workspace=workspace, name=kind, kind=kind, definition=definition
        )
        started = time.perf_counter()
        diff = services.segment_compute(segment=segment, as_of=AS_OF)
        seconds = time.perf_counter() - started
        lines.append(f"| {kind} | {seconds * 1000:,.0f} ms | {diff.size:,} |")
        print(lines[-1], flush=True)
    return lines


def duckdb_tables(workspace: Any) -> Any:
    """The workspace's people and events copied out of PostgreSQL into an in-memory DuckDB."""
    import tempfile

    import duckdb
    from django.db import connection

    folder = Path(tempfile.mkdtemp(prefix="bench-duckdb-"))
    exports = {
        "people": f"SELECT id FROM segments_person WHERE workspace_id = {workspace.pk}",
        "events": "SELECT person_id, name, timestamp AS ts, "
        "CASE WHEN jsonb_typeof(properties -> 'amount') = 'number' "
        "THEN (properties ->> 'amount')::float8 END AS amount "
        f"FROM segments_event WHERE workspace_id = {workspace.pk}",
    }
    connection.ensure_connection()
    raw = connection.connection
    for table, query in exports.items():
        copy_out = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)"
        with (
            raw.cursor() as cursor,
            open(folder / f"{table}.csv", "wb") as out,
            cursor.copy(copy_out) as copy,
        ):
            for block in copy:
                out.write(block)
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    for table in exports:
        db.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv_auto('{folder}/{table}.csv')")
    return db


def preview_phase() -> list[str]:
    """Preview and compute of two rules against DuckDB over the same rows, and the plan."""
    from django.db import connection

    from segments import metrics, services
    from segments.models import Segment
    from segments.rules import compile_rule, preview
    from segments.rules.evaluation import preview_statement

    workspace = generate("bench-preview", PREVIEW_PEOPLE, PREVIEW_EVENTS)
    started = time.perf_counter()
    duck = duckdb_tables(workspace)
    copied = time.perf_counter() - started
    lines = [
        f"#### preview vs compute: {PREVIEW_PEOPLE:,} people, {PREVIEW_EVENTS:,} events "
        f"(after VACUUM ANALYZE; DuckDB copy {copied:.1f} s, not timed below)",
        "",
        "| rule | preview | compute (recompute) | DuckDB | size | preview/compute "
        "| compute/DuckDB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    plans = []
    for key, definition in (("issue", ISSUE_RULE), ("pricing", PREVIEW)):
        segment = Segment.objects.create(
            workspace=workspace, name=key, kind="rule", definition=definition
        )
        services.segment_compute(segment=segment, as_of=AS_OF)  # enter everyone first
        shown = timed(lambda d=definition: preview(d, workspace=workspace, as_of=AS_OF))
        # The compute: membership diff and commit, share of people, stability, snapshot, and
        # the publish of its share-of-revenue follow-up task (timed on its own below).
        computed = timed(lambda s=segment: services.segment_compute(segment=s, as_of=AS_OF))
        query = DUCKDB_QUERIES[key]
        ducked = timed(lambda q=query: duck.execute(q, {"as_of": AS_OF}).fetchone()[0])
        size = shown[1]["size"]
        assert size == ducked[1] == computed[1].size, (key, size, ducked[1], computed[1].size)
        lines.append(
            f"| {key} | {shown[0] * 1000:,.0f} ms | {computed[0] * 1000:,.0f} ms "
            f"| {ducked[0] * 1000:,.0f} ms | {size:,} | {shown[0] / computed[0]:.2f} "
            f"| {computed[0] / ducked[0]:.1f} |"
        )
        print(lines[-1], flush=True)
        # The follow-up task's read for this segment (after the compute, off its path).
        shared = timed(lambda s=segment: metrics.revenue_shares(workspace, [s.pk], now=AS_OF)[s.pk])
        share = "no revenue" if shared[1] is None else f"share {shared[1]:.3f}"
        lines.append(
            f"| {key}, share of revenue (follow-up task, after the compute) "
            f"| {shared[0] * 1000:,.0f} ms | {share} |"
        )
        print(lines[-1], flush=True)
        compiled = compile_rule(definition, workspace=workspace, as_of=AS_OF)
        old = [
            ("count (before)", f"SELECT COUNT(*) FROM ({compiled.sql}) rule_ids", compiled.params),
            ("sample (before)", OLD_SAMPLE.format(rule=compiled.sql), (*compiled.params, 20)),
        ]
        statement, params = preview_statement(compiled, 20)

        def run_old(statements: list[tuple[str, str, Any]] = old) -> None:
            with connection.cursor() as cursor:
                for _label, text, values in statements:
                    cursor.execute(text, values)
                    cursor.fetchall()

        before = timed(run_old)
        lines.append(f"| {key}, preview before (count, then sample) | {before[0] * 1000:,.0f} ms |")
        print(lines[-1], flush=True)
        with connection.cursor() as cursor:
            for label, text, values in [*old, ("preview (one statement)", statement, params)]:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS OFF) {text}", values)
                plans += ["", f"{key}: {label}", *(row[0] for row in cursor.fetchall())]
    return [*lines, "", "```", *plans, "```"]


# The preview's sample as it was asked before issue 15 (for the before/after timing).
OLD_SAMPLE = (
    "SELECT sp.user_id FROM segments_person sp WHERE sp.id IN ({rule})"
    " AND sp.user_id IS NOT NULL ORDER BY sp.id LIMIT %s"
)


def report(scale: str, people: int, events: int, r: dict[str, Any]) -> list[str]:
    ratio = r["rule_motive"][0] / r["rule_hand"][0]
    rows = [
        (
            "3-condition rule, Motive's compiled SQL",
            r["rule_motive"],
            f"{r['rule_motive'][1]:,} people",
        ),
        (
            "3-condition rule, hand-written SQL",
            r["rule_hand"],
            f"ratio {ratio:.2f}x (target <= 1.5)",
        ),
        (
            "preview, 3+ in 7 days",
            r["preview"],
            f"size {r['preview'][1]['size']:,} (target < 200 ms)",
        ),
        (
            "30-day two-condition compute, first",
            r["compute_first"],
            f"{r['compute_first'][1].size:,} members (target < 5 s)",
        ),
        ("30-day two-condition recompute", r["compute_again"], "no changes"),
        ("RFM compute (365 days)", r["rfm"], f"{r['rfm'][1].size:,} purchasers"),
        ("4-cluster compute", r["cluster"], f"{r['cluster'][1].size:,} people clustered"),
    ]
    lines = [
        f"#### {scale}: {people:,} people, {events:,} events",
        "",
        "| step | median | peak Python memory | note |",
        "|---|---:|---:|---|",
    ]
    for label, (seconds, _, peak), note in rows:
        lines.append(f"| {label} | {seconds * 1000:,.0f} ms | {peak:.1f} MB | {note} |")
    return lines


def main() -> int:
    ensure_database("--fresh" in sys.argv or FRESH)
    import django

    django.setup()
    from django.core.management import call_command

    from config.celery import app

    # Computes publish their share-of-revenue follow-up task: to memory, not a real broker.
    app.conf.broker_url = "memory://localhost/"

    call_command("migrate", verbosity=0)
    if PREVIEW_PHASE:
        out = [
            f"### Segment previews — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
            f"{platform.node() or 'this machine'}, {os.cpu_count()} cores",
            "",
            *preview_phase(),
        ]
        print("\n".join(out))
        return 0
    if FRESH:
        out = [
            f"### Segments on fresh data — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
            f"{platform.node() or 'this machine'}, {os.cpu_count()} cores",
            "",
            *fresh_run(),
        ]
        from django.db import connections

        connections.close_all()
        print("\n".join(out))
        return 0
    out = [
        f"### Segments — {datetime.now(UTC):%Y-%m-%d}, {platform.node() or 'this machine'}",
        "",
        f"{os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL "
        "(local, default settings). Medians of "
        f"{REPEAT} runs (first compute and cluster: 1 run); memory from one extra traced run.",
        "",
    ]
    for scale, people, events in (("tenth", PEOPLE // 10, EVENTS // 10), ("full", PEOPLE, EVENTS)):
        print(f"== {scale} scale", flush=True)
        workspace = generate(f"bench-{scale}", people, events)
        lines = report(scale, people, events, run(workspace))
        print("\n".join(lines), flush=True)
        out += [*lines, ""]
    from django.db import connections

    connections.close_all()
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
