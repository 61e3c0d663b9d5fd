"""What studies do when an app upstream says something happened (segments.hooks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from segments import hooks
from studies import listening, tasks


def on_members_entered(
    *, workspace_id: int, segment_id: int, entered_at: datetime, **_: Any
) -> None:
    # Continuous listening: each live continuous study targeting the segment invites
    # the entrants, in a task of its own so a slow one never holds up the recompute.
    for study_id in listening.listening_studies(workspace_id=workspace_id, segment_id=segment_id):
        tasks.listen.delay(
            study_id=study_id, segment_id=segment_id, entered_at=entered_at.isoformat()
        )


def subscribe() -> None:
    hooks.members_entered.connect(on_members_entered, dispatch_uid="studies.listening")
