"""Predicates over one key of a JSON document (traits, event properties), over an event's
local time (`$hour`, `$weekday`, `$month`, `$date`), and numeric comparisons (CMP).

Every predicate is two-valued: an absent key or a value of the wrong type is false,
never NULL, so `not` over it is exact.
"""

from __future__ import annotations

from typing import Any

from segments.rules import grammar as g
from segments.rules.dialects import Dialect
from segments.rules.sql import SQL, param, params_list, sql, truth

OPERATORS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
TIME_PART_NAMES = {"$hour": "hour", "$weekday": "weekday", "$month": "month", "$date": "date"}


def comparison(expression: SQL, cmp: dict[str, Any], dialect: Dialect) -> SQL:
    """`expression` against a CMP such as {"gte": 3} or {"between": [1, 5]}; NULL never matches."""
    ((comparator, bound),) = cmp.items()
    if comparator == "between":
        low, high = (dialect.number(end) for end in bound)
        return sql("{} BETWEEN {} AND {}", expression, low, high)
    return sql(f"{{}} {OPERATORS[comparator]} {{}}", expression, dialect.number(bound))


def comparison_holds(value: float, cmp: dict[str, Any]) -> bool:
    """Whether a defined aggregate `value` satisfies `cmp` (used for the 0 of empty sets)."""
    ((comparator, bound),) = cmp.items()
    if comparator == "between":
        return bool(bound[0] <= value <= bound[1])
    checks = {
        "eq": value == bound,
        "neq": value != bound,
        "gt": value > bound,
        "gte": value >= bound,
        "lt": value < bound,
        "lte": value <= bound,
    }
    return checks[comparator]


def key_predicate(dialect: Dialect, doc: str, key: str, op: str, value: Any = None) -> SQL:
    """A trait or property condition (`op` from OPS) on the flat key `key` of `doc`."""
    if op == "neq":
        return sql("NOT {}", key_predicate(dialect, doc, key, "eq", value))
    if op == "is_not_set":
        return sql("NOT {}", key_predicate(dialect, doc, key, "is_set"))
    if op in ("eq", "in"):
        values = [value] if op == "eq" else value
        return truth(dialect.json_in(doc, key, values)) if values else SQL("FALSE")
    if op in g.ORDER_OPS:
        number = dialect.json_number(doc, key)
        return truth(sql(f"{{}} {OPERATORS[op]} {{}}", number, dialect.number(value)))
    if op == "contains":
        member = dialect.json_list_has(doc, key, value)
        if not isinstance(value, str):
            return truth(member)
        substring = dialect.has_substring(dialect.json_string(doc, key), value)
        return truth(sql("{} OR {}", substring, member))
    if op == "is_set":
        return truth(dialect.json_is_set(doc, key))
    raise ValueError(f"unknown op {op!r}")  # validation keeps this unreachable


def time_predicate(dialect: Dialect, timestamp: str, time_zone: str, item: dict[str, Any]) -> SQL:
    """`$hour`, `$weekday`, `$month` as integers; `$date` as YYYY-MM-DD text, whose order is
    date order."""
    local = dialect.local_part(timestamp, TIME_PART_NAMES[item["property"]], time_zone)
    op, value = item["op"], item["value"]
    if op == "in":
        return sql("{} IN ({})", local, params_list(value)) if value else SQL("FALSE")
    return sql(f"{{}} {OPERATORS[op]} {{}}", local, param(value))


def filter_predicate(
    dialect: Dialect, *, doc: str, timestamp: str, time_zone: str, item: dict[str, Any]
) -> SQL:
    """One `where` filter of an event condition."""
    if item["property"] in g.TIME_PARTS:
        return time_predicate(dialect, timestamp, time_zone, item)
    return key_predicate(dialect, doc, item["property"], item["op"], item.get("value"))
