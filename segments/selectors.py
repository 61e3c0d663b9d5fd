"""Reads for segments, always scoped to one workspace.

Every list here is meant to be paginated by the caller: the querysets are lazy,
ordered on indexed columns, and never materialise a workspace's people.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F, Prefetch, QuerySet

from people.models import Person
from segments import rfm
from segments.models import Segment, SegmentMembership, SegmentSnapshot
from segments.rules.dialects import dialect_for
from workspaces.models import Workspace
from workspaces.services import ServiceError


def person_memberships(*, person: Person, limit: int = 100) -> list[SegmentMembership]:
    """Segment stays, current ones first, then the ones left, most recent first."""
    memberships = (
        SegmentMembership.objects.filter(person=person, segment__workspace_id=person.workspace_id)
        .select_related("segment")
        .order_by(F("exited_at").desc(nulls_first=True), "-entered_at", "-id")
    )
    return list(memberships[:limit])


def person_current_memberships(*, person: Person) -> list[SegmentMembership]:
    """The person's open segment stays, most recently entered first, with their segment."""
    return list(
        SegmentMembership.objects.filter(
            person=person, segment__workspace_id=person.workspace_id, exited_at__isnull=True
        )
        .select_related("segment")
        .order_by("-entered_at", "-id")
    )


def people_in_segment(
    people: QuerySet[Person], *, workspace: Workspace, segment_id: int
) -> QuerySet[Person]:
    """Narrow `people` to the current members of the workspace's segment `segment_id`.

    Another workspace's segment is refused exactly like one that does not exist.
    """
    if not Segment.objects.filter(workspace=workspace, pk=segment_id).exists():
        raise ServiceError(f"There is no segment {segment_id} in this workspace.", field="segment")
    members = SegmentMembership.objects.filter(
        segment_id=segment_id, exited_at__isnull=True
    ).values("person_id")
    return people.filter(pk__in=members)


# --- segments: what the list, the builder and the wizards read ---------------------

SNAPSHOTS_SHOWN = 30


def segment_list(*, workspace: Workspace) -> list[Segment]:
    """Every segment of the workspace, each with its last 30 snapshots (oldest first) in
    `recent_snapshots`: two queries however many segments there are."""
    recent = SegmentSnapshot.objects.order_by("-computed_at", "-id")[:SNAPSHOTS_SHOWN]
    segments: list[Segment] = list(
        Segment.objects.filter(workspace=workspace)
        .order_by("name", "id")
        .prefetch_related(Prefetch("snapshots", queryset=recent, to_attr="latest_snapshots"))
    )
    for segment in segments:
        segment.recent_snapshots = segment.latest_snapshots[::-1]  # type: ignore[attr-defined]
    return segments


def segment_get(*, workspace: Workspace, pk: int) -> Segment | None:
    return Segment.objects.filter(workspace=workspace, pk=pk).select_related("parent").first()


def segment_snapshots(*, segment: Segment) -> list[SegmentSnapshot]:
    recent = SegmentSnapshot.objects.filter(segment=segment).order_by("-computed_at", "-id")
    return list(recent[:SNAPSHOTS_SHOWN])[::-1]


def segment_members(*, segment: Segment) -> QuerySet[SegmentMembership]:
    """Current members, most recently entered first."""
    return (
        SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True)
        .select_related("person")
        .order_by("-entered_at", "-id")
    )


def segment_children(*, segment: Segment) -> list[Segment]:
    return list(segment.children.order_by("definition__cluster", "id"))


def segment_choices(*, workspace: Workspace, exclude: int | None = None) -> list[Segment]:
    """Segments a rule may reference (cluster parents excluded: their children are the
    groups a researcher means)."""
    found = Segment.objects.filter(workspace=workspace).order_by("name", "id")
    if exclude is not None:
        found = found.exclude(pk=exclude)
    return list(found.only("id", "name", "kind"))


def rfm_grid(
    definition: dict[str, Any], *, workspace: Workspace, as_of: datetime
) -> dict[tuple[int, int], int]:
    """Purchasers per (R, FM) cell of the 5 by 5 tier grid, from one grouped query over the
    same scores the compute stores (`rfm.scored_sql`)."""
    dialect = dialect_for(connection)
    dialect.prepare()
    spec = rfm.validate(definition)
    bins = spec["bins"]
    scored = rfm.scored_sql(spec, workspace_id=workspace.pk, as_of=as_of, dialect=dialect)

    def five(column: str) -> str:
        return f"((s.{column} * 5 + {bins - 1}) / {bins})"

    query = (
        f"SELECT {five('r')} AS r5, (({five('f')} + {five('m')} + 1) / 2) AS fm5, COUNT(*) "  # noqa: S608
        f"FROM ({scored.text}) s GROUP BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, list(scored.params))
        return {(int(r), int(fm)): int(n) for r, fm, n in cursor.fetchall()}
