"""Celery tasks for people: thin wrappers over the ingestion services."""

from __future__ import annotations

from celery import shared_task

from people import ingestion


@shared_task(name="people.fold_seen_ranges", time_limit=600, soft_time_limit=590)
def fold_seen_ranges() -> int:
    """Beat, every minute: apply the people's seen ranges that ingestion queued."""
    return ingestion.fold_seen_ranges()[0]
