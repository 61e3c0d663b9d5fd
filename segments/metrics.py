"""What a researcher reads next to a segment: share of people, share of revenue, stability.

Each is one aggregate query in the database. Share of people and stability are recorded
as every compute finishes, with a snapshot row (size, entered, exited, share) for the
trend line. Share of revenue reads a year of the workspace's revenue events, the bulk of
a small segment's compute, so it is a follow-up: the compute marks it pending and, once
its membership commits, the `segments.record_revenue_shares` task records it for every
segment the compute (or a whole refresh) touched in one read (`jobs.revenue_shares_together`).
Until then the segment keeps its last figure and the end of that figure's window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q

from people.models import Event, Person
from segments import jobs
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


def revenue_configured(workspace: Workspace) -> bool:
    return bool(workspace.revenue_event and workspace.revenue_property)


def revenue_shares(
    workspace: Workspace, segment_ids: list[int], *, now: datetime
) -> dict[int, float | None]:
    """The share of revenue of several segments of one workspace: one read of the revenue
    events for the total and every segment's members grouped, not one per segment."""
    shares: dict[int, float | None] = dict.fromkeys(segment_ids)
    if not segment_ids or not revenue_configured(workspace):
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


def record(segment: Segment, diff: MembershipDiff, *, now: datetime) -> None:
    """Store the share of people and stability on the segment and a snapshot of this
    compute, and request its share of revenue as of `now` (recorded after commit)."""
    segment.share_of_people = share_of_people(segment)
    segment.stability = stability(segment, now=now)
    pending = revenue_configured(segment.workspace)
    segment.share_of_revenue_pending = pending
    changes: dict[str, object] = {
        "share_of_people": segment.share_of_people,
        "stability": segment.stability,
        "share_of_revenue_pending": pending,
    }
    if not pending:
        # Without a revenue event there is nothing to wait for: no share, at once. With
        # one, the last figure stays (not rewritten from this possibly older instance).
        segment.share_of_revenue = segment.share_of_revenue_at = None
        changes |= {"share_of_revenue": None, "share_of_revenue_at": None}
    Segment.objects.filter(pk=segment.pk).update(**changes)
    SegmentSnapshot.objects.create(
        segment=segment,
        computed_at=now,
        size=diff.size,
        entered=diff.entered,
        exited=diff.exited,
        share_of_people=segment.share_of_people,
    )
    if pending:
        jobs.request_revenue_shares(segment=segment, at=now)


def record_revenue_shares(*, workspace_id: int, segment_ids: list[int], at: datetime) -> int:
    """The follow-up of computes: record the share of revenue of the workspace's segments
    `segment_ids` over the 365 days up to `at`, in one read of the revenue events, and
    clear their pending mark. Segments deleted since are skipped; returns how many were
    recorded."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    ids = list(
        Segment.objects.filter(workspace=workspace, pk__in=segment_ids).values_list("pk", flat=True)
    )
    shares = revenue_shares(workspace, ids, now=at)
    with transaction.atomic():
        for pk, share in shares.items():
            Segment.objects.filter(pk=pk).update(
                share_of_revenue=share, share_of_revenue_at=at, share_of_revenue_pending=False
            )
    return len(ids)
