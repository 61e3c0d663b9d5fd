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


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_each_example_validates_compiles_and_runs(kind: str) -> None:
    definition = worked_examples()[kind]
    built = build_world(
        WorldSpec(
            time_zone="Europe/Berlin",
            accounts=[{"employees": 120}],
            people=[PersonSpec({"plan": "free", "nps": 10}, account=0), PersonSpec()],
            events=[EventSpec(0, "Pricing Page Viewed", AS_OF - timedelta(days=1))],
        )
    )
    validate_definition(definition, workspace=built.workspace)

    matched = evaluate_rule(definition, workspace=built.workspace, as_of=AS_OF)

    assert matched <= {p.pk for p in built.people}


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
