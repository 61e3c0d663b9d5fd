"""Report exports: the document as JSON, and as CSV in long format.

The CSV has one measure per row, `segment, question, measure, value`, so a
spreadsheet pivots it any way it likes: per segment and question the n, mean,
median, interval bounds and per-option counts and shares; per question its
test (segment left empty); themes as `theme: <label>`; distinctive terms as
`term: <term>`. Cells go through `workspaces.spreadsheets`, so an answer text
or label that starts with `=` cannot run as a formula.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

HEADER: Final = ("segment", "question", "measure", "value")
TEST_FIELDS: Final = ("name", "statistic", "p_value", "q_value", "effect_size", "effect_name")
SEGMENT_FIELDS: Final = ("n", "mean", "median", "count", "share", "top_choice")


def csv_rows(document: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
    """The long-format rows of `document` (header not included)."""
    names = {str(segment["id"]): segment["name"] for segment in document.get("segments", [])}
    for segment in document.get("segments", []):
        for measure in ("invited", "completed", "excluded"):
            yield (segment["name"], "", measure, segment.get(measure))
    for question in document.get("questions", []):
        yield from _result_rows(question, str(question["key"]), names)
    for theme in document.get("themes", []):
        subject = f"theme: {theme['label']}"
        yield ("", subject, "kind", theme.get("kind"))
        yield from _result_rows(theme, subject, names)
    for sid, terms in document.get("distinctive_terms", {}).items():
        for term in terms:
            yield (names.get(str(sid), sid), f"term: {term['term']}", "z", term["z"])
            yield (names.get(str(sid), sid), f"term: {term['term']}", "count", term["count"])


def _result_rows(
    result: Mapping[str, Any], subject: str, names: Mapping[str, str]
) -> Iterator[tuple[Any, ...]]:
    for sid, values in result.get("by_segment", {}).items():
        name = names.get(str(sid), sid)
        for field in SEGMENT_FIELDS:
            if values.get(field) is not None:
                yield (name, subject, field, values[field])
        if values.get("ci"):
            yield (name, subject, "ci_low", values["ci"][0])
            yield (name, subject, "ci_high", values["ci"][1])
        if result.get("skipped", {}).get(sid) is not None:
            yield (name, subject, "skipped", result["skipped"][sid])
        for option, measures in (values.get("options") or {}).items():
            for measure, value in measures.items():
                if isinstance(value, list):
                    yield (name, f"{subject}: {option}", f"{measure}_low", value[0])
                    yield (name, f"{subject}: {option}", f"{measure}_high", value[1])
                elif value is not None:
                    yield (name, f"{subject}: {option}", measure, value)
        for point, count in (values.get("distribution") or {}).items():
            yield (name, f"{subject}: {point}", "count", count)
    tests = result.get("option_tests") or {"": result.get("test")}
    for option, test in tests.items():
        if not test:
            continue
        label = f"{subject}: {option}" if option else subject
        for field in TEST_FIELDS:
            if test.get(field) is not None:
                yield ("", label, f"test_{field}", test[field])
        yield ("", label, "test_significant", bool(test.get("significant")))
