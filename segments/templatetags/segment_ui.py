"""Template helpers for segments: sparklines, diverging bars, rules read as sentences,
and validation paths in words."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from segments.rules.description import describe

register = template.Library()

# --- charts ---------------------------------------------------------------------

SPARK_W, SPARK_H, SPARK_PAD = 96, 24, 2


@register.simple_tag
def sparkline(sizes: Sequence[int], label: str = "Size") -> SafeString:
    """An inline SVG line of sizes, oldest first, with a <title> that says what it shows."""
    values = [int(v) for v in sizes]
    if len(values) < 2:
        return format_html('<span class="muted" title="{}">—</span>', "Not computed twice yet")
    low, high = min(values), max(values)
    spread = (high - low) or 1
    step = (SPARK_W - 2 * SPARK_PAD) / (len(values) - 1)
    points = " ".join(
        f"{SPARK_PAD + i * step:.1f},"
        f"{SPARK_H - SPARK_PAD - (v - low) * (SPARK_H - 2 * SPARK_PAD) / spread:.1f}"
        for i, v in enumerate(values)
    )
    last_x, last_y = points.rsplit(" ", 1)[-1].split(",")
    title = (
        f"{label}: {values[0]:,} to {values[-1]:,} over the last {len(values)} computes "
        f"(low {low:,}, high {high:,})"
    )
    return format_html(
        '<svg class="sparkline" role="img" width="{}" height="{}" viewBox="0 0 {} {}">'
        '<title>{}</title><polyline points="{}"/><circle cx="{}" cy="{}" r="2"/></svg>',
        SPARK_W,
        SPARK_H,
        SPARK_W,
        SPARK_H,
        title,
        points,
        last_x,
        last_y,
    )


BAR_W, BAR_H, BAR_LIMIT = 120, 14, 3.0


@register.simple_tag
def diverging_bar(z: float | None, label: str = "") -> SafeString:
    """A bar left (below average) or right (above) of a centre line; |z| capped at 3."""
    if z is None:
        return format_html('<span class="muted">—</span>')
    clipped = max(-BAR_LIMIT, min(BAR_LIMIT, float(z)))
    half = BAR_W / 2
    length = abs(clipped) / BAR_LIMIT * half
    x = half if clipped >= 0 else half - length
    tone = "bar-above" if clipped >= 0 else "bar-below"
    return format_html(
        '<svg class="zbar" role="img" width="{}" height="{}" viewBox="0 0 {} {}">'
        "<title>{}: {}</title>"
        '<rect class="{}" x="{}" y="2" width="{}" height="{}"/>'
        '<line x1="{}" y1="0" x2="{}" y2="{}"/></svg>',
        BAR_W,
        BAR_H,
        BAR_W,
        BAR_H,
        label,
        vs_average(z),
        tone,
        f"{x:.1f}",
        f"{max(length, 1.0):.1f}",
        BAR_H - 4,
        half,
        half,
        BAR_H,
    )


@register.filter
def vs_average(z: float | None) -> str:
    """A cluster's standardized difference from everyone, in words a researcher reads
    at a glance (the bar beside it shows the size)."""
    if z is None:
        return ""
    size = abs(float(z))
    if size < 0.25:
        return "about average"
    side = "above" if z > 0 else "below"
    if size < 1:
        return f"{side} average"
    if size < 2:
        return f"well {side} average"
    return f"far {side} average"


@register.filter
def sizes(snapshots: Any) -> list[int]:
    return [snapshot.size for snapshot in snapshots or []]


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def number(value: Any) -> str:
    """Numbers for tables: whole numbers with separators, others with two decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—" if value is None else str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, Mapping) else None


# --- rules as sentences (segments/rules/description.py) -------------------------------


@register.simple_tag
def rule_sentence(definition: Any, names: Mapping[int, str] | None = None) -> str:
    return describe(definition, names)


# --- validation paths in words ------------------------------------------------------

_STEP = re.compile(r"([A-Za-z_$]+)(?:\[(\d+)\])?")
PART_WORDS = {
    "where": "filter",
    "features": "feature",
    "value": "the value",
    "op": "the operator",
    "agg": "the aggregate",
    "property": "the property",
    "within_days": "the window",
    "event": "the event name",
    "trait": "the trait",
    "account_trait": "the account trait",
    "segment": "the segment",
    "by": "“by”",
}


def path_words(path: str) -> str:
    """`all[1].where[0].value` → "condition 2, filter 1, the value"."""
    words: list[str] = []
    for name, index in _STEP.findall(path.replace("definition.", "").replace("definition", "")):
        if name in {"all", "any"}:
            words.append(f"condition {int(index) + 1}" if index else "the group")
        elif name == "not":
            words.append("NOT")
        elif index:
            words.append(f"{PART_WORDS.get(name, name)} {int(index) + 1}")
        else:
            words.append(PART_WORDS.get(name, name))
    return ", ".join(words)


def split_error(message: str) -> tuple[str, str]:
    """A RuleError/ServiceError message `path: problem` as (path, problem)."""
    path, sep, problem = message.partition(": ")
    if not sep or " " in path.strip():
        return "", message
    return path, problem


@register.filter
def error_path(message: str) -> str:
    return split_error(message)[0]


# The rule engine's wording of a problem (for API clients) → a researcher's.
_EMPTY_GROUP = "must be a non-empty list of conditions"
_NODE_KINDS = re.compile(r"^a condition needs exactly one of [a-z_, ]+ \(found (?P<found>.*)\)$")
KIND_WORDS = {
    "all": "“all of”",
    "any": "“any of”",
    "not": "“not”",
    "event": "an event",
    "trait": "a trait",
    "account_trait": "an account trait",
    "segment": "a segment",
}


def problem_words(problem: str) -> str:
    if problem == _EMPTY_GROUP:
        return "this group has no conditions yet; add one, or remove the group"
    match = _NODE_KINDS.match(problem)
    if match is None:
        return problem
    found = [kind.strip() for kind in match["found"].split(",") if kind.strip() != "none"]
    if not found:
        return "this condition is empty; choose an event, a trait, an account trait or a segment"
    kinds = " and ".join(KIND_WORDS.get(kind, kind) for kind in found)
    return f"this condition mixes {kinds}; keep one per condition"


@register.filter
def error_words(message: str) -> str:
    path, problem = split_error(message)
    problem = problem_words(problem)
    if path.replace("definition.", "") in {"all", "any"} and problem.startswith("this group"):
        return "Add at least one condition."
    where = path_words(path)
    if not where:
        return problem[:1].upper() + problem[1:]
    return f"In {where}: {problem}"


# --- sortable tables ------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def sort_header(
    context: Any,
    key: str,
    label: str,
    current: str,
    numeric: bool = False,
    title: str = "",
    anchor: str = "segment-members",
    extra_class: str = "",
) -> SafeString:
    """A column header that sorts by `key` (again: the other way), keeping the search;
    `aria-sort` says how the table is sorted now."""
    request = context["request"]
    query = request.GET.copy()
    query.pop("page", None)
    ascending_now, descending_now = current == key, current == f"-{key}"
    query["sort"] = f"-{key}" if ascending_now else key
    state = "ascending" if ascending_now else "descending" if descending_now else "none"
    arrow = " ↑" if ascending_now else " ↓" if descending_now else ""
    label_html = format_html('<abbr title="{}">{}</abbr>', title, label) if title else label
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}"><a class="sort-link" href="?{}#{}"'
        ' data-sort="{}">{}{}</a></th>',
        " ".join(c for c in ("num" if numeric else "", extra_class) if c),
        state,
        query.urlencode(),
        anchor,
        key,
        label_html,
        arrow,
    )
