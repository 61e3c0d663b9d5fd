"""Celery tasks of the interviews app: thin, idempotent wrappers over its modules."""

from __future__ import annotations

import random

from celery import Task, shared_task
from django.db import DatabaseError

from interviews import traits
from interviews.models import Interview

MAX_RETRIES = 5


@shared_task(
    bind=True,
    name="interviews.write_traits",
    acks_late=True,
    max_retries=MAX_RETRIES,
    time_limit=120,
    soft_time_limit=100,
)
def write_traits(self: Task, *, interview_id: int) -> bool:
    """Write a completed interview's structured answers to its person. Idempotent (one
    identify per interview, by messageId); a missing interview or person is nothing to do."""
    interview = Interview.objects.select_related("study", "person").filter(pk=interview_id).first()
    if interview is None:
        return False
    try:
        return traits.traits_write(interview=interview)
    except DatabaseError as exc:  # a lost connection or a deadlock: try again later
        countdown = min(30.0 * 2**self.request.retries, 600.0) * random.uniform(0.8, 1.2)  # noqa: S311
        raise self.retry(exc=exc, countdown=countdown) from exc
