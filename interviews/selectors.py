"""Reads of the interviews app; the researcher's reads are scoped to a study of the workspace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from interviews import flow
from interviews.models import (
    Answer,
    Inclusion,
    Interview,
    InterviewStatus,
    Step,
    StepKind,
    StepStatus,
)
from people.models import Person
from studies import selectors as study_selectors
from studies.models import Invitation, Question, Study
from workspaces.models import Workspace


def invitation_by_token(*, token: str) -> Invitation | None:
    """The respondent's invitation; the token is the credential (no workspace scope)."""
    return study_selectors.invitation_by_token(token=token)


def interview_by_token(*, token: str) -> Interview | None:
    """The interview behind a link, with its invitation and study, in one query."""
    if not study_selectors.TOKEN_PATTERN.fullmatch(token):
        return None
    rows = (
        Interview.objects.select_related("invitation", "study")
        .only(*(f.name for f in Interview._meta.concrete_fields), *RESPONDENT_FIELDS)
        .filter(invitation__token=token)
        .order_by()
    )
    return next(iter(rows[:1]), None)


# What the respondent's requests read of the invitation and the study: every answer turn
# starts with this row, so it is kept narrow (any other field is a query of its own).
RESPONDENT_FIELDS = (
    "invitation__id",
    "invitation__status",
    "invitation__expires_at",
    "study__id",
    "study__workspace_id",
    "study__key",
    "study__title",
    "study__objective",
    "study__language",
    "study__moderator_tone",
    "study__probe_structured",
    "study__status",
    "study__consent_text",
    "study__incentive_text",
)


def interview_status_for_update(*, interview_id: int) -> str | None:
    """The interview's status, its row locked until the transaction ends."""
    rows = Interview.objects.select_for_update().filter(pk=interview_id).order_by()
    return next(iter(rows.values_list("status", flat=True)[:1]), None)


def step_for_update(*, interview: Interview, step_id: int) -> Step | None:
    """One step of the interview with its question, the step's row locked."""
    rows = (
        Step.objects.select_for_update(of=("self",))
        .select_related("question")
        .filter(pk=step_id, interview_id=interview.pk)
        .order_by()
    )
    return next(iter(rows[:1]), None)


@dataclass(frozen=True)
class StepRow:
    """A step with its answer, as the answer path reads them: plain values, one query."""

    pk: int
    position: int
    kind: str
    question_key: str
    question_type: str
    followup_index: int
    text: str
    status: str
    moderator: str
    answered: bool
    value: Any
    answer_text: str
    seconds: float | None


def step_rows(*, interview_id: int) -> list[StepRow]:
    rows = (
        Step.objects.filter(interview_id=interview_id)
        .order_by("position")
        .values_list(
            "pk",
            "position",
            "kind",
            "question_key",
            "question__type",
            "followup_index",
            "text",
            "status",
            "moderator",
            "answer__id",
            "answer__value",
            "answer__text",
            "answer__seconds",
        )
    )
    return [
        StepRow(
            pk=pk,
            position=position,
            kind=kind,
            question_key=key,
            question_type=qtype,
            followup_index=followup_index,
            text=text,
            status=status,
            moderator=moderator,
            answered=answer_id is not None,
            value=value,
            answer_text=answer_text or "",
            seconds=seconds,
        )
        for (
            pk,
            position,
            kind,
            key,
            qtype,
            followup_index,
            text,
            status,
            moderator,
            answer_id,
            value,
            answer_text,
            seconds,
        ) in rows
    ]


def turns_of(rows: Sequence[StepRow]) -> list[flow.Turn]:
    return [
        flow.Turn(
            kind=r.kind,
            question_key=r.question_key,
            followup_index=r.followup_index,
            text=r.text,
            answered=r.answered,
            skipped=r.status == StepStatus.SKIPPED,
            value=r.value,
            answer_text=r.answer_text,
        )
        for r in rows
    ]


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


def interviews_for_reports(*, study: Study) -> QuerySet[Interview]:
    """The study's completed interviews that reports count: those the researcher included,
    and, unless excluded, those not flagged low quality."""
    return Interview.objects.filter(
        Q(inclusion=Inclusion.INCLUDE) | Q(inclusion=Inclusion.AUTO, low_quality=False),
        study=study,
        workspace_id=study.workspace_id,
        status=InterviewStatus.COMPLETED,
    )
