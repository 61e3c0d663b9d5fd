"""What a researcher reads next to a segment: share of people, share of revenue, stability.

Each is one aggregate query in the database, run after every compute, and each
compute leaves a snapshot row (size, entered, exited, share) for the trend line.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q

from people.models import Event, Person
from segments.membership import MEMBERSHIP, MembershipDiff
from segments.models import Segment, SegmentMembership, SegmentSnapshot
from segments.rules.dialects import dialect_for
from segments.rules.sql import join, param, sql
from workspaces.models import Workspace

EVENT = Event._meta.db_table
REVENUE_WINDOW = timedelta(days=365)
STABILITY_LOOKBACK = timedelta(days=30)


def share_of_people(segment: Segment) -> float | None:
    people = Person.objects.filter(workspace_id=segment.workspace_id).count()
    return segment.size / people if people else None


def share_of_revenue(segment: Segment, *, now: datetime) -> float | None:
    """Members' share of the revenue event's property summed over the last 365 days."""
    return revenue_shares(segment.workspace, [segment.pk], now=now)[segment.pk]


def revenue_shares(
    workspace: Workspace, segment_ids: list[int], *, now: datetime
) -> dict[int, float | None]:
    """The share of revenue of several segments of one workspace: one read of the revenue
    events for the total and every segment's members grouped, not one per segment."""
    shares: dict[int, float | None] = dict.fromkeys(segment_ids)
    if not segment_ids or not workspace.revenue_event or not workspace.revenue_property:
        return shares
    dialect = dialect_for(connection)
    dialect.prepare()
    revenue = sql(
        f"SELECT e.person_id, {{}} AS v FROM {EVENT} e WHERE e.workspace_id = {{}} "  # noqa: S608
        "AND e.name = {} AND e.timestamp <= {} AND e.timestamp >= {}",
        dialect.json_number("e.properties", workspace.revenue_property),
        param(workspace.pk),
        param(workspace.revenue_event),
        dialect.time(now),
        dialect.time(now - REVENUE_WINDOW),
    )
    ids = join(", ", (param(pk) for pk in segment_ids))
    # Driven from the revenue events (a LEFT JOIN keeps them the outer side), so the
    # memberships are hashed once whatever the planner believes their count to be;
    # the group of non-members (segment_id NULL) is ignored.
    members = (
        f"(SELECT DISTINCT segment_id, person_id FROM {MEMBERSHIP} WHERE exited_at IS NULL "  # noqa: S608
        "AND segment_id IN ({})) m ON m.person_id = x.person_id"
    )
    if connection.vendor == "sqlite":
        # SQLite scans a materialized subquery once per revenue event (seconds on the
        # demo's 5,000 people); joined to the table, the open-membership index answers
        # each lookup. Open memberships are unique per (segment, person): no DISTINCT.
        members = (
            f"{MEMBERSHIP} m ON m.person_id = x.person_id AND m.exited_at IS NULL "
            "AND m.segment_id IN ({})"
        )
    # One read of the revenue events (the CTE, referenced twice, is materialized once):
    # the workspace's total (part 0), then each segment's members' part (part 1). Reading
    # them twice, once per sum, was most of a small segment's compute.
    query = sql(
        "WITH x AS ({}) SELECT 0, NULL, SUM(x.v) FROM x UNION ALL "  # noqa: S608
        f"SELECT 1, m.segment_id, SUM(x.v) FROM x LEFT JOIN {members} GROUP BY m.segment_id",
        revenue,
        ids,
    )
    with connection.cursor() as cursor:
        cursor.execute(query.text, list(query.params))
        rows = cursor.fetchall()
    total = next((value for part, _pk, value in rows if part == 0), None)
    if not total:
        return shares
    members_of = {pk: value for part, pk, value in rows if part == 1 and pk is not None}
    return {pk: float(members_of.get(pk) or 0) / float(total) for pk in segment_ids}


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


_UNKNOWN = object()


def record(
    segment: Segment, diff: MembershipDiff, *, now: datetime, revenue_share: object = _UNKNOWN
) -> None:
    """Store the metrics on the segment and a snapshot of this compute.

    `revenue_share` may be passed in when it was computed for several segments at once
    (`revenue_shares`), as a cluster compute does for its clusters.
    """
    segment.share_of_people = share_of_people(segment)
    segment.share_of_revenue = (
        share_of_revenue(segment, now=now) if revenue_share is _UNKNOWN else revenue_share  # type: ignore[assignment]
    )
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
