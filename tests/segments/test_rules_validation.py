"""Validation of rule definitions: exact messages that name the path of the problem."""

from __future__ import annotations

from typing import Any

import pytest

from segments.models import Segment, SegmentKind
from segments.rules import RuleError, compile_rule, segment_references, validate_definition
from tests.factories import WorkspaceFactory
from workspaces.services import ServiceError

pytestmark = pytest.mark.django_db

EV = {"event": "Pricing Page Viewed"}


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ([], "definition: a condition must be a JSON object"),
        (
            {},
            "definition: a condition needs exactly one of all, any, not, event, trait, "
            "account_trait, segment (found none)",
        ),
        (
            {**EV, "trait": "plan", "op": "is_set"},
            "definition: a condition needs exactly one of "
            "all, any, not, event, trait, account_trait, segment (found event, trait)",
        ),
        (
            {"all": [EV, {**EV, "value": {"gt=": 3}}]},
            'all[1].value: unknown comparator "gt=" '
            "(use one of: gte, gt, lte, lt, eq, neq, between)",
        ),
        ({"all": []}, "all: must be a non-empty list of conditions"),
        (
            {"any": [{"not": {**EV, "color": "red"}}]},
            'any[0].not: unknown key "color" (allowed: agg, by, event, property, value, '
            "where, within_days)",
        ),
        ({"all": [EV], "extra": 1}, 'definition: unknown key "extra" (allowed: all)'),
        (
            {**EV, "agg": "median"},
            'agg: unknown aggregate "median" (use one of: count, sum, '
            "avg, min, max, days_since_last, days_since_first, distinct_days, share)",
        ),
        ({**EV, "agg": "sum"}, 'definition: "sum" needs a "property" (the numeric event property)'),
        (
            {**EV, "property": "amount"},
            'property: only sum, avg, min and max read one, not "count"',
        ),
        ({**EV, "within_days": 0}, "within_days: must be a positive whole number of days, not 0"),
        (
            {**EV, "within_days": 7.0},
            "within_days: must be a positive whole number of days, not 7.0",
        ),
        (
            {**EV, "within_days": True},
            "within_days: must be a positive whole number of days, not True",
        ),
        (
            {**EV, "value": {"between": [5, 1]}},
            "value.between: the low end must not exceed the high end",
        ),
        ({**EV, "value": {"between": 3}}, "value.between: must be a pair of numbers [low, high]"),
        ({**EV, "value": {"gte": "3"}}, 'value.gte: must be a number, not "3"'),
        (
            {**EV, "value": {"gte": 1, "lte": 3}},
            'value: must be one comparison such as {"gte": 3} or {"between": [1, 5]}',
        ),
        ({**EV, "by": "company"}, 'by: must be "account", not "company"'),
        (
            {**EV, "agg": "share"},
            'definition: "share" needs a "where": the events whose share it measures',
        ),
        ({**EV, "where": {"property": "plan"}}, "where: must be a list of property filters"),
        (
            {**EV, "where": [{"property": "plan", "op": "like", "value": "p"}]},
            'where[0].op: unknown op "like" (use one of: eq, neq, gt, gte, lt, lte, contains, in, '
            "is_set, is_not_set)",
        ),
        (
            {**EV, "where": [{"property": "$hour", "op": "eq", "value": 24}]},
            'where[0].value: "$hour" must be a whole number 0 to 23, not 24',
        ),
        (
            {**EV, "where": [{"property": "$weekday", "op": "in", "value": [1, 0]}]},
            "where[0].value[1]: must be one of whole numbers 1 to 7, not 0",
        ),
        (
            {**EV, "where": [{"property": "$date", "op": "gte", "value": "2026-02-30"}]},
            'where[0].value: "$date" must be a date YYYY-MM-DD, not "2026-02-30"',
        ),
        (
            {**EV, "where": [{"property": "$month", "op": "contains", "value": 1}]},
            'where[0].op: "$month" supports eq, gt, gte, in, lt, lte, neq, not "contains"',
        ),
        ({"trait": "plan", "op": "in", "value": "pro"}, 'value: "in" takes a list, not "pro"'),
        (
            {"trait": "plan", "op": "in", "value": [["pro"]]},
            "value[0]: must be one of strings, numbers or booleans, not ['pro']",
        ),
        ({"trait": "plan", "op": "gt", "value": "5"}, 'value: "gt" compares numbers only, not "5"'),
        (
            {"trait": "plan", "op": "gte", "value": False},
            'value: "gte" compares numbers only, not False',
        ),
        ({"trait": "plan", "op": "eq"}, 'definition: "eq" needs a "value"'),
        (
            {"trait": "plan", "op": "eq", "value": None},
            "value: must be a string, number or boolean, not None",
        ),
        ({"trait": "plan", "op": "is_set", "value": True}, 'value: "is_set" takes no value'),
        ({"trait": "", "op": "is_set"}, 'trait: must be a non-empty trait name, not ""'),
        (
            {"account_trait": 3, "op": "is_set"},
            "account_trait: must be a non-empty trait name, not 3",
        ),
        ({"segment": "3"}, 'segment: must be a segment id, not "3"'),
        ({"not": {"segment": 999999}}, "not.segment: no segment 999999 in this workspace"),
    ],
)
def test_invalid_definitions_name_the_path(workspace: Any, definition: Any, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        validate_definition(definition, workspace=workspace)
    assert caught.value.message == message
    assert isinstance(caught.value, ServiceError)
    assert caught.value.field == "definition"


def test_compile_rule_validates_first(workspace: Any) -> None:
    with pytest.raises(RuleError, match=r"^all\[1\]\.value: unknown comparator"):
        compile_rule({"all": [EV, {**EV, "value": {"gt=": 3}}]}, workspace=workspace)


def test_depth_and_size_are_limited(workspace: Any) -> None:
    deep: dict[str, Any] = EV
    for _ in range(12):
        deep = {"not": deep}
    with pytest.raises(RuleError, match="groups may nest at most 12 levels deep"):
        validate_definition(deep, workspace=workspace)
    with pytest.raises(RuleError, match=r"^any\[199\]: a definition may hold at most 200"):
        validate_definition({"any": [EV] * 200}, workspace=workspace)
    validate_definition({"any": [EV] * 199}, workspace=workspace)


def test_segments_of_another_workspace_do_not_exist(workspace: Any) -> None:
    theirs = Segment.objects.create(
        workspace=WorkspaceFactory(), name="Theirs", kind=SegmentKind.STATIC
    )
    with pytest.raises(RuleError, match=f"^segment: no segment {theirs.pk} in this workspace$"):
        validate_definition({"segment": theirs.pk}, workspace=workspace)


def rule_segment(workspace: Any, name: str, definition: dict[str, Any]) -> Segment:
    return Segment.objects.create(
        workspace=workspace, name=name, kind=SegmentKind.RULE, definition=definition
    )


def test_references_must_not_form_a_cycle(workspace: Any) -> None:
    a = rule_segment(workspace, "A", EV)
    b = rule_segment(workspace, "B", {"all": [EV, {"segment": a.pk}]})
    c = rule_segment(workspace, "C", {"not": {"segment": b.pk}})

    with pytest.raises(RuleError) as caught:
        validate_definition({"any": [EV, {"segment": c.pk}]}, workspace=workspace, segment_id=a.pk)

    assert caught.value.message == (
        f"any[1].segment: segment {c.pk} refers back to this one "
        f"({a.pk} → {c.pk} → {b.pk} → {a.pk}): a cycle"
    )
    assert Segment.objects.get(pk=a.pk).definition == EV


def test_a_segment_cannot_refer_to_itself(workspace: Any) -> None:
    a = rule_segment(workspace, "A", EV)
    with pytest.raises(RuleError, match=rf"^segment: segment {a.pk} refers back to this one"):
        validate_definition({"segment": a.pk}, workspace=workspace, segment_id=a.pk)


def test_references_without_a_cycle_are_fine(workspace: Any) -> None:
    a = rule_segment(workspace, "A", EV)
    b = rule_segment(workspace, "B", {"segment": a.pk})
    static = Segment.objects.create(workspace=workspace, name="S", kind=SegmentKind.STATIC)
    validate_definition(
        {"all": [{"segment": b.pk}, {"segment": static.pk}]}, workspace=workspace, segment_id=None
    )
    new = rule_segment(workspace, "New", EV)
    validate_definition({"segment": b.pk}, workspace=workspace, segment_id=new.pk)
    assert segment_references({"all": [{"segment": b.pk}, {"not": {"segment": a.pk}}]}) == {
        a.pk,
        b.pk,
    }
