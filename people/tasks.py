"""Celery tasks for people: thin wrappers over the ingestion and erasure services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from people import erasure, ingestion


@shared_task(name="people.fold_seen_ranges", time_limit=600, soft_time_limit=590)
def fold_seen_ranges() -> int:
    """Beat, every minute: apply the people's seen ranges that ingestion queued."""
    return ingestion.fold_seen_ranges()[0]


@shared_task(
    name="people.sweep_erased_person",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=300,
    soft_time_limit=290,
)
def sweep_erased_person(*, person_id: int) -> int:
    """After an erasure: delete rows a batch in flight wrote for the erased person (idempotent)."""
    return erasure.delete_rows_naming(person_id=person_id).total
