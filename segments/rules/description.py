"""Rule definitions read as sentences: "3 or more Pricing Page Viewed in the last 7 days AND
no Teammate Invited in the last 30 days". The builder's preview, the segment page and
the API's readers share this one reading."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

COUNT_WORDS = {
    "gte": "{} or more",
    "gt": "more than {}",
    "lte": "at most {}",
    "lt": "fewer than {}",
    "eq": "exactly {}",
    "neq": "other than {}",
}
VALUE_WORDS = {
    "gte": "is {} or more",
    "gt": "is more than {}",
    "lte": "is at most {}",
    "lt": "is less than {}",
    "eq": "is {}",
    "neq": "is not {}",
}
OP_WORDS = {
    "eq": "is",
    "neq": "is not",
    "gt": "is more than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "contains": "contains",
    "in": "is one of",
    "is_set": "is set",
    "is_not_set": "is not set",
}
AGG_WORDS = {
    "sum": "total",
    "avg": "average",
    "min": "smallest",
    "max": "largest",
}
TIME_PART_WORDS = {
    "$hour": "hour of day",
    "$weekday": "weekday",
    "$month": "month",
    "$date": "date",
}


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, list):
        return ", ".join(_literal(v) for v in value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _op_phrase(op: str, value: Any) -> str:
    words = OP_WORDS.get(op, op)
    return words if op in {"is_set", "is_not_set"} else f"{words} {_literal(value)}"


def _compare(value: Any, words: Mapping[str, str]) -> str:
    if not isinstance(value, dict) or len(value) != 1:
        return words["gte"].format(1)
    ((cmp, operand),) = value.items()
    if cmp == "between" and isinstance(operand, list) and len(operand) == 2:
        verb = "" if words is COUNT_WORDS else "is "
        return f"{verb}between {_literal(operand[0])} and {_literal(operand[1])}"
    return words.get(cmp, cmp + " {}").format(_literal(operand))


def _event(node: Mapping[str, Any]) -> str:
    name = str(node.get("event", "?"))
    agg = node.get("agg", "count")
    value = node.get("value", {"gte": 1})
    if agg == "count":
        text = f"no {name}" if value == {"eq": 0} else f"{_compare(value, COUNT_WORDS)} {name}"
    elif agg == "distinct_days":
        text = f"{name} on {_compare(value, COUNT_WORDS)} different days"
    elif agg in AGG_WORDS:
        text = (
            f"{AGG_WORDS[agg]} {node.get('property', '?')} of {name} {_compare(value, VALUE_WORDS)}"
        )
    elif agg == "days_since_last":
        text = f"days since the last {name} {_compare(value, VALUE_WORDS)}"
    elif agg == "days_since_first":
        text = f"days since the first {name} {_compare(value, VALUE_WORDS)}"
    elif agg == "share":
        text = f"share of {name} {_compare(value, VALUE_WORDS)}"
    else:
        text = f"{agg} of {name} {_compare(value, VALUE_WORDS)}"
    if node.get("where"):
        filters = " and ".join(
            f"{TIME_PART_WORDS.get(f.get('property', ''), f.get('property', '?'))} "
            f"{_op_phrase(f.get('op', 'eq'), f.get('value'))}"
            for f in node["where"]
            if isinstance(f, Mapping)
        )
        text += f" where {filters}"
    if node.get("within_days"):
        days = node["within_days"]
        text += " in the last day" if days == 1 else f" in the last {days} days"
    if node.get("by") == "account":
        text += " (anyone in their account)"
    return text


def describe(node: Any, names: Mapping[int, str] | None = None, *, top: bool = True) -> str:
    """A rule definition as one readable sentence; nested groups in parentheses."""
    names = names or {}
    if not isinstance(node, Mapping):
        return "?"
    for group, joiner in (("all", " AND "), ("any", " OR ")):
        if group in node and isinstance(node[group], list):
            text = joiner.join(describe(child, names, top=False) for child in node[group])
            return text if top or len(node[group]) < 2 else f"({text})"
    if "not" in node:
        return f"NOT {describe(node['not'], names, top=False)}"
    if "event" in node:
        return _event(node)
    if "trait" in node:
        return f"{node['trait']} {_op_phrase(node.get('op', 'eq'), node.get('value'))}"
    if "account_trait" in node:
        return (
            f"account's {node['account_trait']} "
            f"{_op_phrase(node.get('op', 'eq'), node.get('value'))}"
        )
    if "segment" in node:
        ref = node["segment"]
        return f"in segment “{names.get(ref, f'#{ref}')}”"
    return "?"
