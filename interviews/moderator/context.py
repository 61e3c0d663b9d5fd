"""The moderator's interface: what it is told about an answer, and what it decides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from studies.question_types import QuestionSpec

MAX_FOLLOWUP: Final = 300
MAX_REASON: Final = 200
OPEN_ENDED: Final = "open_ended"

Moderator = Literal["offline", "model", "fallback"]


@dataclass(frozen=True)
class Exchange:
    """One turn within the current question, oldest first."""

    asked: str  # the question prompt or a follow-up
    answer: str  # the answer as text (structured values rendered as text)


@dataclass(frozen=True)
class ProbeContext:
    objective: str
    language: str  # "en" or "de"
    tone: str  # studies.models.ModeratorTone
    probe_structured: bool
    question: QuestionSpec
    value: Any  # the stored value of the question's own answer
    exchanges: Sequence[Exchange]  # the question and its follow-ups, latest answer included
    workspace_id: int | None = None


@dataclass(frozen=True)
class ProbeDecision:
    probe: bool
    followup: str  # "" when probe is False
    reason: str  # short, for the researcher
    moderator: str  # "offline" | "model" | "fallback"
    fallback_reason: str = ""


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"
