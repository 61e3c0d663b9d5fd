"""The report page's view of a document: segments as columns, differences by effect size.

`page_context` turns the stored document into rows the template renders
without logic: one block per question or theme, its cells already holding
their numbers and SVG charts (reports.charts), significant differences first
and then by effect size, each with its sentence in plain words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString

from reports import charts, trends
from reports.stats import MIN_N


@dataclass
class Cell:
    text: str = ""
    chart: SafeString | str = ""
    note: str = ""


@dataclass
class Row:
    label: str
    cells: list[Cell]


@dataclass
class Block:
    key: str
    title: str
    kind: str
    sentence: str
    significant: bool
    effect: float
    rows: list[Row] = field(default_factory=list)
    quotes: list[list[dict[str, str]]] = field(default_factory=list)
    description: str = ""


def _effect(result: Mapping[str, Any]) -> tuple[bool, float]:
    tests = list(result.get("option_tests", {}).values()) or [result.get("test")]
    tests = [test for test in tests if test]
    significant = any(test.get("significant") for test in tests)
    effect = max((abs(test.get("effect_size") or 0.0) for test in tests), default=0.0)
    return significant, effect


def _sentence(result: Mapping[str, Any]) -> str:
    tests = [t for t in (result.get("option_tests") or {}).values() if t.get("significant")]
    if tests:
        return " ".join(test["sentence"] for test in tests)
    test = result.get("test")
    return test["sentence"] if test else "No test: every answer was the same, or one segment."


def question_block(result: Mapping[str, Any], segment_ids: Sequence[str]) -> Block:
    significant, effect = _effect(result)
    block = Block(
        key=str(result["key"]),
        title=str(result["key"]),
        kind=str(result["type"]),
        sentence=_sentence(result),
        significant=significant,
        effect=effect,
    )
    by_segment = result["by_segment"]
    cells = [by_segment.get(sid, {"n": 0}) for sid in segment_ids]
    block.rows.append(Row("Answered (n)", [Cell(text=str(c.get("n", 0))) for c in cells]))
    skipped = result.get("skipped", {})
    block.rows.append(Row("Skipped", [Cell(text=str(skipped.get(sid, 0))) for sid in segment_ids]))
    if result["type"] == "scale":
        block.rows.extend(_scale_rows(cells, block.key))
    elif result["type"] == "ranking":
        block.rows.extend(_ranking_rows(cells))
    else:
        block.rows.extend(_option_rows(cells, block.key))
    return block


def _scale_rows(cells: Sequence[Mapping[str, Any]], key: str) -> list[Row]:
    means, medians, histograms = [], [], []
    for index, cell in enumerate(cells):
        n = int(cell.get("n", 0))
        ci = cell.get("ci")
        mean = cell.get("mean")
        interval = f" (95% CI {ci[0]:.1f}-{ci[1]:.1f})" if ci else ""
        means.append(Cell(text=f"{mean:.2f}{interval}" if mean is not None else "-"))
        medians.append(Cell(text=f"{cell['median']:g}" if cell.get("median") is not None else "-"))
        histograms.append(
            Cell(chart=charts.histogram(cell.get("distribution") or {}, n, index, key))
        )
    return [Row("Mean", means), Row("Median", medians), Row("Distribution", histograms)]


def _option_rows(cells: Sequence[Mapping[str, Any]], key: str) -> list[Row]:
    options: list[str] = []
    for cell in cells:
        options.extend(o for o in (cell.get("options") or {}) if o not in options)
    rows = []
    for option in options:
        row = Row(option, [])
        for index, cell in enumerate(cells):
            measures = (cell.get("options") or {}).get(option) or {}
            n = int(cell.get("n", 0))
            share = measures.get("share")
            text = f"{share:.0%} ({measures.get('count', 0)} of {n})" if share is not None else "-"
            chart = charts.share_bar(share, measures.get("ci"), n, index, f"{key}: {option}")
            row.cells.append(Cell(text=text, chart=chart))
        rows.append(row)
    return rows


def _ranking_rows(cells: Sequence[Mapping[str, Any]]) -> list[Row]:
    options: list[str] = []
    for cell in cells:
        options.extend(o for o in (cell.get("options") or {}) if o not in options)
    rows = []
    for option in options:
        row = Row(option, [])
        for cell in cells:
            measures = (cell.get("options") or {}).get(option) or {}
            if measures.get("mean_rank") is None:
                row.cells.append(Cell(text="-"))
                continue
            row.cells.append(
                Cell(
                    text=f"mean rank {measures['mean_rank']:.2f}",
                    note=f"Borda {measures['borda']}, first for {measures['top']}",
                )
            )
        rows.append(row)
    rows.append(Row("Top choice", [Cell(text=str(c.get("top_choice") or "-")) for c in cells]))
    return rows


def theme_block(theme: Mapping[str, Any], segment_ids: Sequence[str]) -> Block:
    significant, effect = _effect(theme)
    block = Block(
        key=str(theme["label"]),
        title=str(theme["label"]),
        kind=str(theme["kind"]),
        sentence=_sentence(theme),
        significant=significant,
        effect=effect,
        description=str(theme.get("description", "")),
    )
    row = Row("Mentioned by", [])
    for index, sid in enumerate(segment_ids):
        values = theme["by_segment"].get(sid, {"n": 0})
        n = int(values.get("n", 0))
        share = values.get("share")
        text = f"{share:.0%} ({values.get('count', 0)} of {n})" if share is not None else "-"
        chart = charts.share_bar(share, values.get("ci"), n, index, theme["label"])
        row.cells.append(Cell(text=text, chart=chart))
    block.rows.append(row)
    block.quotes = [theme.get("quotes", {}).get(sid, []) for sid in segment_ids]
    return block


def _ordered(blocks: list[Block]) -> list[Block]:
    return sorted(blocks, key=lambda block: (not block.significant, -block.effect))


def page_context(document: Mapping[str, Any], question: str | None = None) -> dict[str, Any]:
    """What the report template needs; `question` keeps only that question's block."""
    segments = [
        {**segment, "css": charts.segment_class(index), "small": segment["completed"] < MIN_N}
        for index, segment in enumerate(document.get("segments", []))
    ]
    ids = [str(segment["id"]) for segment in segments]
    questions = _ordered([question_block(result, ids) for result in document["questions"]])
    keys = [block.key for block in questions]
    if question:
        questions = [block for block in questions if block.key == question]
    themes = _ordered([theme_block(theme, ids) for theme in document.get("themes", [])])
    subgroups = [
        (segment, document["subgroups"][str(segment["id"])])
        for segment in segments
        if str(segment["id"]) in document.get("subgroups", {})
    ]
    columns = [
        {
            "segment": segment,
            "terms": document.get("distinctive_terms", {}).get(str(segment["id"]), [])[:10],
            "needs": [
                (block.title, block.rows[0].cells[index].text)
                for block in themes
                if block.kind == "unmet_need"
            ][:5],
        }
        for index, segment in enumerate(segments)
    ]
    return {
        "segments": segments,
        "summary": document.get("summary", {}),
        "questions": questions,
        "question_keys": keys,
        "question_filter": question or "",
        "themes": themes,
        "columns": columns,
        "subgroups": subgroups,
        "themes_by": document.get("themes_by", "offline"),
        "over_time": trends.page_context(document.get("over_time"), segments),
    }
