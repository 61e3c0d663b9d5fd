"""Celery tasks for studies: thin, idempotent wrappers over `studies.sending` and
`studies.listening`."""

from __future__ import annotations

import random
from datetime import datetime

from celery import Task, shared_task
from django.db import OperationalError, transaction

from studies import channels, listening, sending, targeting
from studies.models import Study

# Retries of a run that left invitations for later (temporary delivery failures): with
# the first run, as many runs as attempts an invitation gets, so the last records it.
SEND_RETRIES = sending.MAX_SEND_ATTEMPTS - 1


def retry_delay(retries: int) -> float:
    """Exponential backoff with jitter: about 1, 2, 4, 8, 16 minutes, at most an hour."""
    return min(60.0 * 2**retries, 3600.0) * random.uniform(0.8, 1.2)  # noqa: S311


@shared_task(
    bind=True,
    name="studies.send_invitations",
    acks_late=True,
    max_retries=SEND_RETRIES,
    time_limit=1800,
    soft_time_limit=1740,
)
def send_invitations(self: Task, *, study_id: int) -> int:
    """Deliver a study's pending invitations; retried with backoff while some failed
    temporarily. Running it twice, or two at once, sends each invitation once."""
    report = sending.invitations_send(study_id=study_id)
    if report.deferred and self.request.retries < SEND_RETRIES:
        raise self.retry(countdown=retry_delay(self.request.retries))
    return report.sent


@shared_task(name="studies.send_due", time_limit=120, soft_time_limit=110)
def send_due() -> int:
    """Beat, every ten minutes: queue a send for each live study with invitations left
    to send (a lost queue message, invitations from continuous listening)."""
    due = sending.studies_with_pending()
    for study_id in due:
        send_invitations.delay(study_id=study_id)
    return len(due)


@shared_task(name="studies.expire_invitations", time_limit=300, soft_time_limit=280)
def expire_invitations() -> int:
    """Beat, hourly: open invitations past their expiry become `expired`."""
    return sending.invitations_expire()


def send_after_commit(*, study: Study) -> None:
    """Once the transaction commits (at once outside one), deliver the study's pending
    invitations through its channel; nothing for a `link` study."""
    if channels.channel_get(study.channel) is None:
        return
    study_id = study.pk
    transaction.on_commit(lambda: send_invitations.delay(study_id=study_id))


@shared_task(
    name="studies.listen",
    acks_late=True,
    # A lost connection or a deadlock with a concurrent launch is worth another try;
    # the rerun is safe (see below).
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    time_limit=600,
    soft_time_limit=570,
)
def listen(*, study_id: int, segment_id: int, entered_at: str) -> int:
    """Invite one segment's entrants of one membership diff (`entered_at`, ISO 8601) to a
    continuous study, then send. Idempotent: a rerun finds them already invited."""
    study = Study.objects.filter(pk=study_id).first()
    if study is None:
        return 0
    at = datetime.fromisoformat(entered_at)
    entrants = targeting.Entrants(since=at, until=at, segment_id=segment_id)
    invited = listening.invite_entrants(study=study, entrants=entrants)
    if invited:
        send_after_commit(study=study)
    return invited
