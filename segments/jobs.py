"""Compute jobs: a recompute a researcher asks for, run by a worker, followed in the UI.

`request_compute` is idempotent while a job is unfinished (asking twice joins the
first job); the task is scheduled on commit. `run_compute` claims the job under a
row lock, so a redelivered task never runs a finished job twice, and it always
leaves the job finished: done with the counts, or failed with a message.

A compute's follow-up, the share of revenue of what it computed, is queued the same
way, on commit (`request_revenue_shares`); inside `revenue_shares_together` the
requests of many computes (a cluster's children, a workspace refresh) become one task
per workspace, so a year of revenue events is read once for all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from segments.models import JobStatus, Segment, SegmentComputeJob
from workspaces.services import ServiceError

logger = logging.getLogger(__name__)

# A job unfinished this long lost its worker (the task's hard time limit is 30 minutes).
STALE_AFTER = timedelta(minutes=35)


def _close_stale(segment: Segment) -> None:
    SegmentComputeJob.objects.filter(
        segment=segment,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        requested_at__lt=timezone.now() - STALE_AFTER,
    ).update(
        status=JobStatus.FAILED,
        finished_at=timezone.now(),
        error="The worker stopped before finishing; ask again.",
    )


def request_compute(*, segment: Segment, requested_by: User | None = None) -> SegmentComputeJob:
    """Queue a recompute of `segment`, or return the one already queued or running."""
    from segments import tasks

    _close_stale(segment)
    unfinished = SegmentComputeJob.objects.filter(
        segment=segment, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    )
    job = unfinished.first()
    if job is not None:
        return job
    try:
        with transaction.atomic():
            job = SegmentComputeJob.objects.create(segment=segment, requested_by=requested_by)
            job_id = job.pk
            transaction.on_commit(lambda: tasks.run_compute_job.delay(job_id=job_id))
    except IntegrityError:
        # Another request queued one a moment ago: join it.
        return unfinished.get()
    return job


def run_compute(*, job_id: int) -> SegmentComputeJob | None:
    """Run a queued job; None when it is gone or already finished."""
    from segments import services

    with transaction.atomic():
        job = (
            SegmentComputeJob.objects.select_for_update()
            .select_related("segment__workspace")
            .filter(pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
            .first()
        )
        if job is None:
            return None
        job.status, job.started_at = JobStatus.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])

    def progress(percent: int, stage: str) -> None:
        SegmentComputeJob.objects.filter(pk=job_id).update(
            progress=max(0, min(100, percent)), stage=stage[:120]
        )

    progress(5, "Starting")
    try:
        diff = services.segment_compute(segment=job.segment, progress=progress)
    except ServiceError as exc:
        job.status, job.error = JobStatus.FAILED, exc.message
    except Exception:
        logger.exception("compute job %s failed", job_id)
        job.status, job.error = JobStatus.FAILED, "Something went wrong; it has been logged."
    else:
        job.status, job.progress, job.stage = JobStatus.DONE, 100, "Done"
        job.size, job.entered, job.exited = diff.size, diff.entered, diff.exited
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "error",
            "size",
            "entered",
            "exited",
            "finished_at",
            *(["progress", "stage"] if job.status == JobStatus.DONE else []),
        ]
    )
    return job


def refresh_job(*, segment: Segment) -> SegmentComputeJob | None:
    """A job row for a scheduled refresh of `segment`, to be run in place by the refresh
    (which keeps dependency order); None when a compute of it is already queued or
    running: that one brings it up to date."""
    _close_stale(segment)
    try:
        with transaction.atomic():
            return SegmentComputeJob.objects.create(segment=segment)
    except IntegrityError:
        return None


def latest_job(*, segment: Segment) -> SegmentComputeJob | None:
    return SegmentComputeJob.objects.filter(segment=segment).first()


@dataclass
class RevenueSharesRequest:
    """Segments of one workspace whose share of revenue is to be recorded, and the end
    of the 365-day window: the time of the latest compute among them."""

    at: datetime
    segment_ids: set[int] = field(default_factory=set)


# The requests gathered by the enclosing `revenue_shares_together` block, by workspace.
_gathering: ContextVar[dict[int, RevenueSharesRequest] | None] = ContextVar(
    "revenue_shares_gathering", default=None
)


def request_revenue_shares(*, segment: Segment, at: datetime) -> None:
    """Record `segment`'s share of revenue as of `at` in a task once the transaction
    commits (at once outside one), or with the others of the enclosing
    `revenue_shares_together` block when it ends."""
    gathering = _gathering.get()
    if gathering is None:
        _queue_revenue_shares(workspace_id=segment.workspace_id, segment_ids=[segment.pk], at=at)
        return
    request = gathering.setdefault(segment.workspace_id, RevenueSharesRequest(at=at))
    request.segment_ids.add(segment.pk)
    request.at = max(request.at, at)


@contextmanager
def revenue_shares_together() -> Iterator[None]:
    """Gather the share-of-revenue requests of the computes inside into one task per
    workspace, queued when the block ends (also when it raises: what was committed still
    gets its share). A block inside another joins the outer one."""
    if _gathering.get() is not None:
        yield
        return
    gathered: dict[int, RevenueSharesRequest] = {}
    token = _gathering.set(gathered)
    try:
        yield
    finally:
        _gathering.reset(token)
        for workspace_id, request in gathered.items():
            _queue_revenue_shares(
                workspace_id=workspace_id, segment_ids=sorted(request.segment_ids), at=request.at
            )


def _queue_revenue_shares(*, workspace_id: int, segment_ids: list[int], at: datetime) -> None:
    from segments import tasks

    transaction.on_commit(
        lambda: tasks.record_revenue_shares.delay(
            workspace_id=workspace_id, segment_ids=segment_ids, at=at.isoformat()
        )
    )
