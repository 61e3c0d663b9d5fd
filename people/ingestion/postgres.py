"""The PostgreSQL statements of the write path: few round trips, little Python per row.

Rows travel to the server as ONE jsonb parameter (a JSON array of arrays), for
an API batch and a 10,000-row CSV chunk alike: psycopg adapts one value per
batch instead of one per cell, and the statement text is the same whatever the
batch size.

`write_tracks` is the hot path: a batch of `track` calls that all carry a
`userId` is stored by a single statement that finds or creates the people,
inserts the events (sent again with `ON CONFLICT (workspace_id, message_id) DO
NOTHING` only if it repeats a stored messageId, see TRACK_STATEMENTS) and
queues the seen ranges the new events move. Outside a transaction that one
statement is its own atomic commit, so a batch costs one round trip and one WAL
flush; durability is unchanged (synchronous_commit stays on). It takes no
row locks and writes no existing person row: the people it finds have userIds,
and those are deleted only with their workspace (segments/models.py, on the
foreign key without a constraint). Batches with identify,
group or anonymous ids take the general path (writer.py), which locks the
people whose traits it merges in Python.

Seen ranges: people created by a batch start with its range. Widening an
existing person's range is queued (models.PendingSeenRange) and applied by
`fold_seen_ranges` — at the end of a CSV import and every minute from beat —
once per person for everything queued since, instead of a non-HOT update of
the person row (`last_seen` is indexed) in every batch. `first_seen` moves back
on any earlier event; `last_seen` moves forward only when the new latest event
is more than LAST_SEEN_RESOLUTION past it, so a steady stream from an active
user queues at most one row a minute.
"""

from __future__ import annotations

import json
import time
import weakref
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

import orjson
import psycopg
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.backends.utils import CursorWrapper

from people.models import Event, PendingSeenRange, Person, SeenRangeRebuild

LAST_SEEN_RESOLUTION = timedelta(minutes=1)

PERSON = Person._meta.db_table
EVENT = Event._meta.db_table
PENDING = PendingSeenRange._meta.db_table
REBUILD = SeenRangeRebuild._meta.db_table
_json_dumps = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=lambda value: value.isoformat()
).encode


def _dumps(value: Any) -> str:
    """JSON text of rows for a jsonb parameter; datetimes as ISO 8601.

    orjson does it ~10x faster than the standard library; the standard library
    takes what orjson refuses (integers beyond 64 bits, which JSON allows).
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return _json_dumps(value)


# A track row: (user_id, event name, properties, timestamp, message_id).
TrackRow = tuple[str, str, dict[str, Any], datetime, str]

# Rows travel as a JSON array of arrays, the cheapest shape to build in Python.
_FROM_JSON = (
    "(SELECT e->>0 AS user_id, e->>1 AS name, e->2 AS properties, "
    "(e->>3)::timestamptz AS ts, e->>4 AS message_id "
    "FROM jsonb_array_elements(%(rows)s::jsonb) AS e) AS r"
)


class _BoundCursor(psycopg.Cursor[Any]):
    """Server-side binding through the unnamed statement: never a named prepared statement."""

    prepare = False

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        kwargs["prepare"] = self.prepare
        return super().execute(query, params, **kwargs)


class _PreparedCursor(_BoundCursor):
    """Server-side binding through a named prepared statement (psycopg keeps one per text)."""

    prepare = True


def _cursor(*, prepare: bool = False) -> CursorWrapper:
    """A Django cursor (error wrapping, query logging) with server-side parameter binding.

    Django's default client-side binding would quote every value into the SQL
    text (the rows' jsonb included) for PostgreSQL to parse back. Here the
    values travel as bind parameters: one round trip, and by default through
    the unnamed statement, parsed and planned for each call with its values.
    The hot track statement is the exception (see `_sized_statement`).
    """
    connection.ensure_connection()
    conn = connection.connection
    raw = (_PreparedCursor if prepare else _BoundCursor)(conn)
    # django-stubs types these as taking a wrapper; they take the DB-API cursor.
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)  # type: ignore[arg-type]
    return connection.make_cursor(raw)  # type: ignore[arg-type]


_PREPARE_ONLY_WHEN_ASKED = 2**31 - 1
# The person table's size class (log2 of its pages) that each connection last saw.
_person_size_class: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def _sized_statement(statement: str) -> tuple[str, bool]:
    """The statement text to run on this connection, and whether to prepare it.

    Parsing and planning the track statement cost about a third of its time
    (4 connections, 100-event batches: 28,000 events/s planned per call, 38,000-
    48,000 with a cached plan). But a cached plan is only as good as the table
    sizes it was made for: PostgreSQL keeps a prepared statement's generic plan
    for the connection's life, and one made while `segments_person` held a few
    hundred rows seq-scans it in the seen-range update and may find each userId
    through `person_ws_last_seen` (filtering the whole workspace) — harmless
    then, ruinous once the table is large (benchmarks/RESULTS.md: ~400 ms per
    batch instead of ~10). So the text carries the person table's size class, the
    power of two of its pages, which each execution reports back: when the table
    has doubled, the text changes, psycopg prepares it afresh, and the server
    plans for the table as it now is. A plan is never used on a table more than
    twice the size it was made for. Until a connection has seen the size once,
    it plans per call.
    """
    connection.ensure_connection()
    raw = connection.connection
    size_class = _person_size_class.get(raw)
    if size_class is None:
        return statement, False
    if raw.prepare_threshold is None:
        # Django turns psycopg's prepared statements off (for transaction-mode
        # poolers); this lets them be made where asked for (`prepare=True`) and
        # nowhere else. Django's own cursors bind client-side and never prepare.
        raw.prepare_threshold = _PREPARE_ONLY_WHEN_ASKED
    return f"{statement} /* person pages < 2^{size_class} */", True


def _note_person_pages(pages: int) -> None:
    _person_size_class[connection.connection] = max(int(pages), 0).bit_length()


# The workspace as the planner should see it: a value known only at run time
# (`(SELECT $1)`), estimated as one of the table's workspaces. Written as a plain
# constant, a workspace the statistics have not seen yet (created after the last
# ANALYZE) is estimated to have no people at all; every index that leads with
# workspace_id then costs the same, and the planner may find each userId through
# person_ws_last_seen, filtering the whole workspace, instead of the unique index.
_WORKSPACE = "(SELECT %(ws)s::bigint)"

# One unique-index probe per wanted userId, whatever the table statistics say (a
# young table without them once got a bitmap scan of the whole workspace).
_FIND_PEOPLE = (
    "SELECT {columns} FROM wanted AS w CROSS JOIN LATERAL ("  # noqa: S608
    f"SELECT * FROM {PERSON} AS p WHERE p.workspace_id = {_WORKSPACE} "
    "AND p.user_id = w.user_id LIMIT 1) AS p"
)
# Create the wanted people not found, skipping any a concurrent batch just created.
_CREATE_PEOPLE = (
    f"INSERT INTO {PERSON} "  # noqa: S608
    "(workspace_id, user_id, traits, trait_times, first_seen, last_seen) "
    "SELECT %(ws)s::bigint, w.user_id, '{{}}', '{{}}', w.first, w.last FROM wanted AS w "
    "WHERE NOT EXISTS (SELECT FROM found AS f WHERE f.user_id = w.user_id) "
    "ORDER BY w.user_id "
    "ON CONFLICT (workspace_id, user_id) WHERE user_id IS NOT NULL DO NOTHING "
    "RETURNING {columns}"
)

# Seen ranges are not written here but queued (models.PendingSeenRange): one row
# per person whose range the new events move, compared with the row as read.
_QUEUE_SEEN = (
    f"INSERT INTO {PENDING} (person_id, first_seen, last_seen) "  # noqa: S608
    "SELECT s.person_id, s.first, s.last FROM (SELECT person_id, min(timestamp) AS first, "
    "max(timestamp) AS last FROM ins GROUP BY person_id) AS s "
    "JOIN {people} AS p ON p.id = s.person_id "
    "WHERE s.first < p.first_seen OR s.last > p.last_seen + %(resolution)s::interval"
)


def _track_statement(*, queue_seen: bool, skip_stored: bool) -> str:
    # Only module constants are interpolated; every value is a parameter.
    # People created by the statement got the batch's range; found ones queue theirs,
    # unless a SeenRangeRebuild widens them from the events afterwards (CSV import).
    queued = f", queued AS ({_QUEUE_SEEN.format(people='found')}) " if queue_seen else " "
    conflict = "ON CONFLICT (workspace_id, message_id) DO NOTHING " if skip_stored else ""
    return (
        f"WITH r AS MATERIALIZED (SELECT * FROM {_FROM_JSON}), "  # noqa: S608
        "wanted AS (SELECT user_id, min(ts) AS first, max(ts) AS last FROM r GROUP BY user_id), "
        f"found AS ({_FIND_PEOPLE.format(columns='p.id, p.user_id, p.first_seen, p.last_seen')}), "
        f"created AS ({_CREATE_PEOPLE.format(columns='id, user_id')}), "
        "people AS (SELECT id, user_id FROM found UNION ALL SELECT id, user_id FROM created), "
        f"ins AS (INSERT INTO {EVENT} "
        "(workspace_id, person_id, name, properties, timestamp, message_id, received_at) "
        "SELECT %(ws)s::bigint, p.id, r.name, r.properties, r.ts, r.message_id, %(received)s "
        # In person order: the (person, timestamp) index then takes its inserts in
        # page order (1M-row import, then with the person foreign-key check too:
        # 27.2 -> 24.4 s of statement time, same machine, alternating runs).
        "FROM r JOIN people AS p ON p.user_id = r.user_id ORDER BY p.id, r.ts "
        f"{conflict}"
        "RETURNING message_id, person_id, timestamp)"
        f"{queued}"
        # How many events were new, then (flag 1) userIds whose person could not be
        # resolved because a concurrent batch created it after this statement began,
        # then (flag 2) the person table's size in pages (see _sized_statement).
        "SELECT 0, count(*)::text FROM ins UNION ALL "
        "SELECT 1, w.user_id FROM wanted AS w "
        "WHERE NOT EXISTS (SELECT FROM people AS p WHERE p.user_id = w.user_id) UNION ALL "
        f"SELECT 2, (pg_relation_size('{PERSON}') / current_setting('block_size')::int)::text"
    )


# (queue_seen, skip_stored) -> statement. Each batch is first sent without
# `ON CONFLICT`: its speculative-insertion protocol probes the unique index once
# more per row before inserting (an extra descent, a lock and a token), ~11-20 %
# of the statement's backend CPU (alternating runs on copies of one database,
# 2026-11-29). Most batches hold only new messageIds; one that repeats a stored
# one fails on its unique index, stores nothing, and is sent again with it.
TRACK_STATEMENTS = {
    (queue_seen, skip_stored): _track_statement(queue_seen=queue_seen, skip_stored=skip_stored)
    for queue_seen in (True, False)
    for skip_stored in (True, False)
}


def track_payload(rows: Iterable[TrackRow]) -> str:
    """Track rows as the JSON parameter of the track statement.

    The CSV import builds it in its reader thread, so the thread that talks to
    PostgreSQL does no per-row work between statements. For a 10,000-row chunk
    one JSON document measured cheaper than COPY into a staging table (the
    earlier import path): 300,000 rows imported in 11.0 s instead of 11.9 s, the
    PostgreSQL-side CSV and jsonb parsing of every cell included.
    """
    return _dumps(list(rows))


def write_tracks(
    *, workspace_id: int, payload: str, received_at: datetime, queue_seen: bool = True
) -> tuple[int, set[str]]:
    """Store a `track_payload` in one statement; returns (events stored, unresolved userIds).

    Message ids must be distinct. Unresolved userIds lost a creation race with a
    concurrent batch: their rows were not stored and the caller sends them again
    (the person is visible then). Without `queue_seen` the statement queues no
    seen ranges (the caller rebuilds them, see SeenRangeRebuild).
    """
    params: dict[str, Any] = {
        "ws": workspace_id,
        "rows": payload,
        "received": received_at,
        "resolution": LAST_SEEN_RESOLUTION,
    }
    try:
        result = _run_track_statement(queue_seen, False, params)
    except IntegrityError as exc:
        if not isinstance(exc.__cause__, psycopg.errors.UniqueViolation):
            raise
        # A messageId of this batch is stored already (the statement stored nothing).
        result = _run_track_statement(queue_seen, True, params)
    stored = 0
    unresolved: set[str] = set()
    for flag, value in result:
        if flag == 0:
            stored = int(value)
        elif flag == 1:
            unresolved.add(value)
        else:
            _note_person_pages(int(value))
    return stored, unresolved


def _run_track_statement(
    queue_seen: bool, skip_stored: bool, params: dict[str, Any]
) -> list[tuple[int, str]]:
    statement, prepare = _sized_statement(TRACK_STATEMENTS[queue_seen, skip_stored])
    # Inside a transaction the failed attempt must not abort it: a savepoint.
    guard = (
        transaction.atomic() if connection.in_atomic_block and not skip_stored else nullcontext()
    )
    with guard, _cursor(prepare=prepare) as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


# --- the general path (identify, group, anonymous ids): one statement per step ---

_PEOPLE_BY_USER_ID = (
    "WITH wanted AS MATERIALIZED (SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) "  # noqa: S608
    "AS w(user_id text, first timestamptz, last timestamptz)), "
    "found AS ("
    + _FIND_PEOPLE.format(
        columns="p.id, p.user_id, p.traits, p.trait_times, p.first_seen, p.last_seen, p.account_id"
    )
    + " ORDER BY p.id FOR NO KEY UPDATE OF p), "
    "created AS ("
    + _CREATE_PEOPLE.format(
        columns="id, user_id, traits, trait_times, first_seen, last_seen, account_id"
    )
    + ") "
    "SELECT *, false FROM found UNION ALL SELECT *, true FROM created"
)
_LOCK_PEOPLE = (
    "SELECT id, user_id, traits, trait_times, first_seen, last_seen, account_id, false "  # noqa: S608
    f"FROM {PERSON} WHERE workspace_id = {_WORKSPACE} AND user_id IS NOT NULL "
    "AND user_id = ANY(%(user_ids)s::text[]) ORDER BY id FOR NO KEY UPDATE"
)


def people_by_user_id(
    *, workspace_id: int, seen: dict[str, tuple[datetime, datetime]]
) -> list[tuple[Any, ...]]:
    """Find or create the people with these userIds, locked in id order, in one statement.

    Rows: id, user_id, traits (text), trait_times (text), first_seen, last_seen,
    account_id, created. Created people start with the batch's seen range.
    """
    rows = _dumps(
        [
            {"user_id": user_id, "first": first, "last": last}
            for user_id, (first, last) in sorted(seen.items())
        ]
    )
    with _cursor() as cursor:
        cursor.execute(_PEOPLE_BY_USER_ID, {"ws": workspace_id, "rows": rows})
        result = cursor.fetchall()
        missing = set(seen) - {row[1] for row in result}
        if missing:
            # Created by a concurrent batch after this statement's snapshot: it is
            # committed now (the insert waited for it), so a new statement sees it.
            cursor.execute(_LOCK_PEOPLE, {"ws": workspace_id, "user_ids": sorted(missing)})
            result += cursor.fetchall()
    return result


_INSERT_EVENTS = (
    "WITH r AS MATERIALIZED (SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) "  # noqa: S608
    "AS r(person_id bigint, name text, properties jsonb, ts timestamptz, message_id text)), "
    f"ins AS (INSERT INTO {EVENT} "
    "(workspace_id, person_id, name, properties, timestamp, message_id, received_at) "
    "SELECT %(ws)s::bigint, r.person_id, r.name, r.properties, r.ts, r.message_id, "
    "%(received)s FROM r "
    "ON CONFLICT (workspace_id, message_id) DO NOTHING "
    "RETURNING message_id, person_id, timestamp), "
    f"queued AS ({_QUEUE_SEEN.format(people=PERSON)}) "
    "SELECT message_id FROM ins"
)


def insert_events(
    *, workspace_id: int, rows: Sequence[tuple[int, str, Any, datetime, str]], received_at: datetime
) -> set[str]:
    """Insert (person_id, name, payload, timestamp, message_id) rows and widen seen ranges.

    Returns the message ids that were new; the others were stored before.
    """
    data = _dumps(
        [
            {"person_id": p, "name": n, "properties": j, "ts": t, "message_id": m}
            for p, n, j, t, m in rows
        ]
    )
    params: dict[str, Any] = {
        "ws": workspace_id,
        "rows": data,
        "received": received_at,
        "resolution": LAST_SEEN_RESOLUTION,
    }
    with _cursor() as cursor:
        cursor.execute(_INSERT_EVENTS, params)
        return {row[0] for row in cursor.fetchall()}


_UPDATE_PEOPLE = (
    f"UPDATE {PERSON} AS p SET traits = u.traits, trait_times = u.trait_times, "  # noqa: S608
    "account_id = u.account_id, first_seen = LEAST(p.first_seen, u.first), "
    "last_seen = GREATEST(p.last_seen, u.last) "
    "FROM (SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) AS u(id bigint, traits jsonb, "
    "trait_times jsonb, account_id bigint, first timestamptz, last timestamptz) ORDER BY id) AS u "
    "WHERE p.id = u.id"
)


def update_people(*, people: Sequence[Any]) -> None:
    """Write merged traits, account links and merge-widened seen ranges in one statement.

    `people` are PersonState rows the caller holds locked.
    """
    data = _dumps(
        [
            {
                "id": s.id,
                "traits": s.traits,
                "trait_times": s.trait_times,
                "account_id": s.account_id,
                "first": s.first_seen,
                "last": s.last_seen,
            }
            for s in people
        ]
    )
    with _cursor() as cursor:
        cursor.execute(_UPDATE_PEOPLE, {"rows": data})


# One fold: take up to `limit` queued ranges (rows another fold holds are skipped),
# merge them per person and widen the people whose range moves.
_FOLD_SEEN = (
    f"WITH taken AS (DELETE FROM {PENDING} WHERE id = ANY(ARRAY("  # noqa: S608
    f"SELECT id FROM {PENDING} ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)) "
    "RETURNING person_id, first_seen, last_seen), "
    "s AS (SELECT person_id, min(first_seen) AS first, max(last_seen) AS last FROM taken "
    "GROUP BY person_id ORDER BY person_id), "
    f"widened AS (UPDATE {PERSON} AS p SET first_seen = LEAST(p.first_seen, s.first), "
    "last_seen = GREATEST(p.last_seen, s.last) FROM s WHERE p.id = s.person_id "
    "AND (s.first < p.first_seen OR s.last > p.last_seen) RETURNING 1) "
    "SELECT (SELECT count(*) FROM taken), (SELECT count(*) FROM widened)"
)
FOLD_CHUNK = 50_000


def fold_seen_ranges(*, limit: int = FOLD_CHUNK) -> tuple[int, int]:
    """Apply queued seen ranges, `limit` queue rows per transaction, until the queue is empty.

    Returns (queue rows applied, people widened). Safe to run concurrently with
    ingestion and with itself: a fold takes only rows no other fold holds, and a
    range queued meanwhile waits for the next fold. Memory stays in PostgreSQL.
    """
    applied = widened = 0
    while True:
        taken, moved = _retrying_deadlocks(_FOLD_SEEN, {"limit": limit})
        applied += taken
        widened += moved
        if taken < limit:
            break
    # Rebuilds whose import died (its connection would hold the lock otherwise).
    with _cursor() as cursor:
        cursor.execute(f"SELECT id FROM {REBUILD} ORDER BY id")  # noqa: S608
        abandoned = [row[0] for row in cursor.fetchall()]
    for rebuild_id in abandoned:
        with _cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_lock(%(ns)s, %(id)s)",
                {"ns": _REBUILD_LOCKS, "id": rebuild_id},
            )
            free = cursor.fetchone()[0]
        if free:
            widened += finish_seen_rebuild(rebuild_id)
    return applied, widened


def _retrying_deadlocks(statement: str, params: dict[str, Any]) -> tuple[int, int]:
    """Run a two-count statement in its own transaction, again after a deadlock."""
    for attempt in range(3):
        try:
            with transaction.atomic(), _cursor() as cursor:
                cursor.execute(statement, params)
                first, second = cursor.fetchone()
                return int(first), int(second)
        except OperationalError:
            # A deadlock with a batch updating the same people (identify): the
            # statement rolled back whole, nothing it took is lost.
            if attempt == 2 or connection.in_atomic_block:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


# Advisory-lock namespace of SeenRangeRebuild rows ("motv").
_REBUILD_LOCKS = 0x6D6F7476


def begin_seen_rebuild(*, workspace_id: int) -> int:
    """Before a CSV import's first chunk: a SeenRangeRebuild row, locked by this connection."""
    with _cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {REBUILD} (workspace_id, after_event_id, created_at) "  # noqa: S608
            f"SELECT %(ws)s, coalesce(max(id), 0), now() FROM {EVENT} RETURNING id",
            {"ws": workspace_id},
        )
        rebuild_id = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT pg_advisory_lock(%(ns)s, %(id)s)", {"ns": _REBUILD_LOCKS, "id": rebuild_id}
        )
    return rebuild_id


# Widen the people of the workspace from its events after the rebuild's event id,
# and drop the rebuild row, in one transaction; counts (rebuild rows, people widened).
_REBUILD_SEEN = (
    f"WITH done AS (DELETE FROM {REBUILD} WHERE id = %(id)s "  # noqa: S608
    "RETURNING workspace_id, after_event_id), "
    "s AS (SELECT e.person_id, min(e.timestamp) AS first, max(e.timestamp) AS last "
    f"FROM {EVENT} AS e JOIN done ON e.workspace_id = done.workspace_id "
    "AND e.id > done.after_event_id GROUP BY e.person_id ORDER BY e.person_id), "
    f"widened AS (UPDATE {PERSON} AS p SET first_seen = LEAST(p.first_seen, s.first), "
    "last_seen = GREATEST(p.last_seen, s.last) FROM s WHERE p.id = s.person_id "
    "AND (s.first < p.first_seen OR s.last > p.last_seen) RETURNING 1) "
    "SELECT (SELECT count(*) FROM done), (SELECT count(*) FROM widened)"
)


def finish_seen_rebuild(rebuild_id: int) -> int:
    """Apply a rebuild (the import's end, or a fold after its import died); people widened.

    The caller holds the rebuild's advisory lock; it is released here.
    """
    try:
        return _retrying_deadlocks(_REBUILD_SEEN, {"id": rebuild_id})[1]
    finally:
        with _cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%(ns)s, %(id)s)",
                {"ns": _REBUILD_LOCKS, "id": rebuild_id},
            )
