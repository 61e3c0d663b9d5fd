"""Template helpers for showing people data: typed JSON values and the key traits of a row."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()

# Traits a researcher recognises a person or account by, in the order they are shown.
PRIORITY_KEYS = ("plan", "role", "industry", "employees", "arr", "country", "company")
IDENTITY_KEYS = frozenset({"name", "email", "first_name", "last_name"})


def value_type(value: Any) -> str:
    """The JSON type of a value, as a rule author must match it (`5` is not `"5"`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "string"


@register.filter
def json_type(value: Any) -> str:
    return value_type(value)


@register.filter
def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)


@register.inclusion_tag("people/_value.html")
def typed(value: Any, limit: int = 80) -> dict[str, Any]:
    """A value rendered by type: strings as text, numbers aligned, the rest as JSON."""
    kind = value_type(value)
    text = value if kind == "string" else compact_json(value)
    return {"kind": kind, "text": text, "limit": limit}


@register.filter
def key_traits(traits: Any, count: int = 3) -> dict[str, Any]:
    """The few traits worth a column: known keys first, identity keys left to the name."""
    if not isinstance(traits, dict):
        return {"items": [], "more": 0}
    keys = [k for k in PRIORITY_KEYS if k in traits]
    keys += sorted(k for k in traits if k not in keys and k not in IDENTITY_KEYS)
    shown = keys[:count]
    return {"items": [(k, traits[k]) for k in shown], "more": len(keys) - len(shown)}


@register.filter
def display_name(traits: Any) -> str:
    """A human name for a person or account from its traits, or '' if it has none."""
    if not isinstance(traits, dict):
        return ""
    name = traits.get("name") or " ".join(
        str(traits[k]) for k in ("first_name", "last_name") if traits.get(k)
    )
    return name if isinstance(name, str) else ""


@register.filter
def sorted_items(mapping: Any) -> list[tuple[str, Any]]:
    return sorted(mapping.items()) if isinstance(mapping, dict) else []


@register.filter
def ago(value: Any) -> str:
    """ "3 days ago": one unit is enough in a dense table (the exact time is in the title)."""
    if not isinstance(value, datetime):
        return ""
    if value >= timezone.now():
        return "just now"
    text = timesince(value, depth=1)
    return "just now" if text.startswith("0\xa0minutes") else f"{text} ago"
