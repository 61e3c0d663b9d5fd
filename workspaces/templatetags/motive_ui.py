"""Project-wide presentation: money in the workspace currency, relative dates with the
exact time."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince, timeuntil

from workspaces.currencies import currency_format

register = template.Library()


@register.filter
def money(value: Any, currency: str | None = None) -> str:
    """`1234.5|money:"EUR"` → "€1,234.50" (workspaces/currencies.py)."""
    if isinstance(value, str):
        try:
            value = Decimal(value)
        except ArithmeticError:
            return value
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return "—" if value is None else str(value)
    if not math.isfinite(value):
        return str(value)
    return currency_format(float(value), currency or "USD")


def _relative(value: datetime, now: datetime) -> str:
    if abs((value - now).total_seconds()) < 60:
        return "just now"
    if value < now:
        return f"{timesince(value, now, depth=1)} ago"
    return f"in {timeuntil(value, now, depth=1)}"


@register.simple_tag
def when(value: Any, empty: str = "never") -> SafeString:
    """`<time>` saying "3 days ago" (or "in 2 weeks"), the exact time in `title` and
    `datetime`: the relative form is quick to read in a table, the exact one a hover
    (or a long press) away."""
    if not isinstance(value, datetime):
        return format_html('<span class="muted">{}</span>', empty)
    now = timezone.now()
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        date_filter(value, "Y-m-d H:i T"),
        _relative(value, now),
    )
