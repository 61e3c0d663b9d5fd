"""Share of people, share of revenue, stability and size snapshots after each compute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from people.models import Event, Person
from segments import metrics, services, tasks
from segments.models import Segment, SegmentMembership, SegmentSnapshot
from tests.factories import WorkspaceFactory

AS_OF = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.fixture
def workspace(db):
    workspace = WorkspaceFactory(revenue_event="Order Completed", revenue_property="amount")
    people = {u: Person.objects.create(workspace=workspace, user_id=u) for u in "abcd"}
    orders = {"a": [300, 100], "b": [100], "c": ["free"], "d": []}
    Event.objects.bulk_create(
        Event(
            workspace=workspace,
            person=people[u],
            name="Order Completed",
            properties={"amount": amount},
            timestamp=AS_OF - timedelta(days=i + 1),
            message_id=f"{u}{i}",
        )
        for u, amounts in orders.items()
        for i, amount in enumerate(amounts)
    )
    # An order older than the 365-day revenue window does not count.
    Event.objects.create(
        workspace=workspace,
        person=people["b"],
        name="Order Completed",
        properties={"amount": 10_000},
        timestamp=AS_OF - timedelta(days=400),
        message_id="old",
    )
    return workspace


def test_shares_after_compute(workspace, django_capture_on_commit_callbacks):
    segment = services.segment_create(
        workspace=workspace, name="Two", kind="static", definition={"user_ids": ["a", "c"]}
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.segment_compute(segment=segment, as_of=AS_OF)
    segment.refresh_from_db()
    assert segment.size == 2
    assert segment.share_of_people == pytest.approx(0.5)
    assert segment.share_of_revenue == pytest.approx(400 / 500)
    assert (segment.share_of_revenue_at, segment.share_of_revenue_pending) == (AS_OF, False)
    assert segment.stability is None  # nobody was a member 30 days ago


def test_the_compute_leaves_the_share_of_revenue_to_one_task_queued_on_commit(
    workspace, django_capture_on_commit_callbacks
):
    segment = services.segment_create(
        workspace=workspace, name="Two", kind="static", definition={"user_ids": ["a", "c"]}
    )
    with (
        mock.patch.object(metrics, "revenue_shares", wraps=metrics.revenue_shares) as read,
        django_capture_on_commit_callbacks() as queued,
    ):
        services.segment_compute(segment=segment, as_of=AS_OF)
    # No revenue was read, and the segment says its share is still to come.
    assert read.call_count == 0
    segment.refresh_from_db()
    assert segment.size == 2 and segment.share_of_people == pytest.approx(0.5)
    assert (segment.share_of_revenue, segment.share_of_revenue_pending) == (None, True)
    with mock.patch.object(tasks.record_revenue_shares, "delay") as delay:
        for callback in queued:
            callback()
    delay.assert_called_once_with(
        workspace_id=workspace.pk, segment_ids=[segment.pk], at=AS_OF.isoformat()
    )


def test_the_follow_up_task_records_the_shares_as_of_the_compute(workspace):
    one = services.segment_create(
        workspace=workspace, name="One", kind="static", definition={"user_ids": ["a"]}
    )
    two = services.segment_create(
        workspace=workspace, name="Two", kind="static", definition={"user_ids": ["b", "c", "d"]}
    )
    gone = services.segment_create(
        workspace=workspace, name="Gone", kind="static", definition={"user_ids": ["a"]}
    )
    gone_id = gone.pk
    gone.delete()
    with mock.patch.object(metrics, "revenue_shares", wraps=metrics.revenue_shares) as read:
        recorded = tasks.record_revenue_shares.delay(
            workspace_id=workspace.pk, segment_ids=[one.pk, two.pk, gone_id], at=AS_OF.isoformat()
        ).get()
    assert recorded == 2 and read.call_count == 1  # one read of the revenue events for both
    shares = dict(Segment.objects.filter(workspace=workspace).values_list("pk", "share_of_revenue"))
    assert shares == {one.pk: pytest.approx(400 / 500), two.pk: pytest.approx(100 / 500)}
    assert set(
        Segment.objects.filter(workspace=workspace).values_list(
            "share_of_revenue_at", "share_of_revenue_pending"
        )
    ) == {(AS_OF, False)}
    # A workspace deleted since: nothing to record, quietly.
    assert (
        tasks.record_revenue_shares.delay(
            workspace_id=0, segment_ids=[one.pk], at=AS_OF.isoformat()
        ).get()
        == 0
    )


def test_a_pending_share_keeps_the_last_figure_and_its_time(
    workspace, django_capture_on_commit_callbacks
):
    segment = services.segment_create(
        workspace=workspace, name="Two", kind="static", definition={"user_ids": ["a", "c"]}
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.segment_compute(segment=segment, as_of=AS_OF)
    services.segment_compute(segment=segment, as_of=AS_OF + timedelta(days=1))
    segment.refresh_from_db()
    assert segment.share_of_revenue == pytest.approx(400 / 500)
    assert (segment.share_of_revenue_at, segment.share_of_revenue_pending) == (AS_OF, True)


def test_no_revenue_event_configured_means_no_share(workspace, django_capture_on_commit_callbacks):
    workspace.revenue_event = ""
    workspace.save()
    with (
        mock.patch.object(tasks.record_revenue_shares, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        segment = services.segment_create(
            workspace=workspace, name="S", kind="static", definition={"user_ids": ["a"]}
        )
    segment.refresh_from_db()
    assert segment.share_of_revenue is None and segment.share_of_people == pytest.approx(0.25)
    # Nothing to wait for: not pending, and no follow-up queued.
    assert segment.share_of_revenue_pending is False and delay.call_count == 0


def test_stability_counts_members_of_30_days_ago_still_in(workspace):
    segment = services.segment_create(workspace=workspace, name="S", kind="external", definition={})
    people = dict(Person.objects.values_list("user_id", "id"))
    long_ago = AS_OF - timedelta(days=40)
    SegmentMembership.objects.bulk_create(
        [
            SegmentMembership(segment=segment, person_id=people["a"], entered_at=long_ago),
            SegmentMembership(segment=segment, person_id=people["b"], entered_at=long_ago),
            SegmentMembership(
                segment=segment,
                person_id=people["c"],
                entered_at=long_ago,
                exited_at=AS_OF - timedelta(days=5),
            ),
            SegmentMembership(
                segment=segment,
                person_id=people["d"],
                entered_at=long_ago,
                exited_at=AS_OF - timedelta(days=35),
            ),  # gone before the lookback
        ]
    )
    services.segment_members_push(segment=segment, add=[], remove=["b"])
    segment.refresh_from_db()
    # Members 30 days ago: a, b, c. Still members now: a.
    assert segment.stability == pytest.approx(1 / 3)


def test_each_compute_leaves_a_snapshot(workspace):
    segment = services.segment_create(
        workspace=workspace,
        name="Buyers",
        kind="rule",
        definition={"event": "Order Completed", "within_days": 30},
    )
    services.segment_compute(segment=segment, as_of=AS_OF)
    services.segment_compute(segment=segment, as_of=AS_OF + timedelta(days=30))
    snapshots = list(
        SegmentSnapshot.objects.filter(segment=segment).values_list("size", "entered", "exited")
    )
    assert snapshots == [(3, 3, 0), (0, 0, 3)]


def test_revenue_shares_of_several_segments_match_one_at_a_time(workspace):
    from segments.metrics import revenue_shares

    one = services.segment_create(
        workspace=workspace, name="One", kind="static", definition={"user_ids": ["a"]}
    )
    two = services.segment_create(
        workspace=workspace, name="Two", kind="static", definition={"user_ids": ["b", "c", "d"]}
    )
    empty = services.segment_create(
        workspace=workspace, name="None", kind="static", definition={"user_ids": []}
    )
    shares = revenue_shares(workspace, [one.pk, two.pk, empty.pk], now=AS_OF)
    assert shares == {
        one.pk: pytest.approx(400 / 500),
        two.pk: pytest.approx(100 / 500),
        empty.pk: 0.0,
    }
    for segment in (one, two, empty):
        alone = revenue_shares(workspace, [segment.pk], now=AS_OF)[segment.pk]
        assert alone == pytest.approx(shares[segment.pk])
