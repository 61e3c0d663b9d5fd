"""What segments do when the people app says something happened (people.hooks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from people import hooks
from people.models import Person
from segments import refresh, selectors
from segments.models import SegmentMembership
from segments.serializers import PersonSegmentSerializer
from workspaces.models import Workspace


def on_events_ingested(*, workspace_id: int, received_at: datetime, **_: Any) -> None:
    # New behavior may move people in or out of segments: recompute soon (debounced).
    refresh.request_refresh(workspace_id=workspace_id, now=received_at)


def on_people_merged(*, target_id: int, source_ids: list[int], **_: Any) -> None:
    # The merged person is recomputed on the next refresh; the rows of the people
    # folded into it would only repeat what that compute decides.
    SegmentMembership.objects.filter(person_id__in=source_ids).delete()


def person_segments(person: Person) -> dict[str, Any]:
    memberships = selectors.person_memberships(person=person)
    return {
        "current": [m for m in memberships if m.exited_at is None],
        "past": [m for m in memberships if m.exited_at is not None],
    }


def people_in_segment(
    people: QuerySet[Person], workspace: Workspace, segment_id: int
) -> QuerySet[Person]:
    return selectors.people_in_segment(people, workspace=workspace, segment_id=segment_id)


def person_current_segments(person: Person) -> list[SegmentMembership]:
    return selectors.person_current_memberships(person=person)


def subscribe() -> None:
    hooks.events_ingested.connect(on_events_ingested, dispatch_uid="segments.refresh")
    hooks.people_merged.connect(on_people_merged, dispatch_uid="segments.merge")
    hooks.register_person_section(
        hooks.PersonSection(
            key="segments",
            template="segments/_person_segments.html",
            context=person_segments,
            order=10,
        )
    )
    # The people API: ?segment=ID on the list, "segments" on a person.
    hooks.register_person_filter(
        hooks.PersonFilter(
            key="segment",
            description=(
                "A segment ID: its current members. A segment that is not in this "
                "workspace (unknown, or another workspace's) is a 400."
            ),
            narrow=people_in_segment,
            value_type=int,
        )
    )
    hooks.register_person_detail_part(
        hooks.PersonDetailPart(
            key="segments",
            load=person_current_segments,
            field=lambda: PersonSegmentSerializer(
                many=True,
                read_only=True,
                help_text="The segments the person is in now, most recently entered first.",
            ),
        )
    )
