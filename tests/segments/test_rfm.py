"""RFM against a hand-computed example; equal values get equal scores; tiers and include."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from people.models import Event, Person
from segments import rfm, services
from segments.models import SegmentKind, SegmentMembership
from tests.factories import EventFactory, PersonFactory, WorkspaceFactory
from workspaces.services import ServiceError

AS_OF = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

# user: list of (days before AS_OF, amount)
ORDERS = {
    "ana": [(1, 100), (10, 100), (20, 100), (30, 100)],  # recent, frequent, big
    "ben": [(2, 50), (40, 50), (80, 50)],
    "cy": [(5, 20), (90, 20)],
    "dee": [(200, 10)],  # long ago, once, small
    "eve": [(200, 10)],  # identical to dee: must score identically
    "fox": [(400, 999)],  # outside the 365-day window: not a purchaser
}


@pytest.fixture
def shop(db):
    workspace = WorkspaceFactory()
    people = {}
    for user_id in [*ORDERS, "gus"]:
        people[user_id] = Person.objects.create(workspace=workspace, user_id=user_id)
    events = [
        Event(
            workspace=workspace,
            person=people[u],
            name="Order Completed",
            properties={"amount": amount},
            timestamp=AS_OF - timedelta(days=days),
            message_id=f"{u}-{i}",
        )
        for u, orders in ORDERS.items()
        for i, (days, amount) in enumerate(orders)
    ]
    events.append(
        Event(
            workspace=workspace,
            person=people["gus"],
            name="Order Completed",
            properties={"amount": "n/a"},
            timestamp=AS_OF - timedelta(days=3),
            message_id="gus-0",
        )
    )
    events.append(
        Event(
            workspace=workspace,
            person=people["gus"],
            name="Logged In",
            properties={"amount": 5000},
            timestamp=AS_OF,
            message_id="gus-1",
        )
    )
    Event.objects.bulk_create(events)
    return workspace


def scores_of(segment) -> dict[str, dict]:
    rows = SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True)
    return {m.person.user_id: m.scores for m in rows.select_related("person")}


def test_hand_computed_scores(shop):
    segment = services.segment_create(
        workspace=shop,
        name="RFM",
        kind=SegmentKind.RFM,
        definition={"event": "Order Completed", "monetary_property": "amount", "bins": 5},
    )
    diff = services.segment_compute(segment=segment, as_of=AS_OF)
    assert (diff.size, diff.entered) == (6, 6)
    scores = scores_of(segment)
    # n = 6 purchasers (fox is outside the window). Ranks → score = (rank-1)*5//6 + 1.
    # recency_days desc: dee 200, eve 200 (rank 1), cy 5 (3), gus 3 (4), ben 2 (5), ana 1 (6)
    # frequency asc: dee 1, eve 1, gus 1 (rank 1), cy 2 (4), ben 3 (5), ana 4 (6)
    # monetary asc: gus 0 (1), dee 10, eve 10 (2), cy 40 (4), ben 150 (5), ana 400 (6)
    assert scores["ana"] == {
        "recency_days": 1,
        "frequency": 4,
        "monetary": 400,
        "r": 5,
        "f": 5,
        "m": 5,
        "tier": "Champions",
    }
    assert scores["ben"] == {
        "recency_days": 2,
        "frequency": 3,
        "monetary": 150,
        "r": 4,
        "f": 4,
        "m": 4,
        "tier": "Loyal Customers",
    }
    assert (scores["cy"]["r"], scores["cy"]["f"], scores["cy"]["m"]) == (2, 3, 3)
    assert scores["cy"]["tier"] == "At Risk"
    assert scores["gus"]["r"] == 3
    assert scores["dee"] == scores["eve"]
    assert (scores["dee"]["r"], scores["dee"]["f"], scores["dee"]["m"]) == (1, 1, 1)
    assert scores["dee"]["tier"] == "Lost"
    # gus bought once with a non-numeric amount: monetary 0, still a purchaser.
    assert scores["gus"]["monetary"] == 0 and scores["gus"]["frequency"] == 1
    assert "fox" not in scores


def test_include_picks_tiers_and_recompute_tracks_exits(shop):
    segment = services.segment_create(
        workspace=shop,
        name="Best",
        kind=SegmentKind.RFM,
        definition={"event": "Order Completed", "include": ["Champions", "Loyal Customers"]},
    )
    services.segment_compute(segment=segment, as_of=AS_OF)
    assert set(scores_of(segment)) == {"ana", "ben"}
    # A year later everyone's purchases have left the window.
    diff = services.segment_compute(segment=segment, as_of=AS_OF + timedelta(days=400))
    assert (diff.size, diff.exited) == (0, 2)


# Four purchasers, two bins: the bin edge falls between the 2nd and 3rd rank, and "mid1"
# and "mid2" tie on every value there. Tie-aware ranking puts both in bin 1; numbering
# the rows (ROW_NUMBER) would push one of them over the edge into bin 2.
STRADDLING = {
    "old": [(300, 10)],
    "mid1": [(100, 10), (150, 10)],
    "mid2": [(100, 10), (150, 10)],
    "new": [(1, 10), (2, 10), (3, 10)],
}


def test_ties_straddling_a_bin_edge_share_the_lower_score(db):
    workspace = WorkspaceFactory()
    for user_id, orders in STRADDLING.items():
        person = PersonFactory(workspace=workspace, user_id=user_id)
        for days, amount in orders:
            EventFactory(
                person=person,
                name="Order Completed",
                properties={"amount": amount},
                timestamp=AS_OF - timedelta(days=days),
            )
    segment = services.segment_create(
        workspace=workspace,
        name="RFM",
        kind=SegmentKind.RFM,
        definition={"event": "Order Completed", "monetary_property": "amount", "bins": 2},
    )

    services.segment_compute(segment=segment, as_of=AS_OF)

    # recency desc: old 300 (rank 1), mid1/mid2 100 (rank 2), new 1 (rank 4);
    # frequency and monetary asc: old (1), mid1/mid2 (2), new (4). Score = (rank-1)*2//4 + 1.
    scores = {user: (s["r"], s["f"], s["m"]) for user, s in scores_of(segment).items()}
    assert scores == {"old": (1, 1, 1), "mid1": (1, 1, 1), "mid2": (1, 1, 1), "new": (2, 2, 2)}


@pytest.mark.parametrize(
    "r,f,m,bins,tier",
    [
        (5, 5, 5, 5, "Champions"),
        (1, 1, 1, 5, "Lost"),
        (1, 5, 5, 5, "Can't Lose Them"),
        (5, 1, 1, 5, "New Customers"),
        (4, 1, 1, 5, "Promising"),
        (3, 3, 3, 5, "Need Attention"),
        (2, 4, 3, 5, "At Risk"),
        (3, 2, 1, 5, "About To Sleep"),
        (4, 2, 3, 5, "Potential Loyalist"),
        (2, 1, 2, 5, "Hibernating"),
        (3, 3, 3, 3, "Champions"),
        (1, 1, 1, 10, "Lost"),
    ],
)
def test_tier_map(r, f, m, bins, tier):
    assert rfm.tier_of(r, f, m, bins) == tier


def test_every_tier_is_reachable():
    reached = {rfm.tier_of(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    assert reached == set(rfm.TIERS) and len(rfm.TIERS) == 11


@pytest.mark.parametrize(
    "definition,message",
    [
        ({}, "definition.event"),
        ({"event": "Order Completed", "bins": 1}, "definition.bins"),
        ({"event": "Order Completed", "window_days": 0}, "definition.window_days"),
        ({"event": "Order Completed", "include": ["Best"]}, "unknown tier 'Best'"),
        ({"event": "Order Completed", "colour": "red"}, 'unknown key "colour"'),
    ],
)
def test_invalid_definitions(db, definition, message):
    workspace = WorkspaceFactory()
    with pytest.raises(ServiceError, match=message):
        services.segment_create(
            workspace=workspace, name="RFM", kind=SegmentKind.RFM, definition=definition
        )
