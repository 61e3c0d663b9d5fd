"""What a respondent sees of an interview: its status, progress and current step.

One shape for the API (`GET /api/v1/interviews/<token>/`) and the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from interviews import selectors
from interviews.models import Interview, InterviewStatus, Step, StepKind
from studies.question_types import QuestionSpec, QuestionType

DONE = "done"
MAX_SCALE_BUTTONS = 11


def question_data(spec: QuestionSpec) -> dict[str, Any]:
    """The question as a respondent's client needs it (no probe or branching settings)."""
    return {
        "key": spec.key,
        "type": spec.type,
        "prompt": spec.prompt,
        "required": spec.required,
        **spec.config,
    }


@dataclass(frozen=True)
class InterviewState:
    interview: Interview
    status: str
    answered: int
    total: int
    step: Step | None  # None when done

    def as_data(self) -> dict[str, Any]:
        step: dict[str, Any]
        if self.step is None:
            with translation.override(self.interview.study.language):
                text = gettext("Thank you. Your interview is complete.")
            step = {"id": None, "kind": DONE, "text": text, "question": None}
        else:
            step = {
                "id": self.step.pk,
                "kind": self.step.kind,
                "text": self.step.text,
                "question": question_data(self.step.question.as_spec()),
            }
        return {
            "status": self.status,
            "progress": {"answered": self.answered, "total": self.total},
            "step": step,
        }


def interview_state(interview: Interview) -> InterviewState:
    progress = selectors.progress(interview=interview)
    step = None if interview.is_completed else selectors.current_step(interview=interview)
    status = InterviewStatus.COMPLETED if interview.is_completed else InterviewStatus.IN_PROGRESS
    return InterviewState(
        interview=interview,
        status=status,
        answered=progress.answered,
        total=progress.total,
        step=step,
    )


@dataclass(frozen=True)
class Said:
    """One exchange already in the conversation: what was asked and what was answered."""

    asked: str
    answer: str


@dataclass(frozen=True)
class Screen:
    """What the respondent page shows: the same for a real interview and a preview."""

    study_title: str
    language: str
    done: bool
    answered: int
    total: int
    step_id: int | None
    kind: str
    text: str
    question: dict[str, Any] | None
    thread: list[Said]  # the current question's earlier exchanges, oldest first

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 100

    @property
    def is_followup(self) -> bool:
        return self.kind == StepKind.FOLLOWUP

    @property
    def scale_points(self) -> list[int] | None:
        """A scale's points as a row of buttons, when there are few enough (at most 11)."""
        q = self.question
        if q is None or self.is_followup or q["type"] != QuestionType.SCALE:
            return None
        if q["max"] - q["min"] + 1 > MAX_SCALE_BUTTONS:
            return None
        return list(range(q["min"], q["max"] + 1))

    @property
    def continue_button(self) -> bool:
        """Whether the form needs a Continue button (buttons that answer need none)."""
        q = self.question
        if q is None or self.is_followup:
            return True
        if q["type"] == QuestionType.YES_NO:
            return False
        return not (q["type"] == QuestionType.SCALE and self.scale_points)


def screen_of(state: InterviewState) -> Screen:
    study = state.interview.study
    thread: list[Said] = []
    step = state.step
    if step is not None and step.kind == StepKind.FOLLOWUP:
        earlier = [
            s
            for s in selectors.steps_with_answers(interview=state.interview)
            if s.question_key == step.question_key and s.position < step.position
        ]
        for s in earlier:
            answer = selectors.answer_of(s)
            thread.append(Said(asked=s.text, answer=answer.text if answer is not None else ""))
    return Screen(
        study_title=study.title,
        language=study.language,
        done=step is None,
        answered=state.answered,
        total=state.total,
        step_id=step.pk if step is not None else None,
        kind=step.kind if step is not None else DONE,
        text=step.text if step is not None else "",
        question=question_data(step.question.as_spec()) if step is not None else None,
        thread=thread,
    )
