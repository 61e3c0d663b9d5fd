"""The whole analysis of one report, on plain data: responses in, the report document out.

`analyze` is what report generation runs once it has read the study's
completed interviews; it knows nothing of the database (the benchmark and the
planted-differences test call it directly). The document's shape is the
contract in DESIGN.md ("Reports"), plus `version` and `themes_by`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from reports import coding, language, stats, stories, summary, themes

DOCUMENT_VERSION: Final = 1
STRUCTURED_TYPES: Final = frozenset(
    {"scale", "single_choice", "multiple_choice", "ranking", "yes_no"}
)
OPEN_TYPES: Final = frozenset({"open_ended"})

Progress = Callable[[int, str], None]


def no_progress(percent: int, step: str) -> None:
    """The default progress callback: nobody is watching."""


@dataclass(frozen=True)
class Response:
    """One completed interview: its segment, answers by question key, follow-up answers.

    A key that is absent means the question was not asked (a `show_if` hid it);
    a value of None means it was asked and skipped.
    """

    interview: str
    segment: str
    answers: Mapping[str, Any]
    followups: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class SegmentInfo:
    id: str
    name: str
    invited: int = 0
    completed: int = 0
    excluded: int = 0


def open_answers(
    questions: Sequence[Mapping[str, Any]], responses: Sequence[Response]
) -> list[themes.OpenAnswer]:
    """Every non-empty open answer and follow-up answer, tagged with interview and segment."""
    keys = [question["key"] for question in questions if question["type"] in OPEN_TYPES]
    found: list[themes.OpenAnswer] = []
    for response in responses:
        texts = [response.answers.get(key) for key in keys] + list(response.followups)
        found.extend(
            themes.OpenAnswer(response.interview, response.segment, text)
            for text in texts
            if isinstance(text, str) and text.strip()
        )
    return found


def structured_results(
    questions: Sequence[Mapping[str, Any]],
    responses: Sequence[Response],
    segment_ids: Sequence[str],
) -> list[dict[str, Any]]:
    results = []
    for question in questions:
        if question["type"] not in STRUCTURED_TYPES:
            continue
        answers: dict[str, list[Any]] = {sid: [] for sid in segment_ids}
        for response in responses:
            if question["key"] in response.answers and response.segment in answers:
                answers[response.segment].append(response.answers[question["key"]])
        results.append(stats.summarize_question(question, answers))
    return results


def analyze(
    questions: Sequence[Mapping[str, Any]],
    segments: Sequence[SegmentInfo],
    responses: Sequence[Response],
    *,
    use_model: bool = False,
    progress: Progress = no_progress,
    seed: int = 0,
    on_codings: Callable[[Sequence[themes.Coding]], None] | None = None,
) -> dict[str, Any]:
    """The report document for `responses` of `segments` to `questions`.

    `on_codings`, when given, receives the codings of the themes the report kept
    (generation writes them back to people as traits)."""
    segment_ids = [segment.id for segment in segments]
    names = {segment.id: segment.name for segment in segments}
    progress(10, "Structured answers")
    question_results = structured_results(questions, responses, segment_ids)
    progress(30, "Themes")
    texts = open_answers(questions, responses)
    theme_list, codings, themes_by = _codings(texts, use_model=use_model, seed=seed)
    respondents = themes.respondents_per_segment(texts, segment_ids)
    theme_results = themes.measure_themes(theme_list, codings, respondents, texts)
    stats.apply_q_values([*question_results, *theme_results])
    stats.describe_tests(question_results, names)
    stats.describe_tests(theme_results, names, label="label")
    progress(60, "Distinctive language")
    by_segment: dict[str, list[str]] = {sid: [] for sid in segment_ids}
    for answer in texts:
        by_segment.setdefault(answer.segment, []).append(answer.text)
    distinctive = language.distinctive_terms(by_segment)
    _attach_examples(distinctive, texts)
    progress(75, "Subgroups")
    sources = themes.texts_by_interview(texts)
    kept = {theme["label"] for theme in theme_results}
    kept_codings = [coding for coding in codings if coding.theme in kept]
    if on_codings is not None:
        on_codings(kept_codings)
    subgroups = stories.subgroups(kept_codings, segment_ids, sources, seed=seed)
    progress(90, "Summary")
    segment_rows = [_segment_row(segment) for segment in segments]
    return {
        "version": DOCUMENT_VERSION,
        "themes_by": themes_by,
        "segments": segment_rows,
        "questions": question_results,
        "themes": theme_results,
        "distinctive_terms": distinctive,
        "subgroups": subgroups,
        "summary": (summary.model_summary if use_model else summary.compose_summary)(
            segment_rows, question_results, theme_results, sources
        ),
    }


def _attach_examples(
    distinctive: Mapping[str, list[dict[str, Any]]], texts: Sequence[themes.OpenAnswer]
) -> None:
    """Give each distinctive term an example: a sentence of the segment that uses it
    (a sentence is an exact substring of its answer, so the quote is verbatim)."""
    by_segment: dict[str, list[themes.Sentence]] = {}
    for sentence in themes.sentences(texts):
        by_segment.setdefault(sentence.segment, []).append(sentence)
    for sid, rows in distinctive.items():
        wanted = {row["term"] for row in rows}
        found: dict[str, dict[str, str]] = {}
        for sentence in by_segment.get(sid, []):
            for term in (set(language.terms(sentence.text)) & wanted) - found.keys():
                found[term] = {"text": sentence.text, "interview": sentence.interview}
            if len(found) == len(wanted):
                break
        for row in rows:
            row["quote"] = found.get(row["term"])


def _codings(
    texts: Sequence[themes.OpenAnswer], *, use_model: bool, seed: int
) -> tuple[list[themes.Theme], list[themes.Coding], str]:
    if use_model:
        coded = coding.model_codings(texts, seed=seed)
        if coded is not None:
            return coded[0], coded[1], "model"
    found, codings = themes.offline_codings(texts, seed=seed)
    return found, codings, "offline"


def _segment_row(segment: SegmentInfo) -> dict[str, Any]:
    return {
        "id": segment.id,
        "name": segment.name,
        "invited": segment.invited,
        "completed": segment.completed,
        "excluded": segment.excluded,
    }
