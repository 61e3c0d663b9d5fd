"""Delivering invitations through the study's channel, and expiring them on schedule.

`invitations_send` walks a live study's pending invitations in id order, a chunk at
a time. For each chunk, one short transaction **claims** the rows: it locks them
(`SELECT … FOR UPDATE SKIP LOCKED`, so a concurrent run takes other rows instead of
waiting), marks those the channel cannot reach with `send_error` (no email address:
never tried again), and moves the others `pending → sent` with `sent_at` (an UPDATE
guarded by `status = 'pending'`), then commits. Only then is each message handed to
the channel. Two runs, sequential or concurrent, therefore deliver an invitation at
most once: whoever commits the claim owns it, the other no longer sees it pending.

The guarantee is **at most once**, chosen over at least once because a second copy
of an invitation email cannot be taken back, while a missing one can be noticed and
re-sent: a process that dies between the claim's commit and the hand-off leaves at
most one chunk (`CHUNK`) marked sent without having been sent; nothing is ever sent
without its `sent` record committed first. After the hand-off:

- a temporary failure (the mail server busy or unreachable, a 4xx reply) puts the
  invitation back to `pending` with `send_attempts` + 1, for the task's next retry
  (with backoff); at `MAX_SEND_ATTEMPTS` it is recorded as failed instead;
- a permanent failure (a 5xx reply) puts it back to `pending` with `send_error`, which
  the API shows and which keeps it from being tried again;
- an invitation whose person opted out, or that expired, before its turn is not sent:
  the claim takes only `pending` rows of people without an opt-out, and each
  delivery re-reads that its row is still `sent` (an opt-out in between wins).

A study whose channel is `link` sends nothing (its links are exported as CSV); a
paused or closed study sends nothing, and resuming sends what is still pending.

A run is queued when invitations are created (launch, explicit invites), on resume and
on a switch to a delivering channel; beat also queues one every few minutes for each
live study with something left to send (`studies_with_pending`), which catches a queue
message lost with its broker and invitations created by other paths (continuous
listening).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from studies.channels import (
    Channel,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    channel_get,
    channel_names,
)
from studies.invitation_messages import invitation_message
from studies.models import Invitation, InvitationStatus, OptOut, Study, StudyStatus

logger = logging.getLogger(__name__)

CHUNK: Final = 100
MAX_SEND_ATTEMPTS: Final = 5
OPEN_STATUSES: Final = (InvitationStatus.PENDING, InvitationStatus.SENT, InvitationStatus.OPENED)


@dataclass
class SendReport:
    """What one run did: delivered, failed for good, unreachable, and left for a retry."""

    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    deferred: int = 0


def invitations_send(
    *, study_id: int, now: datetime | None = None, chunk: int = CHUNK
) -> SendReport:
    """Deliver the pending invitations of a live study through its channel (idempotent)."""
    report = SendReport()
    study = Study.objects.select_related("workspace").filter(pk=study_id).first()
    if study is None or study.status != StudyStatus.LIVE:
        return report
    channel = channel_get(study.channel)
    if channel is None:  # "link": the links are exported, Motive sends nothing
        return report
    after = 0
    while True:
        claimed, unreachable, last_id = _claim(
            study, channel, after=after, chunk=chunk, now=now or timezone.now()
        )
        if last_id is None:
            return report
        after = last_id
        report.unreachable += unreachable
        with channel.batch():
            for invitation in claimed:
                _deliver(study, channel, invitation, report)


def _sendable(study: Study, *, after: int, now: datetime) -> QuerySet[Invitation]:
    opted_out = OptOut.objects.filter(
        workspace_id=OuterRef("workspace_id"), person_id=OuterRef("person_id")
    )
    return (
        Invitation.objects.filter(
            study=study,
            status=InvitationStatus.PENDING,
            send_error="",
            pk__gt=after,
            expires_at__gt=now,
        )
        .filter(~Exists(opted_out))
        .order_by("pk")
    )


@transaction.atomic
def _claim(
    study: Study, channel: Channel, *, after: int, chunk: int, now: datetime
) -> tuple[list[Invitation], int, int | None]:
    """Lock the next chunk, record the unreachable, mark the rest sent; commit on return.

    Returns the claimed invitations, how many were unreachable, and the last id seen
    (None when nothing is left)."""
    rows = list(
        _sendable(study, after=after, now=now)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("person")[:chunk]
    )
    if not rows:
        return [], 0, None
    reasons: dict[str, list[int]] = defaultdict(list)
    reachable = []
    for invitation in rows:
        reason = channel.unreachable(invitation)
        if reason is None:
            reachable.append(invitation)
        else:
            reasons[reason[:500]].append(invitation.pk)
    for reason, ids in reasons.items():
        Invitation.objects.filter(pk__in=ids).update(send_error=reason)
    Invitation.objects.filter(
        pk__in=[i.pk for i in reachable], status=InvitationStatus.PENDING
    ).update(status=InvitationStatus.SENT, sent_at=now)
    for invitation in reachable:
        invitation.status, invitation.sent_at = InvitationStatus.SENT, now
    unreachable = sum(len(ids) for ids in reasons.values())
    return reachable, unreachable, rows[-1].pk


def _deliver(study: Study, channel: Channel, invitation: Invitation, report: SendReport) -> None:
    mine = Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.SENT)
    if not mine.exists():  # opted out (or expired) since the claim
        return
    message = invitation_message(invitation=invitation, study=study, workspace=study.workspace)
    try:
        channel.send(invitation, message)
    except TemporaryDeliveryError as error:
        if invitation.send_attempts + 1 >= MAX_SEND_ATTEMPTS:
            reason = f"Gave up after {MAX_SEND_ATTEMPTS} attempts: {error}"
            _record_failure(mine, reason, attempted=True)
            report.failed += 1
        else:
            mine.update(
                status=InvitationStatus.PENDING,
                sent_at=None,
                send_attempts=F("send_attempts") + 1,
            )
            report.deferred += 1
    except PermanentDeliveryError as error:
        _record_failure(mine, str(error))
        report.failed += 1
    except Exception as error:  # a fault of the backend or a bug: record it, don't resend
        logger.exception("Invitation %s: the %s channel failed", invitation.pk, channel.name)
        _record_failure(mine, f"Delivery failed: {type(error).__name__}: {error}")
        report.failed += 1
    else:
        report.sent += 1


def _record_failure(mine: QuerySet[Invitation], reason: str, *, attempted: bool = False) -> None:
    changes: dict[str, object] = {
        "status": InvitationStatus.PENDING,
        "sent_at": None,
        "send_error": reason[:500],
    }
    if attempted:
        changes["send_attempts"] = F("send_attempts") + 1
    mine.update(**changes)


def studies_with_pending(*, now: datetime | None = None) -> list[int]:
    """Ids of the live studies with a delivering channel and pending invitations that a
    run would send (one query, on the partial index of pending invitations)."""
    pending = Invitation.objects.filter(
        study_id=OuterRef("pk"),
        status=InvitationStatus.PENDING,
        send_error="",
        expires_at__gt=now or timezone.now(),
    )
    delivering = [name for name in channel_names() if channel_get(name) is not None]
    return list(
        Study.objects.filter(status=StudyStatus.LIVE, channel__in=delivering)
        .filter(Exists(pending))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def invitations_expire(*, now: datetime | None = None) -> int:
    """Mark unfinished invitations past their expiry as expired; one UPDATE, idempotent.
    Run by beat (`studies.expire_invitations`)."""
    return Invitation.objects.filter(
        status__in=OPEN_STATUSES, expires_at__lt=now or timezone.now()
    ).update(status=InvitationStatus.EXPIRED)
