"""Celery tasks for reports: thin, idempotent wrappers over the generation job."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from reports import generation, refresh


@shared_task(name="reports.generate", acks_late=True, time_limit=1800, soft_time_limit=1740)
def generate(*, report_id: int) -> str | None:
    """Generate a report; a redelivery of a claimed or finished one does nothing."""
    report = generation.run_generation(report_id=report_id)
    return None if report is None else str(report.status)


def generate_after_commit(*, report_id: int) -> None:
    """Queue the generation once the transaction commits (at once outside one)."""
    transaction.on_commit(lambda: generate.delay(report_id=report_id))


@shared_task(name="reports.regenerate_due")
def regenerate_due() -> int:
    """Beat: regenerate continuous studies' latest reports that new interviews outdated."""
    return refresh.regenerate_due()
