"""Celery tasks for segments: thin, idempotent wrappers over services."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.db import OperationalError

from segments import jobs, metrics, refresh, services


@shared_task(
    name="segments.refresh_workspace", acks_late=True, time_limit=1800, soft_time_limit=1740
)
def refresh_workspace(*, workspace_id: int) -> int:
    return refresh.refresh_workspace(workspace_id=workspace_id)


@shared_task(name="segments.refresh_due", time_limit=120, soft_time_limit=110)
def refresh_due() -> int:
    """Beat, every five minutes: queue a refresh for each workspace whose interval passed."""
    due = refresh.due_workspaces()
    for workspace_id in due:
        refresh_workspace.delay(workspace_id=workspace_id)
    return len(due)


@shared_task(name="segments.prune_inbound_deliveries", time_limit=120, soft_time_limit=110)
def prune_inbound_deliveries() -> int:
    return services.inbound_deliveries_prune()


@shared_task(name="segments.run_compute_job", acks_late=True, time_limit=1800, soft_time_limit=1740)
def run_compute_job(*, job_id: int) -> str | None:
    job = jobs.run_compute(job_id=job_id)
    return None if job is None else str(job.status)


@shared_task(
    name="segments.record_revenue_shares",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=600,
    soft_time_limit=570,
)
def record_revenue_shares(*, workspace_id: int, segment_ids: list[int], at: str) -> int:
    """After computes commit: their segments' share of revenue up to `at` (ISO 8601)."""
    return metrics.record_revenue_shares(
        workspace_id=workspace_id, segment_ids=segment_ids, at=datetime.fromisoformat(at)
    )
