"""What the rule builder offers: starting templates (the eight worked examples of
docs/segments.md) and the choices of its rows."""

from __future__ import annotations

from typing import Any

from segments.rules import grammar

TEMPLATES: list[dict[str, Any]] = [
    {
        "key": "purchase",
        "kind": "Purchase behavior",
        "name": "Repeat buyers, large basket",
        "definition": {
            "all": [
                {"event": "Order Completed", "value": {"gte": 2}, "within_days": 90},
                {
                    "event": "Order Completed",
                    "agg": "avg",
                    "property": "amount",
                    "value": {"gte": 80},
                    "within_days": 90,
                },
            ]
        },
    },
    {
        "key": "usage",
        "kind": "Usage rate",
        "name": "Heavy users",
        "definition": {
            "all": [
                {
                    "event": "Session Started",
                    "agg": "distinct_days",
                    "value": {"gte": 12},
                    "within_days": 30,
                },
                {"event": "Report Exported", "value": {"gte": 50}, "within_days": 30},
            ]
        },
    },
    {
        "key": "occasion",
        "kind": "Occasion",
        "name": "Weekend-morning shoppers",
        "definition": {
            "all": [
                {"event": "Order Completed", "value": {"gte": 3}, "within_days": 180},
                {
                    "event": "Order Completed",
                    "agg": "share",
                    "within_days": 180,
                    "value": {"gt": 0.5},
                    "where": [
                        {"property": "$weekday", "op": "in", "value": [6, 7]},
                        {"property": "$hour", "op": "lt", "value": 12},
                    ],
                },
            ]
        },
    },
    {
        "key": "benefits",
        "kind": "Benefits sought",
        "name": "Price-driven customers",
        "definition": {
            "any": [
                {"trait": "motive.pricing.why", "op": "contains", "value": "price"},
                {"trait": "motive.pricing.themes", "op": "contains", "value": "Price sensitivity"},
                {
                    "event": "Order Completed",
                    "value": {"gte": 2},
                    "within_days": 180,
                    "where": [{"property": "coupon", "op": "is_set"}],
                },
            ]
        },
    },
    {
        "key": "loyalty",
        "kind": "Loyalty",
        "name": "Long-standing promoters",
        "definition": {
            "all": [
                {"event": "Order Completed", "agg": "days_since_first", "value": {"gte": 365}},
                {"event": "Order Completed", "agg": "days_since_last", "value": {"lte": 30}},
                {"trait": "nps", "op": "gte", "value": 9},
            ]
        },
    },
    {
        "key": "journey",
        "kind": "Journey stage",
        "name": "Activated, not converted",
        "definition": {
            "all": [
                {"event": "Signed Up", "within_days": 14},
                {"event": "Project Created", "within_days": 14},
                {"trait": "plan", "op": "eq", "value": "free"},
                {"not": {"event": "Subscription Started"}},
            ]
        },
    },
    {
        "key": "channel",
        "kind": "Channel engagement",
        "name": "Email-engaged, app-absent",
        "definition": {
            "all": [
                {"event": "Email Clicked", "value": {"gte": 3}, "within_days": 30},
                {
                    "event": "Session Started",
                    "value": {"eq": 0},
                    "within_days": 30,
                    "where": [{"property": "platform", "op": "in", "value": ["ios", "android"]}],
                },
            ]
        },
    },
    {
        "key": "intent",
        "kind": "Intent signals",
        "name": "Accounts shopping around",
        "definition": {
            "all": [
                {
                    "event": "Pricing Page Viewed",
                    "by": "account",
                    "value": {"gte": 3},
                    "within_days": 7,
                },
                {"account_trait": "employees", "op": "gte", "value": 50},
                {"not": {"event": "Teammate Invited", "within_days": 30}},
            ]
        },
    },
]
TEMPLATES_BY_KEY = {t["key"]: t for t in TEMPLATES}

AGGREGATE_LABELS = {
    "count": "times (count)",
    "sum": "sum of property",
    "avg": "average of property",
    "min": "minimum of property",
    "max": "maximum of property",
    "days_since_last": "days since last",
    "days_since_first": "days since first",
    "distinct_days": "distinct days",
    "share": "share matching filters",
}
COMPARATOR_LABELS = {
    "gte": "at least",
    "gt": "more than",
    "lte": "at most",
    "lt": "fewer than",
    "eq": "exactly",
    "neq": "not",
    "between": "between",
}
OP_LABELS = {
    "eq": "is",
    "neq": "is not",
    "gt": "more than",
    "gte": "at least",
    "lt": "less than",
    "lte": "at most",
    "contains": "contains",
    "in": "is one of",
    "is_set": "is set",
    "is_not_set": "is not set",
}


def vocabulary() -> dict[str, Any]:
    """The choices the builder script offers, in grammar order, as one JSON object."""
    return {
        "aggregates": [[a, AGGREGATE_LABELS[a]] for a in grammar.AGGREGATES],
        "property_aggregates": sorted(grammar.PROPERTY_AGGREGATES),
        "comparators": [[c, COMPARATOR_LABELS[c]] for c in grammar.COMPARATORS],
        "ops": [[o, OP_LABELS[o]] for o in grammar.OPS],
        "valueless_ops": sorted(grammar.VALUELESS_OPS),
        "time_parts": list(grammar.TIME_PARTS),
        "time_part_ops": sorted(grammar.TIME_PART_OPS),
    }
