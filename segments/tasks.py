"""Celery tasks for segments: thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task

from segments import jobs, refresh, services


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
