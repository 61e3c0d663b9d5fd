"""Reads of the interviews app; the researcher's reads are scoped to a study of the workspace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from interviews import flow
from interviews.models import Answer, Interview, Step, StepKind, StepStatus
from people.models import Person
from studies import selectors as study_selectors
from studies.models import Invitation, Question, Study
from workspaces.models import Workspace


def invitation_by_token(*, token: str) -> Invitation | None:
    """The respondent's invitation; the token is the credential (no workspace scope)."""
    return study_selectors.invitation_by_token(token=token)


def interview_of_invitation(*, invitation: Invitation) -> Interview | None:
    return Interview.objects.select_related("study").filter(invitation=invitation).first()


def has_open_step(*, interview: Interview) -> bool:
    return Step.objects.filter(interview=interview, status=StepStatus.ASKED).exists()


def questions_of(*, study: Study) -> list[Question]:
    return list(Question.objects.filter(study=study).order_by("position", "id"))


def steps_with_answers(*, interview: Interview) -> list[Step]:
    """The interview's steps in order, each with its question and answer (if any)."""
    return list(
        Step.objects.filter(interview=interview)
        .select_related("question", "answer")
        .order_by("position")
    )


def answer_of(step: Step) -> Answer | None:
    try:
        return step.answer
    except Answer.DoesNotExist:
        return None


def turns(steps: Sequence[Step]) -> list[flow.Turn]:
    """Steps as the storage-free course of the interview (interviews.flow)."""
    result = []
    for step in steps:
        answer = answer_of(step)
        result.append(
            flow.Turn(
                kind=step.kind,
                question_key=step.question_key,
                followup_index=step.followup_index,
                text=step.text,
                answered=answer is not None,
                skipped=step.status == StepStatus.SKIPPED,
                value=answer.value if answer is not None else None,
                answer_text=answer.text if answer is not None else "",
            )
        )
    return result


def current_step(*, interview: Interview) -> Step | None:
    return (
        Step.objects.select_related("question")
        .filter(interview=interview, status=StepStatus.ASKED)
        .order_by("-position")
        .first()
    )


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int


def progress(*, interview: Interview) -> Progress:
    """Questions done (answered or skipped by branching) out of the study's questions."""
    total = Question.objects.filter(study_id=interview.study_id).count()
    done = (
        Step.objects.filter(interview=interview, kind=StepKind.QUESTION)
        .filter(Q(status=StepStatus.SKIPPED) | Q(status=StepStatus.ANSWERED))
        .count()
    )
    return Progress(answered=done, total=total)


# --- the researcher's side ------------------------------------------------------------


def study_for(*, workspace: Workspace, study_id: int) -> Study | None:
    return study_selectors.study_get(workspace=workspace, pk=study_id)


def interview_list(*, study: Study, status: str | None = None) -> QuerySet[Interview]:
    """A study's interviews, newest first, with their person and counts of answers."""
    rows = (
        Interview.objects.filter(study=study, workspace_id=study.workspace_id)
        .select_related("person", "segment")
        .annotate(
            answered=Count(
                "steps",
                filter=Q(steps__kind=StepKind.QUESTION, steps__status=StepStatus.ANSWERED),
            ),
            followups=Count("steps", filter=Q(steps__kind=StepKind.FOLLOWUP)),
        )
        .order_by("-started_at", "-id")
    )
    return rows.filter(status=status) if status else rows


def interview_get(*, study: Study, pk: int) -> Interview | None:
    return (
        Interview.objects.filter(study=study, workspace_id=study.workspace_id, pk=pk)
        .select_related("person", "segment", "study")
        .first()
    )


def transcript_rows(*, study: Study, chunk: int = 500) -> Any:
    """Every step of the study's interviews, interview by interview, read in chunks."""
    after = 0
    while True:
        ids = list(
            Interview.objects.filter(study=study, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk]
        )
        if not ids:
            return
        interviews = {
            i.pk: i
            for i in Interview.objects.filter(pk__in=ids).select_related("person", "segment")
        }
        steps = (
            Step.objects.filter(interview_id__in=ids)
            .select_related("answer", "question")
            .order_by("interview_id", "position")
        )
        by_interview: dict[int, list[Step]] = {}
        for step in steps:
            by_interview.setdefault(step.interview_id, []).append(step)
        for pk in ids:
            yield interviews[pk], by_interview.get(pk, [])
        if len(ids) < chunk:
            return
        after = ids[-1]


def interview_counts(*, study: Study) -> dict[str, int]:
    """Interviews by status, and those flagged low quality or excluded from reports."""
    rows = Interview.objects.filter(study=study, workspace_id=study.workspace_id)
    counts = rows.aggregate(
        total=Count("pk"),
        completed=Count("pk", filter=Q(status="completed")),
        in_progress=Count("pk", filter=Q(status="in_progress")),
        flagged=Count("pk", filter=Q(low_quality=True)),
        excluded=Count(
            "pk",
            filter=Q(inclusion="exclude") | Q(inclusion="auto", low_quality=True),
        ),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def person_interviews(*, person: Person, limit: int = 20) -> list[Interview]:
    """A person's latest interviews with their study (the person page's card)."""
    return list(
        Interview.objects.filter(person=person, workspace_id=person.workspace_id)
        .select_related("study")
        .order_by("-started_at", "-id")[:limit]
    )
