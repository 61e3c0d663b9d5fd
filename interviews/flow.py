"""The course of an interview, without storage: what comes after the answers so far.

Shared by the recorded interview (`services`, steps in the database) and the
researcher's preview (`preview`, steps in the session), so both follow the same
rules:

- questions are asked in order; a question whose `show_if` does not hold for the
  answers given so far is skipped (recorded as skipped, not missing);
- after an answer the moderator may add follow-ups to that question: open-ended
  questions when their `probe_max_followups` > 0, structured ones only when the
  study allows probing them; never more than `probe_max_followups`, and never about
  a question the respondent skipped;
- the interview is done when no question is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from studies.question_types import QuestionSpec, QuestionType, show_if_matches

QUESTION = "question"
FOLLOWUP = "followup"


@dataclass(frozen=True)
class Turn:
    """A step so far: a question (followup_index 0) or a follow-up, and its answer."""

    kind: str  # QUESTION or FOLLOWUP
    question_key: str
    followup_index: int
    text: str  # what was asked
    answered: bool
    skipped: bool = False  # by branching
    value: Any = None  # the stored answer
    answer_text: str = ""


@dataclass(frozen=True)
class NextQuestion:
    """The next question to ask and the questions branching skipped on the way to it."""

    skipped: list[QuestionSpec]
    question: QuestionSpec | None  # None: the interview is done


def answers_by_key(turns: Sequence[Turn]) -> dict[str, Any]:
    """The answers to the questions themselves (not follow-ups), for show_if."""
    return {
        t.question_key: t.value
        for t in turns
        if t.kind == QUESTION and t.answered and not t.skipped
    }


def next_question(questions: Sequence[QuestionSpec], turns: Sequence[Turn]) -> NextQuestion:
    """After the last question reached so far: skip what branching hides, then ask."""
    reached = {t.question_key for t in turns if t.kind == QUESTION}
    answers = answers_by_key(turns)
    skipped: list[QuestionSpec] = []
    for spec in questions:
        if spec.key in reached:
            continue
        if show_if_matches(spec.show_if, answers):
            return NextQuestion(skipped=skipped, question=spec)
        skipped.append(spec)
    return NextQuestion(skipped=skipped, question=None)


def exchanges_of(question_key: str, turns: Sequence[Turn]) -> list[Turn]:
    """The question and its follow-ups so far, oldest first."""
    return [t for t in turns if t.question_key == question_key and not t.skipped]


def may_probe(
    spec: QuestionSpec, value: Any, exchanges: Sequence[Turn], *, probe_structured: bool
) -> bool:
    """Whether to ask the moderator at all about the latest answer to `spec`."""
    if value is None or spec.probe_max_followups <= 0:
        return False
    if spec.type != QuestionType.OPEN_ENDED and not probe_structured:
        return False
    return len(exchanges) - 1 < spec.probe_max_followups


def answer_as_text(spec: QuestionSpec | None, value: Any) -> str:
    """The answer in words, for the moderator, transcripts and reports ("" when skipped)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict) and "other" in value:
        return str(value["other"])
    if isinstance(value, list):
        if spec is not None and spec.type == QuestionType.RANKING:
            return "; ".join(f"{i}. {option}" for i, option in enumerate(value, start=1))
        return "; ".join(str(item) for item in value)
    return str(value)


def progress(questions: Sequence[QuestionSpec], turns: Sequence[Turn]) -> tuple[int, int]:
    """(questions done: answered or skipped, questions in the study)."""
    done = {t.question_key for t in turns if t.kind == QUESTION and (t.answered or t.skipped)}
    return len(done), len(questions)
