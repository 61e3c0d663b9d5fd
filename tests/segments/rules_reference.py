"""A straightforward reference evaluator of the rule grammar, in plain Python.

It restates DESIGN.md's semantics one person at a time, as literally as possible, so the
compiled SQL can be checked against it. Numbers are compared as exact fractions.
"""

from __future__ import annotations

import math
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

TIME_PARTS = ("$hour", "$weekday", "$month", "$date")


@dataclass
class RefEvent:
    person_id: int
    name: str
    properties: dict[str, Any]
    timestamp: datetime


@dataclass
class RefWorld:
    """People: id → (traits, account id or None); accounts: id → traits."""

    people: dict[int, tuple[dict[str, Any], int | None]]
    accounts: dict[int, dict[str, Any]]
    events: list[RefEvent]
    time_zone: str = "UTC"
    open_members: dict[int, set[int]] = field(default_factory=dict)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 5 == 5.0, 5 != "5", true != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) or is_number(b):
        return is_number(a) and is_number(b) and Fraction(a) == Fraction(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def compare(value: Any, op: str, bound: Any) -> bool:
    if op == "between":
        return bool(Fraction(bound[0]) <= value <= Fraction(bound[1]))
    bound = Fraction(bound) if is_number(bound) else bound
    return {
        "eq": lambda: value == bound,
        "neq": lambda: value != bound,
        "gt": lambda: value > bound,
        "gte": lambda: value >= bound,
        "lt": lambda: value < bound,
        "lte": lambda: value <= bound,
    }[op]()


def key_condition(doc: dict[str, Any] | None, key: str, op: str, value: Any) -> bool:
    present = doc is not None and key in doc
    current = doc[key] if present and doc is not None else None
    if op == "eq":
        return present and json_equal(current, value)
    if op == "neq":
        return not key_condition(doc, key, "eq", value)
    if op == "in":
        return present and any(json_equal(current, item) for item in value)
    if op in ("gt", "gte", "lt", "lte"):
        return is_number(current) and compare(Fraction(current), op, value)
    if op == "contains":
        if isinstance(current, str) and isinstance(value, str):
            return value in current
        return isinstance(current, list) and any(json_equal(item, value) for item in current)
    if op == "is_set":
        return present and current is not None
    if op == "is_not_set":
        return not (present and current is not None)
    raise AssertionError(op)


class Reference:
    def __init__(self, world: RefWorld, as_of: datetime) -> None:
        self.world = world
        self.as_of = as_of
        self.zone = zoneinfo.ZoneInfo(world.time_zone)

    def matching(self, definition: dict[str, Any]) -> set[int]:
        return {pid for pid in self.world.people if self.node(definition, pid)}

    def node(self, node: dict[str, Any], pid: int) -> bool:
        if "all" in node:
            return all(self.node(child, pid) for child in node["all"])
        if "any" in node:
            return any(self.node(child, pid) for child in node["any"])
        if "not" in node:
            return not self.node(node["not"], pid)
        if "segment" in node:
            return pid in self.world.open_members.get(node["segment"], set())
        traits, account_id = self.world.people[pid]
        if "trait" in node:
            return key_condition(traits, node["trait"], node["op"], node.get("value"))
        if "account_trait" in node:
            account = self.world.accounts.get(account_id) if account_id is not None else None
            return key_condition(account, node["account_trait"], node["op"], node.get("value"))
        return self.event_condition(node, pid)

    def event_condition(self, node: dict[str, Any], pid: int) -> bool:
        value = self.aggregate(node, pid)
        if value is None:
            return False  # undefined matches no comparison
        ((op, bound),) = node.get("value", {"gte": 1}).items()
        return compare(value, op, bound)

    def pooled_people(self, node: dict[str, Any], pid: int) -> set[int]:
        account_id = self.world.people[pid][1]
        if node.get("by") != "account" or account_id is None:
            return {pid}
        return {other for other, (_, acc) in self.world.people.items() if acc == account_id}

    def in_window(self, node: dict[str, Any], event: RefEvent) -> bool:
        if event.timestamp > self.as_of:
            return False
        days = node.get("within_days")
        return days is None or self.as_of - timedelta(days=days) <= event.timestamp

    def passes(self, node: dict[str, Any], event: RefEvent) -> bool:
        return all(self.filter(item, event) for item in node.get("where") or [])

    def filter(self, item: dict[str, Any], event: RefEvent) -> bool:
        if item["property"] not in TIME_PARTS:
            return key_condition(event.properties, item["property"], item["op"], item.get("value"))
        local = event.timestamp.astimezone(self.zone)
        part = {
            "$hour": local.hour,
            "$weekday": local.isoweekday(),
            "$month": local.month,
            "$date": local.date().isoformat(),
        }[item["property"]]
        if item["op"] == "in":
            return part in item["value"]
        return compare(part, item["op"], item["value"])

    def aggregate(self, node: dict[str, Any], pid: int) -> Any:
        people = self.pooled_people(node, pid)
        events = [
            e
            for e in self.world.events
            if e.person_id in people and e.name == node["event"] and self.in_window(node, e)
        ]
        agg = node.get("agg", "count")
        if agg == "share":
            if not events:
                return None
            return Fraction(sum(self.passes(node, e) for e in events), len(events))
        events = [e for e in events if self.passes(node, e)]
        if agg == "count":
            return len(events)
        if agg == "distinct_days":
            return len({e.timestamp.astimezone(self.zone).date() for e in events})
        if agg in ("days_since_last", "days_since_first"):
            if not events:
                return None
            edge = max if agg == "days_since_last" else min
            return math.floor((self.as_of - edge(e.timestamp for e in events)) / timedelta(days=1))
        prop = node["property"]
        numbers = [
            Fraction(e.properties[prop]) for e in events if is_number(e.properties.get(prop))
        ]
        if agg == "sum":
            return sum(numbers, Fraction(0))
        if not numbers:
            return None
        return {"avg": sum(numbers) / len(numbers), "min": min(numbers), "max": max(numbers)}[agg]
