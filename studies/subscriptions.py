"""What studies do when an app upstream says something happened (segments.hooks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import NoReverseMatch, reverse

from segments import dependents, hooks
from segments.models import Segment
from studies import listening, selectors, tasks
from studies.models import Study


def on_members_entered(
    *, workspace_id: int, segment_id: int, entered_at: datetime, **_: Any
) -> None:
    # Continuous listening: each live continuous study targeting the segment invites
    # the entrants, in a task of its own so a slow one never holds up the recompute.
    for study_id in listening.listening_studies(workspace_id=workspace_id, segment_id=segment_id):
        tasks.listen.delay(
            study_id=study_id, segment_id=segment_id, entered_at=entered_at.isoformat()
        )


def _study_url(study: Study) -> str | None:
    try:
        return reverse("studies:detail", args=[study.pk])
    except NoReverseMatch:  # the study page is not routed (yet)
        return None


def segment_dependents(segment: Segment) -> list[dependents.Dependent]:
    """The studies targeting `segment`. A launched one (live, paused or closed) blocks
    deleting it: its invitations are attributed to the segment and its reports compare
    by it (archive the segment instead). A draft only loses it from its targets."""
    return [
        dependents.Dependent(
            kind=f"{study.get_status_display().lower()} study",
            name=study.title,
            url=_study_url(study),
            blocks=not study.is_draft,
        )
        for study in selectors.studies_targeting(segment=segment)
    ]


def subscribe() -> None:
    hooks.members_entered.connect(on_members_entered, dispatch_uid="studies.listening")
    dependents.register(segment_dependents)
