"""Every rule definition in docs/segments.md validates, compiles and runs."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from segments.rules import evaluate_rule, validate_definition
from tests.segments.rules_helpers import EventSpec, PersonSpec, WorldSpec, build_world

DOC = Path(__file__).resolve().parents[2] / "docs" / "segments.md"
KINDS = [
    "Purchase behavior",
    "Usage rate",
    "Occasion",
    "Benefits sought",
    "Loyalty",
    "Journey stage",
    "Channel engagement",
    "Intent signals",
]
AS_OF = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def worked_examples() -> dict[str, Any]:
    """Heading of each worked example → its ```json definition."""
    text = DOC.read_text().split("## Worked examples", 1)[1]
    found = re.findall(r"^### \d+\. ([^—\n]+?) —.*?```json\n(.*?)```", text, re.M | re.S)
    return {kind: json.loads(body) for kind, body in found}


def test_the_doc_has_one_example_per_kind_of_segmentation() -> None:
    assert list(worked_examples()) == KINDS


def ago(person: int, name: str, days: float, **properties: Any) -> EventSpec:
    return EventSpec(person, name, AS_OF - timedelta(days=days), properties)


def at(person: int, name: str, when: datetime, **properties: Any) -> EventSpec:
    return EventSpec(person, name, when, properties)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


ORDER, SESSION, EXPORT = "Order Completed", "Session Started", "Report Exported"

# Per example: a world in Europe/Berlin (UTC+1 in early March) whose people each pass or
# just miss it, and the indexes of the people it must find (exactly these).
WORLDS: dict[str, tuple[list[PersonSpec], list[EventSpec], set[int]]] = {
    "Purchase behavior": (
        [PersonSpec() for _ in range(4)],
        [
            *(ago(0, ORDER, d, amount=a) for d, a in ((5, 100), (60, 80))),  # avg 90
            *(ago(1, ORDER, d, amount=a) for d, a in ((5, 100), (60, 50))),  # avg 75
            ago(2, ORDER, 5, amount=200),  # one order
            *(ago(3, ORDER, d, amount=100) for d in (5, 100)),  # one in 90 days
        ],
        {0},
    ),
    "Usage rate": (
        [PersonSpec() for _ in range(3)],
        [
            *(ago(0, SESSION, d) for d in range(1, 13)),  # 12 days
            *(ago(0, EXPORT, 1) for _ in range(50)),
            *(ago(1, SESSION, d + h / 24) for d in range(1, 12) for h in (0, 1)),  # 11 days
            *(ago(1, EXPORT, 1) for _ in range(50)),
            *(ago(2, SESSION, d) for d in range(1, 13)),
            *(ago(2, EXPORT, 1) for _ in range(49)),  # one export short
        ],
        {0},
    ),
    "Occasion": (
        [PersonSpec() for _ in range(4)],
        [
            # 2 of 3 orders on weekend mornings (Sat 7th, Sun 1st, 09:00 Berlin).
            *(at(0, ORDER, utc(d, 8)) for d in (7, 1, 4)),
            # 2 of 4: a share of 0.5 is not more than half.
            *(at(1, ORDER, utc(d, 8)) for d in (7, 1, 4, 5)),
            *(at(2, ORDER, utc(d, 8)) for d in (7, 1)),  # two orders only
            # 11:30 UTC is 12:30 in Berlin: afternoon there, though morning in UTC.
            *(at(3, ORDER, utc(d, 11, 30)) for d in (7, 1, 8)),
        ],
        {0},
    ),
    "Benefits sought": (
        [
            PersonSpec({"motive.pricing.why": "the price went up"}),
            PersonSpec({"motive.pricing.themes": ["Speed", "Price sensitivity"]}),
            PersonSpec(),
            PersonSpec({"motive.pricing.why": "too slow", "motive.pricing.themes": ["Speed"]}),
        ],
        [
            *(ago(2, ORDER, d, coupon="SPRING") for d in (10, 100)),
            ago(3, ORDER, 10, coupon="SPRING"),
            ago(3, ORDER, 100),  # one coupon order only
        ],
        {0, 1, 2},
    ),
    "Loyalty": (
        [PersonSpec({"nps": 9}), PersonSpec({"nps": 8}), PersonSpec({"nps": 10})] * 2,
        [
            *(ago(0, ORDER, d) for d in (400, 10)),
            *(ago(1, ORDER, d) for d in (400, 10)),  # NPS 8
            *(ago(2, ORDER, d) for d in (300, 10)),  # first order under a year ago
            *(ago(3, ORDER, d) for d in (366, 30.5)),  # 30 whole days: still recent
            *(ago(5, ORDER, d) for d in (400, 31)),  # last order 31 days ago
        ],
        {0, 3},
    ),
    "Journey stage": (
        [PersonSpec({"plan": "free"})] * 3 + [PersonSpec({"plan": "pro"})],
        [
            *(ago(p, name, 2) for p in range(4) for name in ("Signed Up", "Project Created")),
            ago(1, "Subscription Started", 100),  # ever, not just lately
            ago(2, "Signed Up", 20),
        ],
        {0, 2},
    ),
    "Channel engagement": (
        [PersonSpec() for _ in range(4)],
        [
            *(ago(p, "Email Clicked", 1) for p in (0, 1, 3) for _ in range(3)),
            *(ago(2, "Email Clicked", 1) for _ in range(2)),
            ago(0, SESSION, 1, platform="web"),
            ago(1, SESSION, 1, platform="ios"),
            ago(3, SESSION, 40, platform="android"),  # outside the 30 days
        ],
        {0, 3},
    ),
    "Intent signals": (
        [PersonSpec(account=0), PersonSpec(account=0), PersonSpec(account=1), PersonSpec()],
        [
            ago(0, "Pricing Page Viewed", 1),
            ago(1, "Pricing Page Viewed", 2),
            ago(1, "Pricing Page Viewed", 3),
            *(ago(2, "Pricing Page Viewed", 1) for _ in "abc"),  # a 10-person account
            *(ago(3, "Pricing Page Viewed", 1) for _ in "abc"),  # no account, no employees
            ago(1, "Teammate Invited", 40),
        ],
        {0, 1},
    ),
}


def test_every_example_has_a_world() -> None:
    assert list(WORLDS) == KINDS


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_each_example_finds_exactly_its_people(kind: str) -> None:
    definition = worked_examples()[kind]
    people, events, expected = WORLDS[kind]
    built = build_world(
        WorldSpec(
            time_zone="Europe/Berlin",
            accounts=[{"employees": 120}, {"employees": 10}],
            people=people,
            events=events,
        )
    )
    validate_definition(definition, workspace=built.workspace)

    matched = evaluate_rule(definition, workspace=built.workspace, as_of=AS_OF)

    assert {i for i, person in enumerate(built.people) if person.pk in matched} == expected


@pytest.mark.django_db
def test_the_intent_example_finds_the_account() -> None:
    built = build_world(
        WorldSpec(
            accounts=[{"employees": 120}, {"employees": 10}],
            people=[PersonSpec(account=0), PersonSpec(account=0), PersonSpec(account=1)],
            events=[
                EventSpec(0, "Pricing Page Viewed", AS_OF - timedelta(days=1)),
                EventSpec(1, "Pricing Page Viewed", AS_OF - timedelta(days=2)),
                EventSpec(1, "Pricing Page Viewed", AS_OF - timedelta(days=3)),
                *(EventSpec(2, "Pricing Page Viewed", AS_OF - timedelta(days=1)) for _ in "abc"),
                EventSpec(1, "Teammate Invited", AS_OF - timedelta(days=40)),
            ],
        )
    )
    matched = evaluate_rule(
        worked_examples()["Intent signals"], workspace=built.workspace, as_of=AS_OF
    )
    assert matched == {built.people[0].pk, built.people[1].pk}
