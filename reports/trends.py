"""Over time, for continuous studies: theme prevalence and scale means per ISO week per
segment, and the themes that are emerging. Pure: plain data in, a document part out
(and, at the end, what the report page shows of it).

A respondent counts in the week their interview was completed (ISO week, `2026-W48`).
A theme's share in a week is the share of that week's respondents of the segment who
mention it, with its 95% Wilson interval. In a segment's latest week a theme is
*emerging* when it is

- **new**: mentioned by at least `MIN_MENTIONS` respondents that week and by nobody in
  the earlier weeks (which had at least `MIN_EARLIER` respondents), or
- **rising**: its share that week is above the earlier weeks' pooled share by more than
  both intervals allow (the week's lower bound above the earlier upper bound), again with
  at least `MIN_MENTIONS` mentions.

The result is `document["over_time"]`:
`{"weeks": [...], "themes": [{"label", "by_segment": {sid: [{"week", "n", "count",
"share", "ci"}]}}], "scales": [{"key", "by_segment": {sid: [{"week", "n", "mean"}]}}],
"emerging": [{"label", "segment", "week", "reason", "count", "n", "share", "ci",
"earlier_share", "earlier_ci"}]}`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final

from django.utils.html import format_html
from django.utils.safestring import SafeString

from reports.analysis import Response
from reports.stats import wilson_interval
from reports.themes import Coding

MIN_MENTIONS: Final = 3
MIN_EARLIER: Final = 10


def iso_week(moment: date | datetime) -> str:
    """`2026-W48`: the ISO year and week of a date (weeks start on Monday)."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def over_time(
    questions: Sequence[Mapping[str, Any]],
    segment_ids: Sequence[str],
    responses: Sequence[Response],
    codings: Iterable[Coding],
    weeks: Mapping[str, str],
) -> dict[str, Any]:
    """The weekly view of `responses` (interview -> ISO week in `weeks`) and their codings."""
    all_weeks = sorted({weeks[r.interview] for r in responses if r.interview in weeks})
    respondents: dict[tuple[str, str], int] = defaultdict(int)
    for response in responses:
        week = weeks.get(response.interview)
        if week is not None:
            respondents[(response.segment, week)] += 1
    mentions: dict[str, dict[tuple[str, str], set[str]]] = defaultdict(lambda: defaultdict(set))
    for coding in codings:
        week = weeks.get(coding.interview)
        if week is not None:
            mentions[coding.theme][(coding.segment, week)].add(coding.interview)
    themes = []
    emerging = []
    for label in sorted(mentions):
        by_segment: dict[str, list[dict[str, Any]]] = {}
        for segment in segment_ids:
            series = [
                _share_point(
                    week, len(mentions[label][(segment, week)]), respondents[(segment, week)]
                )
                for week in all_weeks
                if respondents[(segment, week)]
            ]
            by_segment[segment] = series
            found = _emerging(label, segment, series)
            if found is not None:
                emerging.append(found)
        themes.append({"label": label, "by_segment": by_segment})
    emerging.sort(key=lambda item: (item["reason"] != "new", -item["share"], item["label"]))
    return {
        "weeks": all_weeks,
        "themes": themes,
        "scales": _scales(questions, segment_ids, responses, weeks, all_weeks),
        "emerging": emerging,
    }


def _share_point(week: str, count: int, n: int) -> dict[str, Any]:
    return {
        "week": week,
        "n": n,
        "count": count,
        "share": round(count / n, 4),
        "ci": [round(bound, 4) for bound in wilson_interval(count, n) or [0.0, 0.0]],
    }


def _emerging(
    label: str, segment: str, series: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    if len(series) < 2:
        return None
    latest, earlier = series[-1], series[:-1]
    if latest["count"] < MIN_MENTIONS:
        return None
    earlier_n = sum(point["n"] for point in earlier)
    earlier_count = sum(point["count"] for point in earlier)
    if earlier_n < MIN_EARLIER:
        return None
    earlier_ci = wilson_interval(earlier_count, earlier_n) or [0.0, 0.0]
    if earlier_count == 0:
        reason = "new"
    elif latest["ci"][0] > earlier_ci[1]:
        reason = "rising"
    else:
        return None
    return {
        "label": label,
        "segment": segment,
        "week": latest["week"],
        "reason": reason,
        "count": latest["count"],
        "n": latest["n"],
        "share": latest["share"],
        "ci": latest["ci"],
        "earlier_share": round(earlier_count / earlier_n, 4),
        "earlier_ci": [round(bound, 4) for bound in earlier_ci],
    }


def _scales(
    questions: Sequence[Mapping[str, Any]],
    segment_ids: Sequence[str],
    responses: Sequence[Response],
    weeks: Mapping[str, str],
    all_weeks: Sequence[str],
) -> list[dict[str, Any]]:
    found = []
    for question in questions:
        if question["type"] != "scale":
            continue
        values: dict[tuple[str, str], list[float]] = defaultdict(list)
        for response in responses:
            value = response.answers.get(question["key"])
            week = weeks.get(response.interview)
            if week is not None and isinstance(value, int | float) and not isinstance(value, bool):
                values[(response.segment, week)].append(float(value))
        by_segment = {
            segment: [
                {
                    "week": week,
                    "n": len(values[(segment, week)]),
                    "mean": round(sum(values[(segment, week)]) / len(values[(segment, week)]), 3),
                }
                for week in all_weeks
                if values[(segment, week)]
            ]
            for segment in segment_ids
        }
        found.append({"key": question["key"], "by_segment": by_segment})
    return found


# --- on the report page -------------------------------------------------------------

NONE: Final = "\u2013"  # a week without respondents
SPARK_W: Final = 96
SPARK_H: Final = 20


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def sparkline(shares: Sequence[float | None], css: str, label: str) -> SafeString:
    """A small line of weekly shares (0-1, None where the week had no respondents)."""
    points = [(index, share) for index, share in enumerate(shares) if share is not None]
    step = SPARK_W / max(1, len(shares) - 1)
    coords = " ".join(
        f"{index * step:.1f},{SPARK_H - 2 - share * (SPARK_H - 4):.1f}" for index, share in points
    )
    return format_html(
        '<svg class="sparkline trend-line" width="{}" height="{}" viewBox="0 0 {} {}" role="img">'
        '<title>{}</title><polyline points="{}" style="stroke: var(--{})"></polyline></svg>',
        SPARK_W,
        SPARK_H,
        SPARK_W,
        SPARK_H,
        label,
        coords,
        css,
    )


def emerging_sentence(item: Mapping[str, Any], segment_name: str) -> str:
    """“integrations” is new in Integrators in 2026-W48: 5 of 20 respondents (25%)…"""
    said = f"{item['count']} of {item['n']} respondents ({_percent(item['share'])})"
    if item["reason"] == "new":
        return (
            f"“{item['label']}” is new in {segment_name} in {item['week']}: {said}, "
            "nobody in the weeks before."
        )
    low, high = item["earlier_ci"]
    return (
        f"“{item['label']}” is rising in {segment_name} in {item['week']}: {said}, against "
        f"{_percent(item['earlier_share'])} ({_percent(low)} to {_percent(high)}) in the weeks "
        "before, beyond both intervals."
    )


def page_context(
    over_time: Mapping[str, Any] | None, segments: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """What the report page shows of `document["over_time"]`; None when there is none.

    `segments` are the page's segment rows (id, name, css)."""
    if not over_time or not over_time.get("weeks"):
        return None
    weeks = list(over_time["weeks"])
    names = {str(segment["id"]): segment["name"] for segment in segments}
    flagged = {(item["label"], item["segment"]) for item in over_time.get("emerging", [])}
    tables = []
    for segment in segments:
        sid = str(segment["id"])
        rows = []
        for theme in over_time.get("themes", []):
            by_week = {point["week"]: point for point in theme["by_segment"].get(sid, [])}
            shares = [by_week[week]["share"] if week in by_week else None for week in weeks]
            rows.append(
                {
                    "label": theme["label"],
                    "cells": [_percent(share) if share is not None else NONE for share in shares],
                    "chart": sparkline(
                        shares, segment["css"], f"{theme['label']} in {segment['name']} by week"
                    ),
                    "emerging": (theme["label"], sid) in flagged,
                }
            )
        rows.sort(key=lambda row: (not row["emerging"], row["label"]))
        respondents = _respondents(over_time, sid, weeks)
        tables.append({"segment": segment, "rows": rows, "respondents": respondents})
    scales = [
        {
            "key": scale["key"],
            "rows": [
                {
                    "segment": segment,
                    "cells": _means(scale["by_segment"].get(str(segment["id"]), []), weeks),
                }
                for segment in segments
            ],
        }
        for scale in over_time.get("scales", [])
    ]
    return {
        "weeks": weeks,
        "emerging": [
            emerging_sentence(item, names.get(str(item["segment"]), str(item["segment"])))
            for item in over_time.get("emerging", [])
        ],
        "tables": tables,
        "scales": scales,
    }


def _respondents(over_time: Mapping[str, Any], sid: str, weeks: Sequence[str]) -> list[str]:
    counts: dict[str, int] = {}
    for theme in over_time.get("themes", []):
        for point in theme["by_segment"].get(sid, []):
            counts[point["week"]] = point["n"]
    return [str(counts.get(week, 0)) for week in weeks]


def _means(points: Sequence[Mapping[str, Any]], weeks: Sequence[str]) -> list[str]:
    by_week = {point["week"]: point for point in points}
    return [
        f"{by_week[week]['mean']:.1f} (n = {by_week[week]['n']})" if week in by_week else NONE
        for week in weeks
    ]
