"""Continuous listening: a live continuous study invites people as they enter its segments.

`segments.hooks.members_entered` says, after a recompute committed, that people
entered a segment (the segment and the entry time, not a list).
`studies.subscriptions` queues the task `studies.listen` for each live continuous
study targeting that segment (`listening_studies`); the task calls `invite_entrants`,
which invites them with one `INSERT … SELECT` (`studies.targeting.listening_insert`),
and queues sending as a launch does.

The rules, on top of the launch's (targeting.py: attribution, opt-out, recontact,
account cap):

1. **Live and continuous only.** A one-off, draft, paused or closed study invites no
   one when people enter; so does a study for entrants who entered before it launched
   (the launch considered everyone who was a member then).
2. **Period cap.** At most `listening_cap` people are invited by listening in any
   `listening_period_days` days: a rolling window counting the study's invitations
   with source `listening` created in the last `listening_period_days` days. The
   launch's invitations and explicit API ones do not count. Entrants past the room
   left are not kept for later: listening samples who enters (in the study's draw
   order), it does not build a backlog.
3. **Resuming.** While paused, nobody is invited. On resume, the people who entered a
   target segment while the study was paused (since `paused_at`) and are still
   members are treated as one batch of entrants: invited up to the room left in the
   current period, so a long pause never floods anyone's inbox.
4. The quota per segment bounds the launch only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from studies import targeting
from studies.models import Invitation, InvitationSource, Study, StudyMode, StudyStatus
from workspaces.models import Workspace


def listening_room(*, study: Study, now: datetime) -> int:
    """How many more people listening may invite now, within the rolling period."""
    since = now - timedelta(days=study.listening_period_days)
    used = Invitation.objects.filter(
        study=study, source=InvitationSource.LISTENING, created_at__gt=since
    ).count()
    return max(0, study.listening_cap - used)


def listening_studies(*, workspace_id: int, segment_id: int) -> list[int]:
    """Ids of the live continuous studies of the workspace that target `segment_id`."""
    return list(
        Study.objects.filter(
            workspace_id=workspace_id,
            status=StudyStatus.LIVE,
            mode=StudyMode.CONTINUOUS,
            targets__segment_id=segment_id,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def invite_entrants(
    *, study: Study, entrants: targeting.Entrants, now: datetime | None = None
) -> int:
    """Invite the people of `entrants` to a live continuous study, within the period's
    room; returns how many were invited (0 for any other study). The caller queues
    the sending (the task `studies.listen`, or the resume)."""
    now = now or timezone.now()
    row = Study.objects.select_for_update().filter(pk=study.pk).first()
    if row is None or row.status != StudyStatus.LIVE or row.mode != StudyMode.CONTINUOUS:
        return 0
    if row.launched_at is not None and entrants.since < row.launched_at:
        entrants = targeting.Entrants(
            since=row.launched_at, until=entrants.until, segment_id=entrants.segment_id
        )
    if entrants.until < entrants.since:
        return 0
    # Invitations of one workspace take turns, so recontact holds between two studies.
    Workspace.objects.select_for_update(no_key=True).filter(pk=row.workspace_id).first()
    room = listening_room(study=row, now=now)
    return targeting.listening_insert(study=row, now=now, entrants=entrants, room=room)


def catch_up(*, study: Study, paused_at: datetime | None, now: datetime) -> int:
    """On resume: invite who entered a target segment while the study was paused, within
    the period's room (rule 3); call inside the resume's transaction, which queues the sending."""
    if study.mode != StudyMode.CONTINUOUS or paused_at is None:
        return 0
    return invite_entrants(study=study, entrants=targeting.Entrants(paused_at, now), now=now)
