"""The rule grammar's semantics, case by case (DESIGN.md, "Segments"). The same cases run
on PostgreSQL and on SQLite, whichever the suite runs on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from people.models import Person
from segments.models import Segment, SegmentKind, SegmentMembership
from segments.rules import compile_rule, evaluate_rule, preview, rule_people
from tests.segments.rules_helpers import Built, EventSpec, PersonSpec, WorldSpec, build_world

AS_OF = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
DAY = timedelta(days=1)
VIEWED = "Pricing Page Viewed"
LOGGED_IN = "Logged In"

pytestmark = pytest.mark.django_db


def users(built: Built, definition: dict[str, Any], as_of: datetime = AS_OF) -> list[str]:
    ids = evaluate_rule(definition, workspace=built.workspace, as_of=as_of)
    return sorted(p.user_id or "" for p in built.people if p.pk in ids)


def one_event_each(*timestamps: datetime, name: str = VIEWED, **world: Any) -> Built:
    people = [PersonSpec() for _ in timestamps]
    events = [EventSpec(i, name, ts) for i, ts in enumerate(timestamps)]
    return build_world(WorldSpec(people=people, events=events, **world))


# --- windows and as_of ----------------------------------------------------------------


@pytest.fixture
def boundary_world() -> Built:
    # u0 exactly as_of - 7 days, u1 1 µs earlier, u2 exactly as_of, u3 1 µs after as_of.
    return one_event_each(AS_OF - 7 * DAY, AS_OF - 7 * DAY - US, AS_OF, AS_OF + US)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"within_days": 7}, ["u0", "u2"]),
        ({}, ["u0", "u1", "u2"]),
        ({"within_days": 7, "value": {"eq": 0}}, ["u1", "u3"]),
    ],
)
def test_windows_are_inclusive_and_stop_at_as_of(
    boundary_world: Built, condition: dict[str, Any], expected: list[str]
) -> None:
    assert users(boundary_world, {"event": VIEWED, **condition}) == expected


def test_as_of_pins_now(boundary_world: Built) -> None:
    # One µs later the window has moved on: u0 falls out at the start, u3 comes in.
    later = AS_OF + US
    assert users(boundary_world, {"event": VIEWED, "within_days": 7}, later) == ["u2", "u3"]


@pytest.mark.parametrize(
    ("agg", "value", "expected"),
    [
        ("days_since_last", {"eq": 7}, ["u0"]),  # exactly 7 days
        ("days_since_last", {"eq": 6}, ["u1"]),  # 7 days less 1 µs: floor → 6
        ("days_since_last", {"eq": 0}, ["u2"]),
        ("days_since_first", {"gte": 6}, ["u0", "u1"]),
    ],
)
def test_days_since_are_floored_whole_days(
    agg: str, value: dict[str, Any], expected: list[str]
) -> None:
    built = one_event_each(AS_OF - 7 * DAY, AS_OF - 7 * DAY + US, AS_OF - US)
    assert users(built, {"event": VIEWED, "agg": agg, "value": value}) == expected


# --- zero and undefined -----------------------------------------------------------------


@pytest.fixture
def sparse_world() -> Built:
    # u0 has two events with amounts; u1 one event without a numeric amount; u2 nothing.
    return build_world(
        WorldSpec(
            people=[PersonSpec(), PersonSpec(), PersonSpec()],
            events=[
                EventSpec(0, VIEWED, AS_OF - DAY, {"amount": 4}),
                EventSpec(0, VIEWED, AS_OF - 2 * DAY, {"amount": 6}),
                EventSpec(1, VIEWED, AS_OF - DAY, {"amount": "12"}),
            ],
        )
    )


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"value": {"lt": 1}}, ["u2"]),
        ({"value": {"eq": 0}}, ["u2"]),
        ({"value": {"lte": 1}}, ["u1", "u2"]),
        ({"value": {"between": [0, 1]}}, ["u1", "u2"]),
        ({"agg": "sum", "property": "amount", "value": {"eq": 0}}, ["u1", "u2"]),
        ({"agg": "sum", "property": "amount", "value": {"gte": 10}}, ["u0"]),
        ({"agg": "distinct_days", "value": {"lt": 2}}, ["u1", "u2"]),
        ({"value": {"neq": 1}}, ["u0", "u2"]),
    ],
)
def test_counts_sums_and_days_are_zero_over_no_events(
    sparse_world: Built, condition: dict[str, Any], expected: list[str]
) -> None:
    assert users(sparse_world, {"event": VIEWED, **condition}) == expected


@pytest.mark.parametrize(
    "condition",
    [
        {"agg": "avg", "property": "amount", "value": {"lt": 100}},
        {"agg": "min", "property": "amount", "value": {"neq": 5}},
        {"agg": "max", "property": "amount", "value": {"gte": -100}},
        {"agg": "days_since_last", "value": {"gte": 0}},
        {"agg": "days_since_first", "value": {"lt": 1000}},
        {"agg": "share", "where": [{"property": "amount", "op": "is_set"}], "value": {"gte": 0}},
    ],
)
def test_undefined_aggregates_match_no_comparison_and_not_matches_them(
    sparse_world: Built, condition: dict[str, Any]
) -> None:
    condition = {"event": VIEWED, **condition}
    matched = users(sparse_world, condition)
    assert "u2" not in matched
    assert "u2" in users(sparse_world, {"not": condition})
    if condition.get("property"):  # u1's only amount is a string: undefined too
        assert matched == ["u0"]


def test_numeric_aggregates_leave_out_missing_and_non_numbers() -> None:
    amounts = [10, "20", True, None, 2.5, [3]]
    built = build_world(
        WorldSpec(
            people=[PersonSpec()],
            events=[
                EventSpec(0, VIEWED, AS_OF - DAY, {} if a is None else {"amount": a})
                for a in amounts
            ],
        )
    )
    for agg, value in [("sum", 12.5), ("avg", 6.25), ("min", 2.5), ("max", 10)]:
        rule = {"event": VIEWED, "agg": agg, "property": "amount", "value": {"eq": value}}
        assert users(built, rule) == ["u0"], agg


@pytest.mark.parametrize(
    "definition",
    [
        {"not": {"event": "Never Happened"}},
        {"not": {"event": "Never Happened", "agg": "avg", "property": "x", "value": {"gt": 0}}},
        {"not": {"trait": "nothing", "op": "is_set"}},
        {
            "not": {
                "any": [{"event": "Never Happened"}, {"trait": "nothing", "op": "eq", "value": 1}]
            }
        },
    ],
)
def test_not_over_an_empty_set_is_everyone(definition: dict[str, Any]) -> None:
    built = one_event_each(AS_OF - DAY, AS_OF - 2 * DAY)
    assert users(built, definition) == ["u0", "u1"]


# --- traits -----------------------------------------------------------------------------

MIXED = [5, "5", 5.0, [5, "a"], None, "missing", True, 10, "10", 9, "Pro plan"]


@pytest.fixture
def mixed_world() -> Built:
    people = [PersonSpec({} if v == "missing" else {"score": v}) for v in MIXED]
    return build_world(WorldSpec(people=people))


def named(*indexes: int) -> list[str]:
    return sorted(f"u{i}" for i in indexes)


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("eq", 5, named(0, 2)),  # 5 == 5.0, but not "5" and not [5]
        ("eq", "5", named(1)),
        ("eq", True, named(6)),
        ("eq", 1, named()),  # true is not 1
        ("neq", 5, named(1, 3, 4, 5, 6, 7, 8, 9, 10)),  # also absent and null
        ("gt", 9, named(7)),  # 10 > 9 as numbers; "10" is not a number
        ("gte", 5, named(0, 2, 7, 9)),
        ("lt", 10, named(0, 2, 9)),
        ("lte", 5.0, named(0, 2)),
        ("contains", 5, named(3)),
        ("contains", "a", named(3, 10)),  # list membership; substring of "Pro plan"
        ("contains", "1", named(8)),
        ("contains", "plan", named(10)),
        ("in", [5, "10"], named(0, 2, 8)),
        ("in", [], named()),
        ("is_set", None, named(0, 1, 2, 3, 6, 7, 8, 9, 10)),
        ("is_not_set", None, named(4, 5)),
    ],
)
def test_trait_ops_compare_json_values_exactly(
    mixed_world: Built, op: str, value: Any, expected: list[str]
) -> None:
    condition = {"trait": "score", "op": op}
    if op not in ("is_set", "is_not_set"):
        condition["value"] = value
    assert users(mixed_world, condition) == expected


@pytest.mark.parametrize("key", ["motive.pricing.why", "größe", 'say "hi"', "a\\b", "$odd key"])
def test_trait_keys_are_flat_keys_whatever_they_contain(key: str) -> None:
    built = build_world(
        WorldSpec(
            people=[
                PersonSpec({key: "price", "motive": {"pricing": {"why": "price"}}}),
                PersonSpec({"motive": {"pricing": {"why": "price"}}}),
            ]
        )
    )
    assert users(built, {"trait": key, "op": "eq", "value": "price"}) == ["u0"]
    assert users(built, {"trait": key, "op": "contains", "value": "ric"}) == ["u0"]


@pytest.mark.parametrize(
    ("op", "value"), [("eq", "Größe über €"), ("contains", "über"), ("in", ["x", "Größe über €"])]
)
def test_non_ascii_values_compare_as_text(op: str, value: Any) -> None:
    built = build_world(
        WorldSpec(people=[PersonSpec({"size": "Größe über €"}), PersonSpec({"size": "Grosse"})])
    )
    assert users(built, {"trait": "size", "op": op, "value": value}) == ["u0"]
    listed = build_world(WorldSpec(people=[PersonSpec({"tags": ["über", "b"]})]), name="Lists")
    assert users(listed, {"trait": "tags", "op": "contains", "value": "über"}) == ["u0"]


def test_numbers_compare_as_numbers_in_event_properties() -> None:
    built = build_world(
        WorldSpec(
            people=[PersonSpec(), PersonSpec(), PersonSpec()],
            events=[
                EventSpec(0, VIEWED, AS_OF - DAY, {"seats": 10}),
                EventSpec(1, VIEWED, AS_OF - DAY, {"seats": 9}),
                EventSpec(2, VIEWED, AS_OF - DAY, {"seats": "10"}),
            ],
        )
    )
    rule = {"event": VIEWED, "where": [{"property": "seats", "op": "gt", "value": 9}]}
    assert users(built, rule) == ["u0"]


# --- occasions, share, accounts ---------------------------------------------------------

# America/New_York springs forward on 2026-03-08 at 02:00 local (07:00 UTC).
NY_EVENTS = [
    datetime(2026, 3, 7, 14, 30, tzinfo=UTC),  # Sat 09:30 EST
    datetime(2026, 3, 8, 6, 30, tzinfo=UTC),  # Sun 01:30 EST
    datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # Sun 03:30 EDT
    datetime(2026, 3, 9, 13, 30, tzinfo=UTC),  # Mon 09:30 EDT
    datetime(2026, 3, 10, 3, 0, tzinfo=UTC),  # Mon 23:00 EDT (Tuesday in UTC)
]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"property": "$hour", "op": "eq", "value": 9}, ["u0", "u3"]),
        ({"property": "$hour", "op": "in", "value": [1, 3]}, ["u1", "u2"]),
        ({"property": "$hour", "op": "gte", "value": 23}, ["u4"]),
        ({"property": "$weekday", "op": "eq", "value": 7}, ["u1", "u2"]),
        ({"property": "$weekday", "op": "eq", "value": 1}, ["u3", "u4"]),
        ({"property": "$weekday", "op": "eq", "value": 6}, ["u0"]),
        ({"property": "$date", "op": "eq", "value": "2026-03-09"}, ["u3", "u4"]),
        ({"property": "$date", "op": "lt", "value": "2026-03-08"}, ["u0"]),
        ({"property": "$month", "op": "eq", "value": 3}, ["u0", "u1", "u2", "u3", "u4"]),
    ],
)
def test_occasion_filters_read_the_workspace_time_zone_across_dst(
    where: dict[str, Any], expected: list[str]
) -> None:
    built = one_event_each(*NY_EVENTS, time_zone="America/New_York")
    assert users(built, {"event": VIEWED, "where": [where]}) == expected


def test_distinct_days_counts_local_calendar_dates() -> None:
    events = [EventSpec(0, VIEWED, ts) for ts in NY_EVENTS]
    rule = {"event": VIEWED, "agg": "distinct_days", "value": {"eq": 3}}
    new_york = build_world(WorldSpec("America/New_York", people=[PersonSpec()], events=events))
    utc = build_world(WorldSpec("UTC", people=[PersonSpec()], events=events), name="UTC")
    assert users(new_york, rule) == ["u0"]  # Mar 7, 8, 9 in New York
    assert users(utc, rule) == []  # Mar 7, 8, 9, 10 in UTC


def test_share_is_the_fraction_of_the_events_matching_where() -> None:
    early = [datetime(2026, 3, d, 8, tzinfo=UTC) for d in (2, 3, 4)]
    built = build_world(
        WorldSpec(
            people=[PersonSpec(), PersonSpec(), PersonSpec()],
            events=[
                *(EventSpec(0, VIEWED, ts) for ts in early),
                EventSpec(0, VIEWED, datetime(2026, 3, 5, 15, tzinfo=UTC)),
                EventSpec(1, VIEWED, datetime(2026, 3, 5, 15, tzinfo=UTC)),
                EventSpec(1, VIEWED, datetime(2026, 3, 5, 7, tzinfo=UTC)),
                # Events of another name count in no share of VIEWED: over all of the
                # person's events u0 would be at 3/6, u1 at 2/3 and u2 at 1/1.
                EventSpec(0, LOGGED_IN, datetime(2026, 3, 6, 15, tzinfo=UTC)),
                EventSpec(0, LOGGED_IN, datetime(2026, 3, 7, 15, tzinfo=UTC)),
                EventSpec(1, LOGGED_IN, datetime(2026, 3, 6, 7, tzinfo=UTC)),
                EventSpec(2, LOGGED_IN, datetime(2026, 3, 6, 8, tzinfo=UTC)),
            ],
        )
    )
    before_nine = [{"property": "$hour", "op": "lt", "value": 9}]
    share = {"event": VIEWED, "agg": "share", "where": before_nine}
    assert users(built, {**share, "value": {"gte": 0.75}}) == ["u0"]
    assert users(built, {**share, "value": {"eq": 0.5}}) == ["u1"]
    assert users(built, {"not": {**share, "value": {"gte": 0.5}}}) == ["u2"]


@pytest.fixture
def account_world() -> Built:
    # Account 0: u0, u1, u2 one report each. Account 1: u3, u4 one each.
    # u5: no account, three reports; u6: no account, one report.
    accounts = [{"tier": "enterprise", "seats": 50}, {"tier": "startup", "seats": "50"}]
    people = [PersonSpec(account=0)] * 3 + [PersonSpec(account=1)] * 2 + [PersonSpec()] * 2
    events = [EventSpec(i, "Report Viewed", AS_OF - DAY) for i in range(5)]
    events += [EventSpec(5, "Report Viewed", AS_OF - n * DAY) for n in (1, 2, 3)]
    events += [EventSpec(6, "Report Viewed", AS_OF - DAY)]
    return build_world(WorldSpec(accounts=accounts, people=people, events=events))


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (
            {"event": "Report Viewed", "by": "account", "value": {"gte": 3}},
            ["u0", "u1", "u2", "u5"],
        ),
        ({"event": "Report Viewed", "value": {"gte": 3}}, ["u5"]),
        ({"event": "Report Viewed", "by": "account", "value": {"lt": 2}}, ["u6"]),
        ({"account_trait": "tier", "op": "eq", "value": "enterprise"}, ["u0", "u1", "u2"]),
        ({"account_trait": "seats", "op": "gte", "value": 10}, ["u0", "u1", "u2"]),
        ({"account_trait": "tier", "op": "is_not_set"}, ["u5", "u6"]),
        (
            {"account_trait": "tier", "op": "neq", "value": "startup"},
            ["u0", "u1", "u2", "u5", "u6"],
        ),
    ],
)
def test_accounts_pool_events_and_carry_traits(
    account_world: Built, definition: dict[str, Any], expected: list[str]
) -> None:
    assert users(account_world, definition) == expected


# --- segment references ------------------------------------------------------------------


def test_segment_references_read_open_memberships_through_nesting() -> None:
    built = build_world(
        WorldSpec(
            people=[PersonSpec({"plan": "pro"}), PersonSpec({"plan": "pro"}), PersonSpec()],
            open_members=[{0, 2}],
            closed_members=[{1}],
        )
    )
    (listed,) = built.segments
    pro_listed = Segment.objects.create(
        workspace=built.workspace,
        name="Pro and listed",
        kind=SegmentKind.RULE,
        definition={"all": [{"segment": listed.pk}, {"trait": "plan", "op": "eq", "value": "pro"}]},
    )
    assert users(built, {"segment": listed.pk}) == ["u0", "u2"]  # u1's membership is closed
    assert users(built, pro_listed.definition) == ["u0"]
    SegmentMembership.objects.create(segment=pro_listed, person=built.people[0], entered_at=AS_OF)

    assert users(built, {"not": {"segment": pro_listed.pk}}) == ["u1", "u2"]
    assert users(built, {"any": [{"segment": pro_listed.pk}, {"segment": listed.pk}]}) == [
        "u0",
        "u2",
    ]


# --- the public API -------------------------------------------------------------------------


def test_evaluation_is_one_query(sparse_world: Built, django_assert_num_queries: Any) -> None:
    rule = {
        "all": [
            {"event": VIEWED, "value": {"gte": 1}, "within_days": 7},
            {"not": {"event": "Teammate Invited", "within_days": 30}},
            {
                "any": [
                    {"trait": "plan", "op": "is_not_set"},
                    {"account_trait": "x", "op": "is_set"},
                ]
            },
        ]
    }
    with django_assert_num_queries(1):
        assert users(sparse_world, rule) == ["u0", "u1"]


def test_the_compiled_query_works_as_a_subquery(sparse_world: Built) -> None:
    query = compile_rule(
        {"event": VIEWED, "value": {"gte": 2}}, workspace=sparse_world.workspace, as_of=AS_OF
    )
    assert query.sql.startswith("SELECT rp.id AS person_id FROM ")
    people = rule_people(
        {"event": VIEWED, "value": {"gte": 2}}, workspace=sparse_world.workspace, as_of=AS_OF
    )
    assert [p.user_id for p in people] == ["u0"]


def test_rules_only_see_their_own_workspace(sparse_world: Built) -> None:
    other = build_world(
        WorldSpec(people=[PersonSpec()], events=[EventSpec(0, VIEWED, AS_OF - DAY)]), name="Other"
    )
    assert users(other, {"event": VIEWED}) == ["u0"]
    found = evaluate_rule({"event": VIEWED}, workspace=sparse_world.workspace, as_of=AS_OF)
    assert found == {sparse_world.people[0].pk, sparse_world.people[1].pk}


def test_preview_gives_size_and_a_stable_sample_of_user_ids() -> None:
    built = one_event_each(*(AS_OF - n * DAY for n in range(1, 6)))
    built.people[0].user_id = None
    built.people[0].save()

    result = preview({"event": VIEWED}, workspace=built.workspace, as_of=AS_OF, sample=3)

    assert result == {"size": 5, "sample": ["u1", "u2", "u3"]}


def test_preview_counts_members_without_user_ids_and_nobody() -> None:
    built = one_event_each(AS_OF - DAY, AS_OF - 2 * DAY)
    Person.objects.filter(workspace=built.workspace).update(user_id=None)

    found = preview({"event": VIEWED}, workspace=built.workspace, as_of=AS_OF)
    nobody = preview({"event": "Never Sent"}, workspace=built.workspace, as_of=AS_OF)

    assert found == {"size": 2, "sample": []}
    assert nobody == {"size": 0, "sample": []}


def test_preview_evaluates_the_rule_once() -> None:
    # As a compute does: counting and sampling in two statements ran the rule twice.
    built = one_event_each(AS_OF - DAY)
    definition = {"all": [{"event": VIEWED}, {"not": {"event": "Teammate Invited"}}]}
    compiled = compile_rule(definition, workspace=built.workspace, as_of=AS_OF)

    with CaptureQueriesContext(connection) as queries:
        result = preview(definition, workspace=built.workspace, as_of=AS_OF)

    assert result == {"size": 1, "sample": ["u0"]}
    rule_sql = compiled.sql.split(" WHERE ", 1)[0]  # params are inlined in the log
    assert [q["sql"] for q in queries if rule_sql in q["sql"]] == [
        q["sql"] for q in queries if "rule_ids" in q["sql"]
    ]
    assert len([q for q in queries if rule_sql in q["sql"]]) == 1
