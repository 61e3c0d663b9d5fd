"""The PostgreSQL statement of the hot write path: a batch of `track` calls with userIds.

Most traffic, and every CSV event import, is `track` calls that carry a
`userId`. Such a batch is stored by ONE statement: it finds or creates the
people, inserts the events (`ON CONFLICT (workspace_id, message_id) DO
NOTHING`: what comes back is exactly what is new) and widens the seen range of
the people it found with `LEAST`/`GREATEST`, so first/last seen are exact,
idempotent when a batch or an import is sent again, and correct under
concurrency (the people rows are locked in id order, as the general path in
writer.py locks them). Rows travel as one jsonb parameter (a JSON array of
objects), bound server-side: the statement text is the same whatever the batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import orjson
import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper

from people.models import Event, Person, PersonAlias

PERSON = Person._meta.db_table
EVENT = Event._meta.db_table
ALIAS = PersonAlias._meta.db_table
_json_dumps = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=lambda value: value.isoformat()
).encode


class TrackRow(NamedTuple):
    """One `track` call with a userId, as the track statement stores it."""

    user_id: str
    name: str
    properties: dict[str, Any]
    timestamp: datetime
    message_id: str


def _dumps(value: Any) -> str:
    """JSON text for a jsonb parameter; datetimes as ISO 8601.

    orjson first (it is much faster); the standard library takes what orjson
    refuses (integers beyond 64 bits, which JSON allows and jsonb keeps).
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return _json_dumps(value)


class _BoundCursor(psycopg.Cursor[Any]):
    """Server-side parameter binding, never a named prepared statement."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        kwargs["prepare"] = False
        return super().execute(query, params, **kwargs)


def _cursor() -> CursorWrapper:
    """A Django cursor (error wrapping, query logging) that binds parameters server-side.

    Django's client-side binding would quote the rows' jsonb into the SQL text
    for PostgreSQL to parse back.
    """
    connection.ensure_connection()
    raw = _BoundCursor(connection.connection)
    # django-stubs types these as taking a wrapper; they take the DB-API cursor.
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)  # type: ignore[arg-type]
    return connection.make_cursor(raw)  # type: ignore[arg-type]


# The workspace as a value known only at run time: written as a constant, a
# workspace newer than the table's statistics is estimated to have no people, and
# the planner may then find each userId by filtering the whole workspace.
_WORKSPACE = "(SELECT %(ws)s::bigint)"

TRACK_STATEMENT = (
    "WITH r AS MATERIALIZED (SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) "  # noqa: S608
    "AS r(user_id text, name text, properties jsonb, timestamp timestamptz, message_id text)), "
    "wanted AS (SELECT user_id, min(timestamp) AS first, max(timestamp) AS last "
    "FROM r GROUP BY user_id), "
    # One unique-index probe per userId, whatever the statistics say; a userId with no
    # person of its own that an alias folded into an identified person (its previousId)
    # is that person (a second probe, on the alias index, only then).
    "found AS (SELECT p.id, w.user_id FROM wanted AS w CROSS JOIN LATERAL (("
    f"SELECT id FROM {PERSON} AS p WHERE p.workspace_id = {_WORKSPACE} "
    "AND p.user_id = w.user_id LIMIT 1) UNION ALL ("
    f"SELECT a.person_id FROM {ALIAS} AS a JOIN {PERSON} AS ap ON ap.id = a.person_id "
    f"WHERE a.workspace_id = {_WORKSPACE} AND a.anonymous_id = w.user_id "
    "AND ap.user_id IS NOT NULL LIMIT 1) LIMIT 1) AS p), "
    # People not found are created with the batch's range; one a concurrent batch
    # creates meanwhile is skipped here and reported as unresolved below.
    f"created AS (INSERT INTO {PERSON} "
    "(workspace_id, user_id, traits, trait_times, first_seen, last_seen) "
    "SELECT %(ws)s::bigint, w.user_id, '{}', '{}', w.first, w.last FROM wanted AS w "
    "WHERE NOT EXISTS (SELECT FROM found AS f WHERE f.user_id = w.user_id) "
    "ORDER BY w.user_id "
    "ON CONFLICT (workspace_id, user_id) WHERE user_id IS NOT NULL DO NOTHING "
    "RETURNING id, user_id), "
    "people AS (SELECT id, user_id FROM found UNION ALL SELECT id, user_id FROM created), "
    f"ins AS (INSERT INTO {EVENT} "
    "(workspace_id, person_id, name, properties, timestamp, message_id, received_at) "
    "SELECT %(ws)s::bigint, p.id, r.name, r.properties, r.timestamp, r.message_id, "
    "%(received)s FROM r JOIN people AS p ON p.user_id = r.user_id "
    "ON CONFLICT (workspace_id, message_id) DO NOTHING "
    "RETURNING person_id, timestamp), "
    # Found people whose range the new events move, locked in id order (people a
    # concurrent writer holds are waited for, never deadlocked with), then widened.
    "moved AS (SELECT person_id, min(timestamp) AS first, max(timestamp) AS last "
    "FROM ins GROUP BY person_id), "
    f"locked AS (SELECT p.id, m.first, m.last FROM {PERSON} AS p "
    "JOIN moved AS m ON m.person_id = p.id "
    # By primary key: the planner cannot size `moved`, and a join alone scanned the table.
    "WHERE p.id = ANY(ARRAY(SELECT person_id FROM moved)) "
    "AND (m.first < p.first_seen OR m.last > p.last_seen) ORDER BY p.id FOR NO KEY UPDATE OF p), "
    f"widened AS (UPDATE {PERSON} AS p SET first_seen = LEAST(p.first_seen, l.first), "
    "last_seen = GREATEST(p.last_seen, l.last) FROM locked AS l WHERE p.id = l.id) "
    # How many events were new, then the userIds whose person a concurrent batch
    # created after this statement's snapshot was taken (their rows were not stored).
    "SELECT NULL, (SELECT count(*) FROM ins) UNION ALL "
    "SELECT w.user_id, NULL FROM wanted AS w "
    "WHERE NOT EXISTS (SELECT FROM people AS p WHERE p.user_id = w.user_id)"
)


def write_tracks(
    *, workspace_id: int, rows: Sequence[TrackRow], received_at: datetime
) -> tuple[int, set[str]]:
    """Store track rows in one statement; returns (events stored, unresolved userIds).

    Message ids must be distinct. Unresolved userIds lost a creation race with a
    concurrent batch: their rows were not stored, and the caller sends them
    again (the person is visible to a new statement).
    """
    payload = _dumps([row._asdict() for row in rows])
    params: dict[str, Any] = {"ws": workspace_id, "rows": payload, "received": received_at}
    with _cursor() as cursor:
        cursor.execute(TRACK_STATEMENT, params)
        result = cursor.fetchall()
    stored = next(int(count) for user_id, count in result if user_id is None)
    return stored, {user_id for user_id, _ in result if user_id is not None}
