"""Why a member qualified: the values of a rule's event conditions for given people.

For a page (or an export batch) of members, one grouped query per positive event
condition reads the aggregate the rule compared, e.g. "5 times Pricing Page Viewed
in the last 7 days" (written with a multiplication sign). Conditions under `not`,
and zero comparisons that people without events satisfy, explain nothing about a
member and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from segments.rules import grammar as g
from segments.rules.compiler import EVENT, AggregateCompiler, Context, event_scope
from segments.rules.dialects import dialect_for
from segments.rules.predicates import comparison_holds
from segments.rules.sql import params_list, sql
from workspaces.models import Workspace

# The conditions worth a column; a rule with more reads in its sentence.
MAX_SHOWN = 2


@dataclass(frozen=True)
class QualifyingValue:
    """One condition's value for one person, and how it reads."""

    condition: int
    value: float | int | None
    text: str


def explained_conditions(definition: Any) -> list[dict[str, Any]]:
    """The positive, per-person event conditions of a rule, in reading order."""
    return list(_positive_events(definition))[:MAX_SHOWN]


def _positive_events(node: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(node, dict):
        return
    for group in ("all", "any"):
        if isinstance(node.get(group), list):
            for child in node[group]:
                yield from _positive_events(child)
            return
    if "event" in node and node.get("by") != "account":
        agg = node.get("agg", "count")
        value = node.get("value", g.DEFAULT_VALUE)
        if not (agg in g.ZERO_AGGREGATES and comparison_holds(0, value)):
            yield node


def _number(value: Any) -> str:
    if value is None:
        return "—"
    number = float(value)
    return f"{int(number):,}" if number.is_integer() else f"{number:,.2f}"


def value_text(node: dict[str, Any], value: Any) -> str:
    """`5 (times) Pricing Page Viewed in the last 7 days`, `total amount 120 over Order
    Completed`, `last Logged In 3 days ago`."""
    name, agg = node["event"], node.get("agg", "count")
    shown = _number(value)
    if agg == "count":
        text = f"{shown} × {name}"  # noqa: RUF001  (the multiplication sign is meant)
    elif agg in g.PROPERTY_AGGREGATES:
        word = {"sum": "total", "avg": "average", "min": "smallest", "max": "largest"}[agg]
        text = f"{word} {node.get('property')} {shown} over {name}"
    elif agg == "days_since_last":
        text = f"last {name} {shown} days ago"
    elif agg == "days_since_first":
        text = f"first {name} {shown} days ago"
    elif agg == "distinct_days":
        text = f"{name} on {shown} days"
    else:
        share = "—" if value is None else f"{float(value):.0%}"
        text = f"{share} of events are {name}"
    days = node.get("within_days")
    if days:
        text += " in the last day" if days == 1 else f" in the last {days} days"
    return text


def qualifying_values(
    definition: Any, *, workspace: Workspace, person_ids: Sequence[int], as_of: datetime
) -> dict[int, list[QualifyingValue]]:
    """Per person id, the values of the rule's explained conditions (at most two queries,
    each over the given people only)."""
    found: dict[int, list[QualifyingValue]] = {pid: [] for pid in person_ids}
    if not person_ids:
        return found
    dialect = dialect_for(connection)
    dialect.prepare()
    ctx = Context(
        dialect=dialect,
        workspace_id=workspace.pk,
        as_of=as_of,
        time_zone=workspace.time_zone or "UTC",
    )
    for index, node in enumerate(explained_conditions(definition)):
        scope = event_scope(node, ctx, with_where=node.get("agg", "count") != "share")
        query = sql(
            f"SELECT e.person_id, {{}} FROM {EVENT} e WHERE {{}} AND e.person_id IN ({{}}) "  # noqa: S608
            "GROUP BY e.person_id",
            AggregateCompiler().compile(node, ctx),
            scope,
            params_list(person_ids),
        )
        with connection.cursor() as cursor:
            cursor.execute(query.text, list(query.params))
            for pid, value in cursor.fetchall():
                found[pid].append(QualifyingValue(index, value, value_text(node, value)))
    return found
