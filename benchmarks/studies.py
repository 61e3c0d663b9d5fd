"""Study launch benchmark (issue 11) on PostgreSQL.

Builds (server-side, with generate_series) a workspace of MEMBERS people who are all
current members of one static segment, in its own database `<name>_bench_h6`, and a
study aimed at that segment with a quota of MEMBERS. Then times, alternating in the
same run, REPEAT times each (median):

  1. `studies.services.study_launch`: lock, checks, the classifying count query and the
     one `INSERT … SELECT` with attribution, opt-outs, recontact, sampling order and
     quota, the status change, the commit;
  2. a bare `INSERT … SELECT` of the same rows (members of the segment, with the same
     random token expression) into a table of the same shape: `LIKE studies_invitation
     INCLUDING ALL` (columns, defaults, indexes, unique constraints) plus the same
     foreign keys, committed;
  3. for information, the bare insert into a copy without the foreign keys.

Target: launch <= 3x the bare insert. Between runs both tables are truncated and the
study is set back to draft. Sizes: BENCH_MEMBERS (100000), BENCH_REPEAT (5).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "100000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/motive")
parts = urlsplit(BASE_URL)
DB_NAME = os.environ.get("BENCH_DB_NAME", "motive_bench_h6")
os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + DB_NAME))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "0"

BARE = "bench_bare_invitation"
BARE_NO_FK = "bench_bare_invitation_nofk"
FOREIGN_KEYS = [
    ("workspace_id", "workspaces_workspace"),
    ("study_id", "studies_study"),
    ("person_id", "segments_person"),
    ("segment_id", "segments_segment"),
]


def ensure_database(fresh: bool) -> None:
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def generate(members: int) -> Any:
    """A workspace whose `members` people are all current members of one segment."""
    from django.db import connection

    from segments.models import Segment, SegmentMembership
    from studies.models import Study
    from workspaces.models import Workspace

    name = f"bench-launch-{members}"
    workspace = Workspace.objects.filter(name=name).first()
    if workspace is not None:
        segment = Segment.objects.get(workspace=workspace)
        if SegmentMembership.objects.filter(segment=segment).count() == members:
            return workspace, segment
        Workspace.objects.filter(pk=workspace.pk).delete()
    started = time.perf_counter()
    workspace = Workspace.objects.create(name=name)
    segment = Segment.objects.create(
        workspace=workspace, name="Everyone", kind="static", definition={}
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO segments_person (workspace_id, user_id, traits, trait_times, "
            "first_seen, last_seen) SELECT %s, 'u' || g, '{}'::jsonb, '{}'::jsonb, %s, %s "
            "FROM generate_series(1, %s) g",
            [workspace.pk, NOW, NOW, members],
        )
        cursor.execute(
            "INSERT INTO segments_segmentmembership (segment_id, person_id, entered_at) "
            "SELECT %s, id, %s FROM segments_person WHERE workspace_id = %s",
            [segment.pk, NOW, workspace.pk],
        )
        cursor.execute("VACUUM ANALYZE segments_person")
        cursor.execute("VACUUM ANALYZE segments_segmentmembership")
    Study.objects.filter(workspace=workspace).delete()
    print(f"  generated {members:,} members in {time.perf_counter() - started:.1f} s", flush=True)
    return workspace, segment


def make_bare_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (BARE, BARE_NO_FK):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TABLE {table} (LIKE studies_invitation INCLUDING ALL)")
        for column, target in FOREIGN_KEYS:
            cursor.execute(
                f"ALTER TABLE {BARE} ADD FOREIGN KEY ({column}) REFERENCES {target} (id) "
                "DEFERRABLE INITIALLY DEFERRED"
            )


def bare_insert(table: str, workspace_id: int, study_id: int, segment_id: int) -> int:
    from django.db import connection, transaction

    from studies.targeting import token_sql

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (workspace_id, study_id, person_id, segment_id, token, "
            "status, source, created_at, expires_at) "
            f"SELECT %s, %s, m.person_id, m.segment_id, {token_sql()}, 'pending', 'launch', %s, %s "
            "FROM segments_segmentmembership m WHERE m.segment_id = %s AND m.exited_at IS NULL",
            [workspace_id, study_id, NOW, NOW, segment_id],
        )
        return int(cursor.rowcount)


def reset(study: Any) -> None:
    from django.db import connection

    from studies.models import Study

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE studies_invitation, {BARE}, {BARE_NO_FK}")
    Study.objects.filter(pk=study.pk).update(status="draft", launched_at=None)
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def run(workspace: Any, segment: Any, members: int) -> dict[str, list[float]]:
    from studies import services

    study = services.study_create(
        workspace=workspace,
        title="Why do they stay?",
        segments=[segment.pk],
        quota_per_segment=members,
        questions=[{"key": "why", "type": "open_ended", "prompt": "What keeps you here?"}],
    )
    make_bare_tables()
    times: dict[str, list[float]] = {"launch": [], "bare": [], "bare_no_fk": []}
    for _ in range(REPEAT):
        reset(study)
        seconds, result = timed(lambda: services.study_launch(study=study, now=NOW))
        assert result.invited == members, result
        times["launch"].append(seconds)
        reset(study)
        seconds, rows = timed(lambda: bare_insert(BARE, workspace.pk, study.pk, segment.pk))
        assert rows == members
        times["bare"].append(seconds)
        reset(study)
        seconds, rows = timed(lambda: bare_insert(BARE_NO_FK, workspace.pk, study.pk, segment.pk))
        times["bare_no_fk"].append(seconds)
    reset(study)
    return times


def report(members: int, times: dict[str, list[float]]) -> list[str]:
    launch, bare = statistics.median(times["launch"]), statistics.median(times["bare"])
    no_fk = statistics.median(times["bare_no_fk"])

    def runs(key: str) -> str:
        return ", ".join(f"{t * 1000:,.0f}" for t in times[key])

    return [
        f"#### {members:,} members, quota {members:,}",
        "",
        "| step | median | runs (ms) | note |",
        "|---|---:|---|---|",
        f"| launch (`study_launch`) | {launch * 1000:,.0f} ms | {runs('launch')} | "
        f"{members:,} invited; ratio {launch / bare:.2f}x the bare insert (target <= 3) |",
        f"| bare INSERT … SELECT, same indexes and foreign keys | {bare * 1000:,.0f} ms | "
        f"{runs('bare')} | reference |",
        f"| bare INSERT … SELECT, no foreign keys | {no_fk * 1000:,.0f} ms | "
        f"{runs('bare_no_fk')} | for information |",
    ]


def main() -> int:
    ensure_database("--fresh" in sys.argv)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    workspace, segment = generate(MEMBERS)
    lines = report(MEMBERS, run(workspace, segment, MEMBERS))
    out = [
        f"### Study launch — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.node() or 'this machine'}",
        "",
        f"{os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL (local, "
        f"default settings). {REPEAT} runs of each, alternating; medians.",
        "",
        *lines,
    ]
    from django.db import connections

    connections.close_all()
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
