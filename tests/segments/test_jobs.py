"""Compute jobs: one unfinished job per segment, always finished, never run twice."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from people.models import Event, Person
from segments import jobs, services
from segments.models import JobStatus, SegmentComputeJob
from tests.factories import WorkspaceFactory
from tests.worker import redis_worker


def rule_segment(workspace):
    person = Person.objects.create(workspace=workspace, user_id="a")
    Event.objects.create(
        workspace=workspace,
        person=person,
        name="Signed Up",
        timestamp=timezone.now() - timedelta(hours=1),
        message_id="m1",
    )
    return services.segment_create(
        workspace=workspace, name="S", kind="rule", definition={"event": "Signed Up"}
    )


def test_run_finishes_the_job_and_a_redelivery_does_nothing(db):
    segment = rule_segment(WorkspaceFactory())
    job = jobs.request_compute(segment=segment)
    assert job.status == JobStatus.QUEUED
    done = jobs.run_compute(job_id=job.pk)
    assert (done.status, done.size, done.entered, done.exited) == ("done", 1, 1, 0)
    assert done.started_at <= done.finished_at
    assert jobs.run_compute(job_id=job.pk) is None  # redelivered task: already finished
    assert jobs.run_compute(job_id=10**9) is None  # gone


def test_a_stale_job_is_closed_so_a_new_one_can_start(db):
    segment = rule_segment(WorkspaceFactory())
    stale = jobs.request_compute(segment=segment)
    SegmentComputeJob.objects.filter(pk=stale.pk).update(
        status=JobStatus.RUNNING, requested_at=timezone.now() - timedelta(hours=1)
    )
    fresh = jobs.request_compute(segment=segment)
    assert fresh.pk != stale.pk
    stale.refresh_from_db()
    assert stale.status == JobStatus.FAILED and "worker stopped" in stale.error


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_requested_compute_runs_on_a_redis_worker():
    segment = rule_segment(WorkspaceFactory())
    with redis_worker(queues="segments"):
        job = jobs.request_compute(segment=segment)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_finished:
                break
            time.sleep(0.1)
    assert (job.status, job.size) == ("done", 1)
    segment.refresh_from_db()
    assert segment.size == 1
