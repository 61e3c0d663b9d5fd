"""Membership with history: diff a segment's members against a set of person ids, in SQL.

A compute hands over a SQL query that yields `person_id`s (a compiled rule, the
RFM tiers, a cluster, a static list). Inside one transaction, with the segment
row locked so two computes of the same segment serialize, two set-based
statements bring the open memberships in line:

- members no longer in the set get `exited_at = now`;
- people in the set without an open membership get a new row (`entered_at = now`).

When the transaction commits, `segments.hooks.members_entered` tells the apps
downstream who entered (by segment and `entered_at`, never a list of ids).

Closed rows are never touched, so the table is the segment's full history. The
partial unique index on open memberships (segment, person) makes a double entry
impossible even if a caller forgets the lock.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from people.bulk import insert_ignoring_conflicts
from people.models import Person
from segments.hooks import announce_entrants
from segments.models import Segment, SegmentMembership

MEMBERSHIP = SegmentMembership._meta.db_table
PERSON = Person._meta.db_table


@dataclass(frozen=True)
class MembershipDiff:
    size: int
    entered: int
    exited: int


def _execute(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


STAGE = "motive_stage_members"


def apply_members(
    *,
    segment: Segment,
    members_sql: str,
    members_params: list[Any] | tuple[Any, ...],
    now: datetime | None = None,
) -> MembershipDiff:
    """Make `segment`'s open memberships equal the person ids of `members_sql`.

    `members_sql` selects one column, `person_id`, of people in the segment's
    workspace. It runs once, into a temporary table keyed by person id; the exits
    and entries are then two anti-joins against it (never `NOT IN (subquery)`,
    which PostgreSQL cannot hash once the set outgrows work_mem).
    """
    now = now or timezone.now()
    # As the ORM stores it (on SQLite, naive UTC text), so ORM lookups by time match.
    stamp = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic():
        Segment.objects.select_for_update().filter(pk=segment.pk).values_list("pk").first()
        _execute(f"DROP TABLE IF EXISTS {STAGE}", [])
        _execute(f"CREATE TEMPORARY TABLE {STAGE} (person_id bigint PRIMARY KEY)", [])
        try:
            size = _execute(
                f"INSERT INTO {STAGE} (person_id) "  # noqa: S608  (constant names, compiled SQL)
                f"SELECT DISTINCT m.person_id FROM ({members_sql}) m",
                list(members_params),
            )
            if connection.vendor == "postgresql":
                _execute(f"ANALYZE {STAGE}", [])
            exited = _execute(
                f"UPDATE {MEMBERSHIP} SET exited_at = %s "  # noqa: S608
                f"WHERE segment_id = %s AND exited_at IS NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {STAGE} t WHERE t.person_id = {MEMBERSHIP}.person_id)",
                [stamp, segment.pk],
            )
            entered = _execute(
                f"INSERT INTO {MEMBERSHIP} (segment_id, person_id, entered_at) "  # noqa: S608
                f"SELECT %s, t.person_id, %s FROM {STAGE} t WHERE NOT EXISTS "
                f"(SELECT 1 FROM {MEMBERSHIP} o WHERE o.segment_id = %s "
                f"AND o.person_id = t.person_id AND o.exited_at IS NULL)",
                [segment.pk, stamp, segment.pk],
            )
        finally:
            _execute(f"DROP TABLE IF EXISTS {STAGE}", [])
        Segment.objects.filter(pk=segment.pk).update(size=size, computed_at=now)
        announce_entrants(
            workspace_id=segment.workspace_id,
            segment_id=segment.pk,
            entered_at=now,
            entered=entered,
        )
    segment.size, segment.computed_at = size, now
    return MembershipDiff(size=size, entered=entered, exited=exited)


CHUNK = 5000


def _chunks(values: list[int]) -> list[list[int]]:
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


def person_ids_for_user_ids(
    *, workspace_id: int, user_ids: list[str]
) -> tuple[set[int], list[str]]:
    """Person ids of the given user ids, in chunked queries; also the user ids not found."""
    found: dict[str, int] = {}
    unique = list(dict.fromkeys(user_ids))
    for start in range(0, len(unique), CHUNK):
        rows = Person.objects.filter(
            workspace_id=workspace_id, user_id__in=unique[start : start + CHUNK]
        ).values_list("user_id", "id")
        found.update((user_id, pk) for user_id, pk in rows if user_id is not None)
    return set(found.values()), [u for u in unique if u not in found]


def change_members(
    *,
    segment: Segment,
    add: Collection[int] = (),
    remove: Collection[int] = (),
    replace: bool = False,
    now: datetime | None = None,
) -> MembershipDiff:
    """Add and remove explicit person ids (static and external segments), keeping history.

    With `replace`, everyone not in `add` leaves (a static list re-uploaded).
    """
    now = now or timezone.now()
    with transaction.atomic():
        Segment.objects.select_for_update().filter(pk=segment.pk).values_list("pk").first()
        open_rows = SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True)
        current = set(open_rows.values_list("person_id", flat=True))
        adding, removing = set(add), set(remove)
        leaving = current - adding if replace else (current & removing) - adding
        joining = adding - current
        exited = 0
        for chunk in _chunks(sorted(leaving)):
            exited += open_rows.filter(person_id__in=chunk).update(exited_at=now)
        # Plain rows, not model instances: a cluster compute enters ~10^5 people at once.
        entered_at = connection.ops.adapt_datetimefield_value(now)
        insert_ignoring_conflicts(
            table=MEMBERSHIP,
            columns=("segment_id", "person_id", "entered_at"),
            rows=[(segment.pk, pid, entered_at) for pid in sorted(joining)],
            conflict="(segment_id, person_id) WHERE exited_at IS NULL",
            chunk=CHUNK,
        )
        size = len(current) - exited + len(joining)
        Segment.objects.filter(pk=segment.pk).update(size=size, computed_at=now)
        announce_entrants(
            workspace_id=segment.workspace_id,
            segment_id=segment.pk,
            entered_at=now,
            entered=len(joining),
        )
    segment.size, segment.computed_at = size, now
    return MembershipDiff(size=size, entered=len(joining), exited=exited)
