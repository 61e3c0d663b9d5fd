"""Server-rendered SVG charts of a report: shares with their intervals, and distributions.

Every chart has a <title> that says in words what it shows (screen readers,
print), colours come from the stylesheet's fixed segment palette (`seg-1` ...
`seg-8`, colour-blind safe; one colour per segment across the whole report),
and a segment with too few answers gets words instead of a confident bar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from reports.stats import MIN_N

BAR_W: Final = 160
BAR_H: Final = 16
HIST_W: Final = 160
HIST_H: Final = 40


def segment_class(index: int) -> str:
    """The palette class of the report's `index`-th segment (0-based), cycling after 8."""
    return f"seg-{index % 8 + 1}"


def too_few(n: int) -> SafeString:
    return format_html('<span class="muted">Not enough responses (n = {})</span>', n)


def share_bar(
    share: float | None, interval: Sequence[float] | None, n: int, index: int, label: str
) -> SafeString:
    """A horizontal bar of a share (0-1) with its 95% interval as a whisker."""
    if n < MIN_N or share is None:
        return too_few(n)
    width = share * BAR_W
    title = f"{label}: {share:.0%} of {n}"
    whisker = SafeString("")
    if interval:
        low, high = interval[0] * BAR_W, interval[1] * BAR_W
        title += f", 95% interval {interval[0]:.0%} to {interval[1]:.0%}"
        mid = BAR_H / 2
        whisker = format_html(
            '<line class="whisker" x1="{}" y1="{}" x2="{}" y2="{}"/>'
            '<line class="whisker" x1="{}" y1="3" x2="{}" y2="{}"/>'
            '<line class="whisker" x1="{}" y1="3" x2="{}" y2="{}"/>',
            f"{low:.1f}",
            mid,
            f"{high:.1f}",
            mid,
            f"{low:.1f}",
            f"{low:.1f}",
            BAR_H - 3,
            f"{high:.1f}",
            f"{high:.1f}",
            BAR_H - 3,
        )
    return format_html(
        '<svg class="chart share-bar" role="img" width="{}" height="{}" viewBox="0 0 {} {}">'
        '<title>{}</title><rect class="track" x="0" y="4" width="{}" height="{}"/>'
        '<rect class="{}" x="0" y="4" width="{}" height="{}"/>{}</svg>',
        BAR_W,
        BAR_H,
        BAR_W,
        BAR_H,
        title,
        BAR_W,
        BAR_H - 8,
        segment_class(index),
        f"{max(width, 1.0):.1f}",
        BAR_H - 8,
        whisker,
    )


def histogram(distribution: Mapping[str, int], n: int, index: int, label: str) -> SafeString:
    """Columns of how many answered each scale point, as shares of the segment's n."""
    if n < MIN_N or not distribution:
        return too_few(n)
    points = list(distribution.items())
    step = HIST_W / len(points)
    tallest = max(count for _, count in points) or 1
    bars = format_html_join(
        "",
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}: {} of {}</title></rect>',
        (
            (
                segment_class(index),
                f"{number * step + 1:.1f}",
                f"{HIST_H - count / tallest * (HIST_H - 2):.1f}",
                f"{max(step - 2, 1):.1f}",
                f"{count / tallest * (HIST_H - 2):.1f}",
                point,
                count,
                n,
            )
            for number, (point, count) in enumerate(points)
        ),
    )
    title = f"{label}: answers from {points[0][0]} to {points[-1][0]}, n = {n}"
    return format_html(
        '<svg class="chart histogram" role="img" width="{}" height="{}" viewBox="0 0 {} {}">'
        "<title>{}</title>{}</svg>",
        HIST_W,
        HIST_H,
        HIST_W,
        HIST_H,
        title,
        bars,
    )
