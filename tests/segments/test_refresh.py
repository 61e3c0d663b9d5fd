"""Scheduled and debounced segment refreshes, and the compute tasks on a real worker."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from config.celery import app
from people.models import Event, Person
from segments import refresh, services, tasks
from segments.models import Segment, SegmentComputeJob, SegmentRefresh
from segments.tasks import refresh_workspace as refresh_task
from tests.factories import WorkspaceFactory
from tests.worker import redis_worker


def seed(workspace) -> None:
    people = [Person.objects.create(workspace=workspace, user_id=u) for u in ("a", "b")]
    Event.objects.create(
        workspace=workspace,
        person=people[0],
        name="Signed Up",
        timestamp=timezone.now() - timedelta(hours=1),
        message_id="m1",
    )


def test_referenced_segments_are_computed_first(db):
    workspace = WorkspaceFactory()
    seed(workspace)
    base = services.segment_create(
        workspace=workspace, name="Signed up", kind="rule", definition={"event": "Signed Up"}
    )
    derived = services.segment_create(
        workspace=workspace,
        name="Not signed up",
        kind="rule",
        definition={"not": {"segment": base.pk}},
    )
    order = refresh.refresh_order([derived, base])
    assert [s.pk for s in order] == [base.pk, derived.pk]
    assert refresh.refresh_workspace(workspace_id=workspace.pk) == 2
    derived.refresh_from_db()
    assert derived.size == 1  # only "b": correct because "Signed up" was computed first


def test_refresh_skips_static_external_and_inactive_and_survives_bad_segments(db):
    workspace = WorkspaceFactory()
    seed(workspace)
    services.segment_create(
        workspace=workspace, name="List", kind="static", definition={"user_ids": ["a"]}
    )
    inactive = services.segment_create(
        workspace=workspace, name="Old", kind="rule", definition={"event": "Signed Up"}
    )
    services.segment_update(segment=inactive, is_active=False)
    services.segment_create(
        workspace=workspace,
        name="Clusters",
        kind="cluster",
        definition={"features": [{"event": "Signed Up"}], "k": 2},
    )
    good = services.segment_create(
        workspace=workspace, name="Good", kind="rule", definition={"event": "Signed Up"}
    )
    # The cluster segment cannot be computed (one person with events): it is logged, not fatal.
    assert refresh.refresh_workspace(workspace_id=workspace.pk) == 1
    good.refresh_from_db()
    assert good.size == 1 and good.computed_at is not None
    assert SegmentRefresh.objects.get(workspace=workspace).last_run_at is not None


def test_a_refresh_queues_one_revenue_share_task_for_all_its_segments(
    db, django_capture_on_commit_callbacks
):
    workspace = WorkspaceFactory()
    seed(workspace)
    computed = [
        services.segment_create(
            workspace=workspace, name=name, kind="rule", definition={"event": "Signed Up"}
        )
        for name in ("One", "Two", "Three")
    ]
    with (
        mock.patch.object(tasks.record_revenue_shares, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert refresh.refresh_workspace(workspace_id=workspace.pk) == 3
    # One task, one read of the revenue events, for the three; the 365-day window ends
    # with the last of their computes.
    delay.assert_called_once()
    last_compute = max(
        Segment.objects.filter(workspace=workspace).values_list("computed_at", flat=True)
    )
    assert delay.call_args.kwargs == {
        "workspace_id": workspace.pk,
        "segment_ids": sorted(s.pk for s in computed),
        "at": last_compute.isoformat(),
    }
    assert set(
        Segment.objects.filter(workspace=workspace).values_list(
            "share_of_revenue_pending", flat=True
        )
    ) == {True}


def test_due_workspaces_follow_their_interval(db):
    now = timezone.now()
    fast, slow, empty = (WorkspaceFactory(segment_refresh_minutes=m) for m in (10, 120, 10))
    for workspace in (fast, slow):
        Segment.objects.create(
            workspace=workspace, name="R", kind="rule", definition={"event": "X"}
        )
        SegmentRefresh.objects.create(workspace=workspace, last_run_at=now - timedelta(minutes=30))
    assert refresh.due_workspaces(now=now) == [fast.pk]
    assert empty.pk not in refresh.due_workspaces(now=now + timedelta(days=1))


def test_refresh_requests_are_debounced(db, django_capture_on_commit_callbacks):
    workspace = WorkspaceFactory()
    now = timezone.now()
    with mock.patch("segments.tasks.refresh_workspace.apply_async") as schedule:
        with django_capture_on_commit_callbacks(execute=True):
            assert refresh.request_refresh(workspace_id=workspace.pk, now=now) is True
            assert (
                refresh.request_refresh(workspace_id=workspace.pk, now=now + timedelta(seconds=30))
                is False
            )
        assert schedule.call_count == 1
        assert schedule.call_args.kwargs == {
            "kwargs": {"workspace_id": workspace.pk},
            "countdown": 60.0,
        }
        with django_capture_on_commit_callbacks(execute=True):
            assert (
                refresh.request_refresh(workspace_id=workspace.pk, now=now + timedelta(seconds=61))
                is True
            )
        assert schedule.call_count == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_refresh_task_runs_on_a_redis_worker_as_job_rows():
    workspace = WorkspaceFactory()
    seed(workspace)
    segment = services.segment_create(
        workspace=workspace, name="Signed up", kind="rule", definition={"event": "Signed Up"}
    )
    with redis_worker(queues="segments"):
        refresh_task.delay(workspace_id=workspace.pk)
        deadline = time.monotonic() + 20
        while (
            time.monotonic() < deadline
            and not SegmentComputeJob.objects.filter(segment=segment, status="done").exists()
        ):
            time.sleep(0.1)
    segment.refresh_from_db()
    assert segment.size == 1 and segment.computed_at is not None
    job = SegmentComputeJob.objects.get(segment=segment)
    assert (job.status, job.progress, job.size) == ("done", 100, 1)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_share_of_revenue_follows_a_refresh_on_the_segments_queue():
    workspace = WorkspaceFactory()
    seed(workspace)
    people = dict(Person.objects.filter(workspace=workspace).values_list("user_id", "id"))
    Event.objects.bulk_create(
        Event(
            workspace=workspace,
            person_id=people[user_id],
            name="Order Completed",
            properties={"amount": amount},
            timestamp=timezone.now() - timedelta(days=2),
            message_id=f"order-{user_id}",
        )
        for user_id, amount in (("a", 50), ("b", 150))
    )
    segment = services.segment_create(
        workspace=workspace, name="Signed up", kind="rule", definition={"event": "Signed Up"}
    )
    assert app.amqp.router.route({}, "segments.record_revenue_shares")["queue"].name == "segments"
    with redis_worker(queues="segments"):
        refresh_task.delay(workspace_id=workspace.pk)
        deadline = time.monotonic() + 20
        while (
            time.monotonic() < deadline
            and not Segment.objects.filter(
                pk=segment.pk, share_of_revenue_at__isnull=False, share_of_revenue_pending=False
            ).exists()
        ):
            time.sleep(0.1)
    segment.refresh_from_db()
    assert segment.size == 1 and segment.share_of_revenue == pytest.approx(50 / 200)
    assert segment.share_of_revenue_at == segment.computed_at
    assert segment.share_of_revenue_pending is False


def test_ingestion_requests_a_refresh_once_per_minute(
    workspace_with_key, django_capture_on_commit_callbacks
):
    workspace, client = workspace_with_key
    event = {
        "type": "track",
        "userId": "u1",
        "event": "Signed Up",
        "timestamp": timezone.now().isoformat(),
    }
    with (
        mock.patch("segments.tasks.refresh_workspace.apply_async") as schedule,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = client.post(
            "/api/v1/ingest/batch", {"batch": [event | {"messageId": "m1"}]}, format="json"
        )
        second = client.post(
            "/api/v1/ingest/batch", {"batch": [event | {"messageId": "m2"}]}, format="json"
        )
        duplicate_only = client.post(
            "/api/v1/ingest/batch", {"batch": [event | {"messageId": "m2"}]}, format="json"
        )
    assert [r.json()["accepted"] for r in (first, second, duplicate_only)] == [1, 1, 0]
    assert schedule.call_count == 1
    assert schedule.call_args.kwargs["kwargs"] == {"workspace_id": workspace.pk}
    assert SegmentRefresh.objects.get(workspace=workspace).scheduled_until is not None


@pytest.fixture
def workspace_with_key(db):
    from tests.conftest import bearer_client
    from tests.factories import make_api_key
    from workspaces.models import KeyScope

    workspace = WorkspaceFactory()
    return workspace, bearer_client(make_api_key(workspace, KeyScope.INGEST)[1])
