"""Transcripts of a study's interviews as CSV (one row per step) and JSON (one object
per interview), streamed: interviews are read in chunks by id, so memory stays
bounded whatever the study's size. CSV cells go through
`workspaces.spreadsheets` against formula injection.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

from interviews import selectors
from interviews.models import Interview, Step
from studies.models import Study

CSV_HEADER: Final = (
    "interview",
    "user_id",
    "segment",
    "interview_status",
    "included",
    "quality_flags",
    "quality_score",
    "position",
    "kind",
    "question",
    "question_type",
    "asked",
    "status",
    "answer",
    "value",
    "answered_at",
    "seconds",
    "moderator",
    "fallback_reason",
)


def _user_id(interview: Interview) -> str:
    return interview.person.user_id or "" if interview.person is not None else ""


def step_data(step: Step) -> dict[str, Any]:
    answer = selectors.answer_of(step)
    return {
        "position": step.position,
        "kind": step.kind,
        "question": step.question_key,
        "question_type": step.question.type,
        "asked": step.text,
        "status": step.status,
        "answer": answer.text if answer is not None else None,
        "value": answer.value if answer is not None else None,
        "asked_at": step.asked_at.isoformat(),
        "answered_at": answer.answered_at.isoformat() if answer is not None else None,
        "seconds": answer.seconds if answer is not None else None,
        "moderator": step.moderator or None,
        "probe_reason": step.probe_reason or None,
        "fallback_reason": step.fallback_reason or None,
    }


def interview_data(interview: Interview, steps: list[Step]) -> dict[str, Any]:
    return {
        "id": interview.pk,
        "user_id": _user_id(interview) or None,
        "segment": interview.segment.name if interview.segment is not None else None,
        "status": interview.status,
        "started_at": interview.started_at.isoformat(),
        "completed_at": interview.completed_at.isoformat() if interview.completed_at else None,
        "included": interview.included,
        "inclusion": interview.inclusion,
        "quality": {
            "flags": interview.quality_flags,
            "score": interview.quality_score,
            "low_quality": interview.low_quality,
        },
        "moderators": interview.moderators,
        "steps": [step_data(step) for step in steps],
    }


def csv_rows(*, study: Study) -> Iterator[tuple[Any, ...]]:
    for interview, steps in selectors.transcript_rows(study=study):
        for step in steps:
            answer = selectors.answer_of(step)
            yield (
                interview.pk,
                _user_id(interview),
                interview.segment.name if interview.segment is not None else "",
                interview.status,
                interview.included,
                " ".join(interview.quality_flags),
                interview.quality_score,
                step.position,
                step.kind,
                step.question_key,
                step.question.type,
                step.text,
                step.status,
                answer.text if answer is not None else "",
                json.dumps(answer.value) if answer is not None and answer.value is not None else "",
                answer.answered_at if answer is not None else "",
                round(answer.seconds, 1)
                if answer is not None and answer.seconds is not None
                else "",
                step.moderator,
                step.fallback_reason,
            )


def transcripts_json(*, study: Study) -> Iterator[str]:
    """`{"study": {...}, "interviews": [...]}`, written piece by piece."""
    head = {"id": study.pk, "key": study.key, "title": study.title}
    yield '{"study": ' + json.dumps(head) + ', "interviews": ['
    first = True
    for interview, steps in selectors.transcript_rows(study=study):
        yield ("" if first else ", ") + json.dumps(interview_data(interview, steps))
        first = False
    yield "]}"
