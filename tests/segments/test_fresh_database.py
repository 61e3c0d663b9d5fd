"""Computes plan well on freshly loaded data, before anything has analyzed it (issue 14).

25,000 people, 70,000 purchases and 39,000 other events are bulk-loaded with
generate_series and committed, with autovacuum off on the tables, and then a rule, an
RFM and a cluster segment are computed through the services, as the API does. The
planner can only have the statistics the computes gather themselves. Sizes follow from
the generating formulas; wall times are printed, not asserted (benchmarks/ measures
speed; benchmarks/RESULTS.md has the before and after).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.db import connection

from people.models import Event
from segments import services
from segments.models import Segment, SegmentKind, SegmentMembership
from tests.factories import WorkspaceFactory
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db(transaction=True)  # committed, as after an import

AS_OF = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PEOPLE = 25_000
CUSTOMERS = 23_570  # people 1..23,570 buy: the first 22,860 three times, the rest twice
PURCHASES = 70_000
LOGINS = 29_000  # people 10,001..24,500, twice each
LOGIN_FIRST, LOGIN_PEOPLE = 10_001, 14_500
VIEWS = 10_000  # people 24,001..25,000: page views only, no feature event
TABLES = ("segments_person", "segments_event", "segments_account", "segments_segmentmembership")

# Person p is user "u<p>"; events find their person by user id, as an import does.
LOAD = """
INSERT INTO segments_person (workspace_id, user_id, traits, trait_times, first_seen, last_seen)
SELECT %(ws)s, 'u' || p, jsonb_build_object('plan', (ARRAY['free','pro','team'])[1 + p %% 3]),
       '{}'::jsonb, %(as_of)s, %(as_of)s
FROM generate_series(1, %(people)s) p;

INSERT INTO segments_event (workspace_id, person_id, name, properties, timestamp, message_id,
                            received_at)
SELECT %(ws)s, sp.id, e.name, e.properties, e.timestamp, e.message_id, %(as_of)s
FROM (
  SELECT 1 + (g - 1) %% %(customers)s AS p, 'Order Completed' AS name,
         jsonb_build_object('amount', g %% 200 + 1) AS properties,
         %(as_of)s - make_interval(days => (g * 37) %% 360, hours => g %% 24) AS timestamp,
         'o' || g AS message_id
  FROM generate_series(1, %(purchases)s) g
  UNION ALL
  SELECT %(login_first)s + (g - 1) %% %(login_people)s, 'Logged In', '{}'::jsonb,
         %(as_of)s - make_interval(days => g %% 60), 'l' || g
  FROM generate_series(1, %(logins)s) g
  UNION ALL
  SELECT 24001 + (g - 1) %% 1000, 'Page Viewed', '{}'::jsonb,
         %(as_of)s - make_interval(days => g %% 90), 'v' || g
  FROM generate_series(1, %(views)s) g
) e
JOIN segments_person sp ON sp.workspace_id = %(ws)s AND sp.user_id = 'u' || e.p;
"""

RULE = {
    "all": [
        {"event": "Order Completed", "value": {"gte": 3}, "within_days": 365},
        {"event": "Logged In"},
        {"trait": "plan", "op": "eq", "value": "pro"},
    ]
}
RFM = {"event": "Order Completed", "monetary_property": "amount", "window_days": 365}
CLUSTER = {"features": [{"event": "Order Completed"}, {"event": "Logged In"}], "k": 3, "seed": 0}


def plan(p: int) -> str:
    return ("free", "pro", "team")[p % 3]


def purchases_of(p: int) -> list[int]:
    """The purchase numbers g of the person at position p (1-based)."""
    return list(range(p, PURCHASES + 1, CUSTOMERS))


@pytest.fixture
def no_autovacuum() -> Iterator[None]:
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's; SQLite plans without them")
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    yield
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"ALTER TABLE {table} RESET (autovacuum_enabled)")


@pytest.fixture
def loaded(no_autovacuum: None) -> Workspace:
    workspace = WorkspaceFactory(revenue_event="Order Completed", revenue_property="amount")
    with connection.cursor() as cursor:
        cursor.execute(
            LOAD,
            {
                "ws": workspace.pk,
                "as_of": AS_OF,
                "people": PEOPLE,
                "customers": CUSTOMERS,
                "purchases": PURCHASES,
                "login_first": LOGIN_FIRST,
                "login_people": LOGIN_PEOPLE,
                "logins": LOGINS,
                "views": VIEWS,
            },
        )
    return workspace


def reltuples(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        return float(cursor.fetchone()[0])


def timed_compute(segment: Segment, capsys: pytest.CaptureFixture[str]) -> int:
    started = time.perf_counter()
    diff = services.segment_compute(segment=segment, as_of=AS_OF)
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n  fresh-data {segment.kind} compute: {seconds:.2f} s, {diff.size:,} members")
    return diff.size


def test_rule_rfm_and_cluster_computes_on_a_fresh_load_are_exact(
    loaded: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = loaded
    events = PURCHASES + LOGINS + VIEWS
    # Given: the load is there, and the statistics know nothing of it.
    assert Event.objects.filter(workspace=workspace).count() == events
    assert reltuples("segments_event") < events / 10
    assert reltuples("segments_person") < PEOPLE / 10

    rule = services.segment_create(
        workspace=workspace, name="Pro repeat buyers", kind=SegmentKind.RULE, definition=RULE
    )
    rfm = services.segment_create(
        workspace=workspace, name="Customers", kind=SegmentKind.RFM, definition=RFM
    )
    cluster = services.segment_create(
        workspace=workspace, name="Usage", kind=SegmentKind.CLUSTER, definition=CLUSTER
    )

    # When / then: each compute has the size the formulas give.
    three_times = range(1, PURCHASES - 2 * CUSTOMERS + 1)
    logged_in = range(LOGIN_FIRST, LOGIN_FIRST + LOGIN_PEOPLE)
    expected_rule = sum(1 for p in three_times if p in logged_in and plan(p) == "pro")
    assert timed_compute(rule, capsys) == expected_rule == 4286
    # The compute brought the statistics up to date with the load.
    assert reltuples("segments_event") == pytest.approx(events, rel=0.01)
    assert reltuples("segments_person") == pytest.approx(PEOPLE, rel=0.01)

    assert timed_compute(rfm, capsys) == CUSTOMERS
    scored = SegmentMembership.objects.filter(segment=rfm, exited_at__isnull=True)
    assert scored.filter(scores__isnull=False).count() == CUSTOMERS
    for p in (1, 22_860, 22_861, CUSTOMERS):
        scores = scored.get(person__user_id=f"u{p}").scores
        orders = purchases_of(p)
        assert (scores["frequency"], float(scores["monetary"])) == (
            len(orders),
            float(sum(g % 200 + 1 for g in orders)),
        )

    clustered = LOGIN_FIRST + LOGIN_PEOPLE - 1  # people 1..24,500 bought or logged in
    assert timed_compute(cluster, capsys) == clustered == 24_500
    children = Segment.objects.filter(parent=cluster, is_active=True)
    assert children.count() == 3
    assert sum(child.size for child in children) == clustered
