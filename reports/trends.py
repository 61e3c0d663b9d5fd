"""Over time, for continuous studies: theme prevalence and scale means per ISO week per
segment, and the themes that are emerging. Pure: plain data in, a document part out.

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
