"""Who a launch invites: the current members of a study's target segments, as set-based SQL.

One statement classifies every current member of the target segments and another,
sharing its text, inserts the invitations (`INSERT … SELECT`); neither loops in
Python, and both run on PostgreSQL and SQLite (the only dialect branches are the
random token and the collation of the sampling draw).

The rules, in the order they apply:

1. **Attribution.** A person who is a current member of several target segments is
   considered once, for the first of them in the study's order (`StudySegment.position`);
   the invitation records that segment. Counts are per attributed segment.
2. **Opt-out.** Anyone with an `OptOut` in the workspace is skipped (`opted_out`).
3. **Recontact.** Anyone invited to any study of the workspace in the last
   `recontact_days` days (by invitation time), or already invited to this study, is
   skipped (`recontact`).
4. **Account cap.** With `account_cap` N, at most N eligible people of one account are
   kept, the first N in draw order; the others are `over_account_cap`. People without
   an account are not capped.
5. **Quota.** Per segment, the first `quota_per_segment` eligible people in draw order
   are invited; the rest are `over_quota`.

The draw order is `md5(<study sampling seed> || ':' || <person id>)` as text (then
person id): reproducible for a given seed, independent of insertion order, and the
same on both databases (PostgreSQL compares it in the "C" collation, as SQLite does).

Continuous listening (`listening_insert`, rules in `studies.listening`) reuses the
same statement on a narrower set of candidates: current members of the targets whose
open membership of a target began in an `Entrants` window. Attribution, opt-out and
recontact apply unchanged (an entrant is attributed to the first target segment in
the study's order they are a current member of, whichever one they entered); the
account cap also counts the account's invitations to
the study so far; the quota is replaced by the listening period's room, drawn across
all segments in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection

from studies.models import InvitationSource, InvitationStatus, Study

STATES = ("invited", "opted_out", "recontact", "over_account_cap", "over_quota")


@dataclass(frozen=True)
class SegmentCounts:
    """What a launch does to the members attributed to one target segment."""

    segment_id: int
    invited: int = 0
    opted_out: int = 0
    recontact: int = 0
    over_account_cap: int = 0
    over_quota: int = 0

    @property
    def members(self) -> int:
        return (
            self.invited + self.opted_out + self.recontact + self.over_account_cap + self.over_quota
        )


def _draw() -> str:
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    return f"md5(%(seed)s || CAST(a.person_id AS TEXT)){collate}"


def token_sql() -> str:
    """A random URL-safe token per row, drawn by the database's strong random source."""
    if connection.vendor == "postgresql":
        # Two version-4 UUIDs: 244 random bits from pg_strong_random, base64url, 43 chars.
        return (
            "rtrim(translate(encode(uuid_send(gen_random_uuid()) || "
            "uuid_send(gen_random_uuid()), 'base64'), '+/', '-_'), '=')"
        )
    # SQLite's randomblob draws from its ChaCha20 generator seeded by the OS: 256 bits.
    return "lower(hex(randomblob(32)))"


@dataclass(frozen=True)
class Entrants:
    """People whose open membership of a target segment began between `since` and
    `until` (inclusive), of `segment_id` only when given (continuous listening)."""

    since: datetime
    until: datetime
    segment_id: int | None = None


def _entrants_sql(entrants: Entrants | None) -> str:
    if entrants is None:
        return ""
    segment = (
        "e.segment_id = %(entered_segment)s"
        if entrants.segment_id is not None
        else "e.segment_id IN (SELECT s.segment_id FROM studies_studysegment s "
        "WHERE s.study_id = %(study)s)"
    )
    # Only constant SQL is interpolated; every value is a parameter.
    return (
        " AND EXISTS (SELECT 1 FROM segments_segmentmembership e WHERE "  # noqa: S608
        f"e.person_id = m.person_id AND {segment} AND e.exited_at IS NULL "
        "AND e.entered_at >= %(entered_since)s AND e.entered_at <= %(entered_until)s)"
    )


def _capped_sql(study: Study, entrants: Entrants | None) -> str:
    if study.account_cap is None:
        return "SELECT person_id, segment_id, draw, state FROM classified"
    # Listening adds to a live study: the account's invitations so far count too.
    used = (
        " + COALESCE((SELECT COUNT(*) FROM studies_invitation i "
        "JOIN segments_person ip ON ip.id = i.person_id "
        "WHERE i.study_id = %(study)s AND ip.account_id = classified.account_id), 0)"
        if entrants is not None
        else ""
    )
    return (
        "SELECT person_id, segment_id, draw, CASE WHEN state = 'eligible' "  # noqa: S608
        "AND account_id IS NOT NULL AND ROW_NUMBER() OVER (PARTITION BY state, account_id "
        f"ORDER BY draw, person_id){used} > %(cap)s THEN 'over_account_cap' ELSE state END "
        "AS state FROM classified"
    )


def _ranked_sql(study: Study, entrants: Entrants | None = None) -> str:
    """CTEs ending in `ranked(person_id, segment_id, state, draw_rank, overall_rank)`:
    `draw_rank` counts within the segment, `overall_rank` across the study."""
    # Only constant SQL is interpolated; every value is a parameter.
    return f"""
WITH attributed AS (
    SELECT m.person_id AS person_id, MIN(t.position) AS position
    FROM segments_segmentmembership m
    JOIN studies_studysegment t ON t.segment_id = m.segment_id
    WHERE t.study_id = %(study)s AND m.exited_at IS NULL{_entrants_sql(entrants)}
    GROUP BY m.person_id
),
classified AS (
    SELECT a.person_id AS person_id, t.segment_id AS segment_id, p.account_id AS account_id,
        {_draw()} AS draw,
        CASE
            WHEN EXISTS (SELECT 1 FROM studies_optout o
                         WHERE o.workspace_id = %(workspace)s AND o.person_id = a.person_id)
                THEN 'opted_out'
            WHEN EXISTS (SELECT 1 FROM studies_invitation i
                         WHERE i.person_id = a.person_id
                           AND (i.created_at >= %(since)s OR i.study_id = %(study)s))
                THEN 'recontact'
            ELSE 'eligible'
        END AS state
    FROM attributed a
    JOIN studies_studysegment t ON t.study_id = %(study)s AND t.position = a.position
    JOIN segments_person p ON p.id = a.person_id
),
capped AS ({_capped_sql(study, entrants)}),
ranked AS (
    SELECT person_id, segment_id, state,
        ROW_NUMBER() OVER (PARTITION BY state, segment_id ORDER BY draw, person_id) AS draw_rank,
        {_overall_rank(entrants)} AS overall_rank
    FROM capped
)"""  # noqa: S608


def _overall_rank(entrants: Entrants | None) -> str:
    # Launch has no use for it: a constant spares the second sort.
    if entrants is None:
        return "0"
    return "ROW_NUMBER() OVER (PARTITION BY state ORDER BY draw, person_id)"


def _params(study: Study, now: datetime, entrants: Entrants | None = None) -> dict[str, Any]:
    adapt = connection.ops.adapt_datetimefield_value
    window = {}
    if entrants is not None:
        window = {
            "entered_since": adapt(entrants.since),
            "entered_until": adapt(entrants.until),
            "entered_segment": entrants.segment_id,
        }
    return {
        **window,
        "study": study.pk,
        "workspace": study.workspace_id,
        "seed": f"{study.sampling_seed}:",
        "since": adapt(now - timedelta(days=study.recontact_days)),
        "cap": study.account_cap,
        "quota": study.quota_per_segment,
        "now": adapt(now),
        "expires": adapt(now + timedelta(days=study.invitation_expiry_days)),
    }


def launch_counts(*, study: Study, now: datetime) -> dict[int, SegmentCounts]:
    """What launching now would do, per target segment (every target has an entry)."""
    query = (
        _ranked_sql(study) + " SELECT segment_id, state, COUNT(*), "
        "SUM(CASE WHEN draw_rank <= %(quota)s THEN 1 ELSE 0 END) "
        "FROM ranked GROUP BY segment_id, state"
    )
    tallies: dict[int, dict[str, int]] = {
        segment_id: {} for segment_id in study.targets.values_list("segment_id", flat=True)
    }
    with connection.cursor() as cursor:
        cursor.execute(query, _params(study, now))
        rows = cursor.fetchall()
    for segment_id, state, total, within_quota in rows:
        tally = tallies.setdefault(segment_id, {})
        if state == "eligible":
            tally["invited"] = int(within_quota)
            tally["over_quota"] = int(total) - int(within_quota)
        else:
            tally[state] = int(total)
    return {segment_id: SegmentCounts(segment_id, **t) for segment_id, t in tallies.items()}


def launch_insert(*, study: Study, now: datetime) -> int:
    """Invite everyone `launch_counts` counts as invited, in one INSERT … SELECT."""
    status, source = InvitationStatus.PENDING.value, InvitationSource.LAUNCH.value
    insert = (
        "INSERT INTO studies_invitation (workspace_id, study_id, person_id, segment_id, "  # noqa: S608
        "token, status, source, created_at, expires_at) "
        f"SELECT %(workspace)s, %(study)s, person_id, segment_id, {token_sql()}, '{status}', "
        f"'{source}', %(now)s, %(expires)s "
        "FROM ranked WHERE state = 'eligible' AND draw_rank <= %(quota)s"
    )
    query = f"{_ranked_sql(study)} {insert}"
    with connection.cursor() as cursor:
        cursor.execute(query, _params(study, now))
        return int(cursor.rowcount)


def listening_insert(*, study: Study, now: datetime, entrants: Entrants, room: int) -> int:
    """Invite up to `room` of `entrants` (source `listening`), in one INSERT … SELECT."""
    if room <= 0:
        return 0
    status, source = InvitationStatus.PENDING.value, InvitationSource.LISTENING.value
    # INSERT leads (its SELECT carries the WITH): SQLite's driver reports the row count
    # only for a statement that starts as DML.
    insert = (
        "INSERT INTO studies_invitation (workspace_id, study_id, person_id, segment_id, "
        "token, status, source, created_at, expires_at) "
    )
    select = (
        f"SELECT %(workspace)s, %(study)s, person_id, segment_id, {token_sql()}, '{status}', "  # noqa: S608
        f"'{source}', %(now)s, %(expires)s "
        "FROM ranked WHERE state = 'eligible' AND overall_rank <= %(room)s"
    )
    params = {**_params(study, now, entrants), "room": room}
    with connection.cursor() as cursor:
        cursor.execute(f"{insert}{_ranked_sql(study, entrants).lstrip()} {select}", params)
        return int(cursor.rowcount)
