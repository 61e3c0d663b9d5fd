"""What segments do when the people app says something happened (people.hooks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from people import hooks
from people.models import Person
from segments import refresh, selectors
from segments.models import SegmentMembership


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
