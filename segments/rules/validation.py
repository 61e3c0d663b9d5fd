"""Validation of rule definitions: every error names the path of the offending part.

Paths read like the JSON they point into: `all[1].value`, `any[0].where[2].op`; the
root itself is called `definition`.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from segments.models import Segment, SegmentKind
from segments.rules import grammar as g
from workspaces.models import Workspace
from workspaces.services import ServiceError
from workspaces.untrusted import find_unstorable


class RuleError(ServiceError):
    """A definition that is not a valid rule; `path` locates the problem."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or 'definition'}: {problem}", field="definition")
        self.path = path


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_scalar(value: Any) -> bool:
    return isinstance(value, str | bool) or is_number(value)


def describe(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 40 else text[:37] + "..."


def validate_definition(
    definition: Any, *, workspace: Workspace, segment_id: int | None = None
) -> None:
    """Raise RuleError unless `definition` is a valid rule tree in `workspace`.

    `segment_id` is the segment being (re)defined, if it exists already: references
    that lead back to it through rule segments are a cycle.
    """
    unstorable = find_unstorable(definition)
    if unstorable is not None:
        raise RuleError(unstorable.path, unstorable.problem)
    checker = _StructureChecker()
    checker.node(definition, "", 1)
    _check_references(checker.references, workspace=workspace, segment_id=segment_id)


class _StructureChecker:
    """Checks shape and types; collects segment references for the database checks."""

    def __init__(self) -> None:
        self.nodes = 0
        self.references: list[tuple[str, int]] = []

    def node(self, node: Any, path: str, depth: int) -> None:
        self.nodes += 1
        if self.nodes > g.MAX_NODES:
            raise RuleError(path, f"a definition may hold at most {g.MAX_NODES} conditions")
        if depth > g.MAX_DEPTH:
            raise RuleError(path, f"groups may nest at most {g.MAX_DEPTH} levels deep")
        if not isinstance(node, dict):
            raise RuleError(path, "a condition must be a JSON object")
        kinds = [key for key in g.NODE_KINDS if key in node]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            raise RuleError(
                path,
                f"a condition needs exactly one of {', '.join(g.NODE_KINDS)} (found {found})",
            )
        getattr(self, f"_{kinds[0]}")(node, path, depth)

    def _group(self, node: dict[str, Any], path: str, depth: int, kind: str) -> None:
        _no_other_keys(node, {kind}, path)
        children = node[kind]
        if not isinstance(children, list) or not children:
            raise RuleError(join(path, kind), "must be a non-empty list of conditions")
        for index, child in enumerate(children):
            self.node(child, join(join(path, kind), index), depth + 1)

    def _all(self, node: dict[str, Any], path: str, depth: int) -> None:
        self._group(node, path, depth, "all")

    def _any(self, node: dict[str, Any], path: str, depth: int) -> None:
        self._group(node, path, depth, "any")

    def _not(self, node: dict[str, Any], path: str, depth: int) -> None:
        _no_other_keys(node, {"not"}, path)
        self.node(node["not"], join(path, "not"), depth + 1)

    def _segment(self, node: dict[str, Any], path: str, depth: int) -> None:
        _no_other_keys(node, {"segment"}, path)
        ref = node["segment"]
        if not isinstance(ref, int) or isinstance(ref, bool) or ref <= 0:
            raise RuleError(join(path, "segment"), f"must be a segment id, not {describe(ref)}")
        self.references.append((join(path, "segment"), ref))

    def _trait(self, node: dict[str, Any], path: str, depth: int) -> None:
        _check_key_condition(node, path, "trait", g.TRAIT_KEYS)

    def _account_trait(self, node: dict[str, Any], path: str, depth: int) -> None:
        _check_key_condition(node, path, "account_trait", g.TRAIT_KEYS)

    def _event(self, node: dict[str, Any], path: str, depth: int) -> None:
        _check_event(node, path)


def _no_other_keys(node: dict[str, Any], allowed: set[str] | frozenset[str], path: str) -> None:
    for key in node:
        if key not in allowed:
            raise RuleError(path, f'unknown key "{key}" (allowed: {", ".join(sorted(allowed))})')


def _check_name(value: Any, path: str, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise RuleError(path, f"must be a non-empty {what} name, not {describe(value)}")
    if len(value) > 255:
        raise RuleError(path, f"a {what} name has at most 255 characters")


def _check_event(node: dict[str, Any], path: str) -> None:
    _no_other_keys(node, g.EVENT_KEYS, path)
    _check_name(node["event"], join(path, "event"), "event")
    agg = node.get("agg", "count")
    if agg not in g.AGGREGATES:
        raise RuleError(
            join(path, "agg"),
            f"unknown aggregate {describe(agg)} (use one of: {', '.join(g.AGGREGATES)})",
        )
    if agg in g.PROPERTY_AGGREGATES:
        if "property" not in node:
            raise RuleError(path, f'"{agg}" needs a "property" (the numeric event property)')
        _check_name(node["property"], join(path, "property"), "property")
    elif "property" in node:
        raise RuleError(join(path, "property"), f'only sum, avg, min and max read one, not "{agg}"')
    if "value" in node:
        check_comparison(node["value"], join(path, "value"))
    if "within_days" in node:
        _check_within_days(node["within_days"], join(path, "within_days"))
    if "by" in node and node["by"] != "account":
        raise RuleError(join(path, "by"), f'must be "account", not {describe(node["by"])}')
    if agg == "share" and not node.get("where"):
        raise RuleError(path, '"share" needs a "where": the events whose share it measures')
    _check_where(node.get("where"), join(path, "where"))


def _check_within_days(days: Any, path: str) -> None:
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise RuleError(path, f"must be a positive whole number of days, not {describe(days)}")
    if days > g.MAX_WITHIN_DAYS:
        raise RuleError(path, f"must be at most {g.MAX_WITHIN_DAYS} days")


def _check_where(where: Any, path: str) -> None:
    if where is None:
        return
    if not isinstance(where, list):
        raise RuleError(path, "must be a list of property filters")
    if len(where) > g.MAX_FILTERS:
        raise RuleError(path, f"at most {g.MAX_FILTERS} filters")
    for index, item in enumerate(where):
        item_path = join(path, index)
        if not isinstance(item, dict) or "property" not in item:
            raise RuleError(item_path, 'a filter is an object with "property", "op" and "value"')
        _check_key_condition(item, item_path, "property", g.FILTER_KEYS - {"property"})


def check_comparison(cmp: Any, path: str) -> None:
    if not isinstance(cmp, dict) or len(cmp) != 1:
        raise RuleError(path, 'must be one comparison such as {"gte": 3} or {"between": [1, 5]}')
    ((comparator, bound),) = cmp.items()
    if comparator not in g.COMPARATORS:
        raise RuleError(
            path,
            f'unknown comparator "{comparator}" (use one of: {", ".join(g.COMPARATORS)})',
        )
    if comparator == "between":
        if not (isinstance(bound, list) and len(bound) == 2 and all(map(is_number, bound))):
            raise RuleError(join(path, "between"), "must be a pair of numbers [low, high]")
        if bound[0] > bound[1]:
            raise RuleError(join(path, "between"), "the low end must not exceed the high end")
    elif not is_number(bound):
        raise RuleError(join(path, comparator), f"must be a number, not {describe(bound)}")


def _check_key_condition(
    node: dict[str, Any], path: str, key_field: str, other_keys: frozenset[str]
) -> None:
    """A trait, account_trait or property filter: `{key_field: KEY, "op": OP, "value"?: V}`."""
    _no_other_keys(node, other_keys | {key_field}, path)
    key = node[key_field]
    _check_name(key, join(path, key_field), "trait" if key_field != "property" else "property")
    op = node.get("op")
    if op not in g.OPS:
        raise RuleError(
            join(path, "op"), f"unknown op {describe(op)} (use one of: {', '.join(g.OPS)})"
        )
    if key_field == "property" and key in g.TIME_PARTS:
        _check_time_part(key, op, node, path)
    else:
        _check_op_value(op, node, path)


def _check_op_value(op: str, node: dict[str, Any], path: str) -> None:
    if op in g.VALUELESS_OPS:
        if "value" in node:
            raise RuleError(join(path, "value"), f'"{op}" takes no value')
        return
    if "value" not in node:
        raise RuleError(path, f'"{op}" needs a "value"')
    value, value_path = node["value"], join(path, "value")
    if op in g.ORDER_OPS and not is_number(value):
        raise RuleError(value_path, f'"{op}" compares numbers only, not {describe(value)}')
    if op == "in":
        _check_list(value, value_path, is_scalar, "strings, numbers or booleans")
    elif not is_scalar(value):
        raise RuleError(value_path, f"must be a string, number or boolean, not {describe(value)}")


def _check_list(value: Any, path: str, accepts: Any, what: str) -> None:
    if not isinstance(value, list):
        raise RuleError(path, f'"in" takes a list, not {describe(value)}')
    if len(value) > g.MAX_LIST:
        raise RuleError(path, f"at most {g.MAX_LIST} values")
    for index, item in enumerate(value):
        if not accepts(item):
            raise RuleError(join(path, index), f"must be one of {what}, not {describe(item)}")


def _check_time_part(part: str, op: str, node: dict[str, Any], path: str) -> None:
    if op not in g.TIME_PART_OPS:
        ops = ", ".join(sorted(g.TIME_PART_OPS))
        raise RuleError(join(path, "op"), f'"{part}" supports {ops}, not "{op}"')
    if "value" not in node:
        raise RuleError(path, f'"{op}" needs a "value"')
    bounds = g.TIME_PARTS[part]

    def accepts(value: Any) -> bool:
        if bounds is None:
            return _is_iso_date(value)
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and bounds[0] <= value <= bounds[1]
        )

    what = "dates YYYY-MM-DD" if bounds is None else f"whole numbers {bounds[0]} to {bounds[1]}"
    if op == "in":
        _check_list(node["value"], join(path, "value"), accepts, what)
    elif not accepts(node["value"]):
        expected = (
            "a date YYYY-MM-DD" if bounds is None else f"a whole number {bounds[0]} to {bounds[1]}"
        )
        raise RuleError(
            join(path, "value"), f'"{part}" must be {expected}, not {describe(node["value"])}'
        )


def _is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def segment_references(definition: Any) -> set[int]:
    """Ids of the segments a (possibly invalid) definition refers to with `{"segment": ID}`."""
    found: set[int] = set()
    stack = [definition]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        ref = node.get("segment")
        if isinstance(ref, int) and not isinstance(ref, bool):
            found.add(ref)
        for group in ("all", "any"):
            if isinstance(node.get(group), list):
                stack.extend(node[group])
        if "not" in node:
            stack.append(node["not"])
    return found


def _check_references(
    references: list[tuple[str, int]], *, workspace: Workspace, segment_id: int | None
) -> None:
    if not references:
        return
    ids = {ref for _, ref in references}
    existing = set(
        Segment.objects.filter(workspace=workspace, id__in=ids).values_list("id", flat=True)
    )
    for path, ref in references:
        if ref not in existing:
            raise RuleError(path, f"no segment {ref} in this workspace")
    if segment_id is None:
        return  # a segment that does not exist yet cannot be referred to: no cycle possible
    for path, ref in references:
        chain = _path_back_to(ref, segment_id, workspace=workspace)
        if chain is not None:
            route = " → ".join(str(step) for step in [segment_id, *chain])
            raise RuleError(path, f"segment {ref} refers back to this one ({route}): a cycle")


def _path_back_to(start: int, target: int, *, workspace: Workspace) -> list[int] | None:
    """The chain of rule-segment references from `start` to `target`, if there is one."""
    parents: dict[int, int | None] = {start: None}
    frontier = {start}
    while frontier:
        if target in frontier:
            chain: list[int] = []
            step: int | None = target
            while step is not None:
                chain.append(step)
                step = parents[step]
            return chain[::-1]
        rows = Segment.objects.filter(
            workspace=workspace, id__in=frontier, kind=SegmentKind.RULE
        ).values_list("id", "definition")
        next_frontier: set[int] = set()
        for source, definition in rows:
            for ref in segment_references(definition) - parents.keys():
                parents[ref] = source
                next_frontier.add(ref)
        frontier = next_frontier
    return None
