"""Share of people, share of revenue, stability and size snapshots after each compute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from people.models import Event, Person
from segments import services
from segments.models import SegmentMembership, SegmentSnapshot
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


def test_shares_after_compute(workspace):
    segment = services.segment_create(
        workspace=workspace, name="Two", kind="static", definition={"user_ids": ["a", "c"]}
    )
    services.segment_compute(segment=segment, as_of=AS_OF)
    segment.refresh_from_db()
    assert segment.size == 2
    assert segment.share_of_people == pytest.approx(0.5)
    assert segment.share_of_revenue == pytest.approx(400 / 500)
    assert segment.stability is None  # nobody was a member 30 days ago


def test_no_revenue_event_configured_means_no_share(workspace):
    workspace.revenue_event = ""
    workspace.save()
    segment = services.segment_create(
        workspace=workspace, name="S", kind="static", definition={"user_ids": ["a"]}
    )
    segment.refresh_from_db()
    assert segment.share_of_revenue is None and segment.share_of_people == pytest.approx(0.25)


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
    from segments.metrics import revenue_shares, share_of_revenue

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
        assert share_of_revenue(segment, now=AS_OF) == pytest.approx(shares[segment.pk])
