"""The vocabulary of the rule grammar (DESIGN.md, "Segments"), shared by validation and SQL."""

from __future__ import annotations

from typing import Final

NODE_KINDS: Final = ("all", "any", "not", "event", "trait", "account_trait", "segment")

AGGREGATES: Final = (
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "days_since_last",
    "days_since_first",
    "distinct_days",
    "share",
)
# Aggregates that read a numeric event property.
PROPERTY_AGGREGATES: Final = frozenset({"sum", "avg", "min", "max"})
# Aggregates that are 0 over no events; every other one is undefined there.
ZERO_AGGREGATES: Final = frozenset({"count", "sum", "distinct_days"})

COMPARATORS: Final = ("gte", "gt", "lte", "lt", "eq", "neq", "between")
DEFAULT_VALUE: Final = {"gte": 1}

OPS: Final = ("eq", "neq", "gt", "gte", "lt", "lte", "contains", "in", "is_set", "is_not_set")
ORDER_OPS: Final = frozenset({"gt", "gte", "lt", "lte"})
VALUELESS_OPS: Final = frozenset({"is_set", "is_not_set"})

# Filters on the event's own time, in the workspace time zone: name → (low, high) for the
# integer parts; `$date` is a YYYY-MM-DD string.
TIME_PARTS: Final = {"$hour": (0, 23), "$weekday": (1, 7), "$month": (1, 12), "$date": None}
TIME_PART_OPS: Final = frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "in"})

EVENT_KEYS: Final = frozenset({"event", "agg", "property", "value", "within_days", "where", "by"})
TRAIT_KEYS: Final = frozenset({"op", "value"})
FILTER_KEYS: Final = frozenset({"property", "op", "value"})

MAX_DEPTH: Final = 12
MAX_NODES: Final = 200
MAX_FILTERS: Final = 20
MAX_LIST: Final = 1000
MAX_WITHIN_DAYS: Final = 36_500
