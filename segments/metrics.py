"""What a researcher reads next to a segment: share of people, share of revenue, stability.

Each is one aggregate query in the database, run after every compute, and each
compute leaves a snapshot row (size, entered, exited, share) for the trend line.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q

from segments.membership import MEMBERSHIP, MembershipDiff
from segments.models import Event, Person, Segment, SegmentMembership, SegmentSnapshot
from segments.rules.dialects import dialect_for
from segments.rules.sql import param, sql

EVENT = Event._meta.db_table
REVENUE_WINDOW = timedelta(days=365)
STABILITY_LOOKBACK = timedelta(days=30)


def share_of_people(segment: Segment) -> float | None:
    people = Person.objects.filter(workspace_id=segment.workspace_id).count()
    return segment.size / people if people else None


def share_of_revenue(segment: Segment, *, now: datetime) -> float | None:
    """Members' share of the revenue event's property summed over the last 365 days."""
    workspace = segment.workspace
    if not workspace.revenue_event or not workspace.revenue_property:
        return None
    dialect = dialect_for(connection)
    dialect.prepare()
    value = dialect.json_number("e.properties", workspace.revenue_property)
    query = sql(
        "SELECT SUM(CASE WHEN m.person_id IS NOT NULL THEN x.v ELSE 0 END), SUM(x.v) FROM "  # noqa: S608
        f"(SELECT e.person_id, {{}} AS v FROM {EVENT} e WHERE e.workspace_id = {{}} "
        "AND e.name = {} AND e.timestamp <= {} AND e.timestamp >= {}) x "
        f"LEFT JOIN (SELECT DISTINCT person_id FROM {MEMBERSHIP} "
        "WHERE segment_id = {} AND exited_at IS NULL) m ON m.person_id = x.person_id",
        value,
        param(workspace.pk),
        param(workspace.revenue_event),
        dialect.time(now),
        dialect.time(now - REVENUE_WINDOW),
        param(segment.pk),
    )
    with connection.cursor() as cursor:
        cursor.execute(query.text, list(query.params))
        members, total = cursor.fetchone()
    return float(members or 0) / float(total) if total else None


def stability(segment: Segment, *, now: datetime) -> float | None:
    """Of the people who were members 30 days ago, the share who are members now."""
    then = now - STABILITY_LOOKBACK
    stays = SegmentMembership.objects.filter(segment=segment, entered_at__lte=then).filter(
        Q(exited_at__isnull=True) | Q(exited_at__gt=then)
    )
    past = stays.values("person_id").distinct().count()
    if not past:
        return None
    still = SegmentMembership.objects.filter(
        segment=segment, exited_at__isnull=True, person_id__in=stays.values("person_id")
    ).count()
    return still / past


def record(segment: Segment, diff: MembershipDiff, *, now: datetime) -> None:
    """Store the metrics on the segment and a snapshot of this compute."""
    segment.share_of_people = share_of_people(segment)
    segment.share_of_revenue = share_of_revenue(segment, now=now)
    segment.stability = stability(segment, now=now)
    Segment.objects.filter(pk=segment.pk).update(
        share_of_people=segment.share_of_people,
        share_of_revenue=segment.share_of_revenue,
        stability=segment.stability,
    )
    SegmentSnapshot.objects.create(
        segment=segment,
        computed_at=now,
        size=diff.size,
        entered=diff.entered,
        exited=diff.exited,
        share_of_people=segment.share_of_people,
    )
