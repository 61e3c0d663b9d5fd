"""Keeping segments current: scheduled recomputes per workspace, debounced after ingestion."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from graphlib import CycleError, TopologicalSorter

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from segments import jobs
from segments.models import COMPUTED_KINDS, JobStatus, Segment, SegmentKind, SegmentRefresh
from segments.rules import segment_references
from workspaces.models import Workspace

logger = logging.getLogger(__name__)

DEBOUNCE = timedelta(seconds=60)


def refresh_order(segments: list[Segment]) -> list[Segment]:
    """Segments ordered so that a rule segment comes after the segments it refers to."""
    by_id = {s.pk: s for s in segments}
    graph = {
        s.pk: {ref for ref in segment_references(s.definition) if ref in by_id}
        if s.kind == SegmentKind.RULE
        else set()
        for s in segments
    }
    try:
        return [by_id[pk] for pk in TopologicalSorter(graph).static_order()]
    except CycleError:  # validation prevents cycles; never let one stop a refresh
        return sorted(segments, key=lambda s: s.pk)


def refresh_workspace(*, workspace_id: int) -> int:
    """Recompute every active computed segment of a workspace, each as a compute job row
    (progress and failures show on the segment list), in dependency order; returns how
    many finished. A failing segment does not stop the others. Their shares of revenue
    follow in one task, queued when the last compute is done (one read of the revenue
    events for all of them)."""
    SegmentRefresh.objects.get_or_create(workspace_id=workspace_id)
    segments = list(
        Segment.objects.filter(
            workspace_id=workspace_id, is_active=True, kind__in=COMPUTED_KINDS, parent__isnull=True
        ).select_related("workspace")
    )
    computed = 0
    with jobs.revenue_shares_together():
        for segment in refresh_order(segments):
            job = jobs.refresh_job(segment=segment)
            if job is None:
                continue  # a compute of it is queued or running already
            # A definition that no longer validates (e.g. too few people to cluster) fails
            # its own job, with the reason, and the refresh goes on.
            finished = jobs.run_compute(job_id=job.pk)
            if finished is not None and finished.status == JobStatus.DONE:
                computed += 1
            elif finished is not None:
                logger.warning("segment %s not refreshed: %s", segment.pk, finished.error)
    SegmentRefresh.objects.filter(workspace_id=workspace_id).update(
        last_run_at=timezone.now(), scheduled_until=None
    )
    return computed


def due_workspaces(*, now: datetime | None = None) -> list[int]:
    """Workspaces with computed segments whose refresh interval has passed."""
    now = now or timezone.now()
    candidates = Workspace.objects.filter(
        segments__is_active=True, segments__kind__in=COMPUTED_KINDS
    ).distinct()
    last_runs = dict(SegmentRefresh.objects.values_list("workspace_id", "last_run_at"))
    due = []
    for workspace in candidates.only("id", "segment_refresh_minutes"):
        last = last_runs.get(workspace.pk)
        interval = timedelta(minutes=workspace.segment_refresh_minutes)
        if last is None or last <= now - interval:
            due.append(workspace.pk)
    return due


# Per process: until when a refresh is known to be queued, so the ingest hot path
# skips the database while one is pending.
_queued_until: dict[int, datetime] = {}


def request_refresh(*, workspace_id: int, now: datetime | None = None) -> bool:
    """Ask for a refresh soon (after new data); at most one is queued per minute.

    One conditional UPDATE claims the slot, so concurrent ingest processes
    schedule a single task between them. Returns whether this call scheduled it.
    """
    from segments import tasks

    now = now or timezone.now()
    known = _queued_until.get(workspace_id)
    if known is not None and now < known:
        return False
    SegmentRefresh.objects.get_or_create(workspace_id=workspace_id)
    claimed = (
        SegmentRefresh.objects.filter(workspace_id=workspace_id)
        .filter(Q(scheduled_until__isnull=True) | Q(scheduled_until__lt=now))
        .update(scheduled_until=now + DEBOUNCE)
    )
    _queued_until[workspace_id] = now + DEBOUNCE
    if claimed:
        transaction.on_commit(
            lambda: tasks.refresh_workspace.apply_async(
                kwargs={"workspace_id": workspace_id}, countdown=DEBOUNCE.total_seconds()
            )
        )
    return bool(claimed)
