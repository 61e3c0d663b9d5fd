"""Writes of the interviews app: opening a link, recording an answer, moving on, review.

The rule that shapes `answer`: the respondent's answer is committed before anything
slow or fallible (the moderator, which may call a model for seconds), under the
step's row lock; then the moderator is asked outside any transaction; then the next
step is written in a second transaction under the interview's row lock. When the
moderator cannot be asked about the answer at all, answer and next step are one
transaction (nothing slow runs between them). If the process dies between the two,
the next open of the link moves on without a follow-up (`interview_open` →
`_advance(probe_after=None)`): a follow-up that could not be generated is skipped,
never retried forever, and no answer is lost.

Concurrency: two answers to one step are serialised by the step's lock (the second
sees it answered: 409); the unique step of an `Answer` is the backstop the database
keeps whatever the code does. Completion queues the trait write-back on commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from interviews import flow, moderator, quality, selectors, tasks
from interviews.models import (
    Answer,
    Inclusion,
    Interview,
    InterviewStatus,
    Step,
    StepKind,
    StepStatus,
)
from interviews.state import InterviewState, interview_state
from studies.models import Invitation, InvitationStatus, Question, Study, StudyStatus
from studies.question_types import AnswerError, QuestionSpec, QuestionType, validate_answer
from workspaces.services import ServiceError

logger = logging.getLogger(__name__)


class InterviewError(ServiceError):
    """Why a respondent's request cannot be carried out; `code` names the case."""

    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message, field=field)
        if code:
            self.code = code


class InterviewNotFound(InterviewError):
    status_code = 404
    code = "not_found"


class InterviewGone(InterviewError):
    """Expired or withdrawn invitations and closed studies: the link no longer works."""

    status_code = 410


class InterviewConflict(InterviewError):
    """Answered steps, completed interviews and paused studies."""

    status_code = 409


class InvalidAnswer(InterviewError):
    code = "invalid_answer"


# --- opening a link ----------------------------------------------------------------


def _check_open(invitation: Invitation, study: Study, now: datetime) -> None:
    """Raise when this invitation's interview cannot be taken now (not once completed)."""
    if study.status == StudyStatus.DRAFT:
        raise InterviewNotFound("No such interview.")
    if invitation.status == InvitationStatus.OPTED_OUT:
        raise InterviewGone(
            "You asked not to be invited to interviews, so this link no longer works.",
            code="opted_out",
        )
    if study.status == StudyStatus.CLOSED:
        raise InterviewGone("This study has closed and takes no more answers.", code="closed")
    if invitation.status == InvitationStatus.EXPIRED or invitation.expires_at <= now:
        raise InterviewGone("This invitation has expired.", code="expired")
    if study.status == StudyStatus.PAUSED:
        raise InterviewConflict(
            "This study is paused for the moment; please come back later.", code="paused"
        )


def invitation_for(token: str) -> Invitation:
    invitation = selectors.invitation_by_token(token=token)
    if invitation is None:
        raise InterviewNotFound("No such interview.")
    return invitation


def interview_open(*, token: str, now: datetime | None = None) -> Interview:
    """The interview behind a link, started on first open (the invitation becomes
    `opened`); its current step exists afterwards unless it is completed."""
    now = now or timezone.now()
    interview = _interview_for(token, now)
    if not interview.is_completed and not selectors.has_open_step(interview=interview):
        _advance(interview, probe_after=None)
        interview.refresh_from_db()
    return interview


def _interview_for(token: str, now: datetime) -> Interview:
    """The link's interview (with its invitation and study), started if new; raises when
    the link cannot be used now. A completed interview is returned whatever happened since."""
    interview = selectors.interview_by_token(token=token)
    if interview is None:
        invitation = invitation_for(token)
        _check_open(invitation, invitation.study, now)
        interview = _start(invitation, now)
        interview.study = invitation.study
        return interview
    if not interview.is_completed:
        assert interview.invitation is not None  # found through it
        _check_open(interview.invitation, interview.study, now)
    return interview


def _start(invitation: Invitation, now: datetime) -> Interview:
    with transaction.atomic():
        interview, _created = Interview.objects.get_or_create(
            invitation=invitation,
            defaults={
                "workspace_id": invitation.workspace_id,
                "study_id": invitation.study_id,
                "person_id": invitation.person_id,
                "segment_id": invitation.segment_id,
                "started_at": now,
            },
        )
        Invitation.objects.filter(
            pk=invitation.pk, status__in=[InvitationStatus.PENDING, InvitationStatus.SENT]
        ).update(status=InvitationStatus.OPENED)
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
    return interview


def interview_consent(*, interview: Interview, now: datetime | None = None) -> None:
    """The respondent agreed on the page's consent screen (idempotent)."""
    Interview.objects.filter(pk=interview.pk, consented_at__isnull=True).update(
        consented_at=now or timezone.now()
    )


# --- answering ---------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    step: Step  # with its question
    value: Any  # as stored


def answer(*, token: str, step_id: int, value: Any, now: datetime | None = None) -> InterviewState:
    """Store the answer to a step, then ask the moderator, then the next step; returns
    the interview as the respondent sees it next.

    Raises InvalidAnswer (400, a message the respondent can act on),
    InterviewConflict (409: answered step, completed interview, paused study),
    InterviewGone (410) or InterviewNotFound (404).
    """
    now = now or timezone.now()
    interview = _interview_for(token, now)
    if interview.is_completed:
        raise InterviewConflict("This interview is complete; thank you.", code="completed")
    recorded, moved = _record(interview, step_id, value, now)
    if moved is None:
        moved = _advance(interview, probe_after=recorded)
    if moved is None:
        interview.refresh_from_db()  # another request moved on first: read what it wrote
        return interview_state(interview)
    if moved.step is None:
        _write_traits_after_completion(interview)
    return moved


def followup_spec(spec: QuestionSpec) -> QuestionSpec:
    """A follow-up is answered in words, whatever the question's type."""
    return QuestionSpec(key=spec.key, type=QuestionType.OPEN_ENDED, required=True)


def validate_step_answer(*, kind: str, spec: QuestionSpec, value: Any) -> Any:
    """The stored form of an answer to a step of this kind; InvalidAnswer otherwise."""
    try:
        if kind == StepKind.FOLLOWUP:
            return validate_answer(followup_spec(spec), value)
        return validate_answer(spec, value)
    except AnswerError as exc:
        raise InvalidAnswer(exc.message, field="value") from None


def _record(
    interview: Interview, step_id: int, value: Any, now: datetime
) -> tuple[Recorded, InterviewState | None]:
    """Commit the answer to a step that is being asked, under the step's row lock (of two
    concurrent answers the second finds it answered; the unique step is the backstop).

    When the moderator cannot be asked about this answer (nothing slow or fallible
    follows), the next step is written in the same transaction and returned as well."""
    with transaction.atomic():
        step = selectors.step_for_update(interview=interview, step_id=step_id)
        if step is None:
            raise InterviewError(
                "This is not a step of this interview; reload to see the current question.",
                code="unknown_step",
                field="step",
            )
        if step.status != StepStatus.ASKED:
            raise InterviewConflict("This question has already been answered.", code="answered")
        spec = step.question.as_spec()
        stored = validate_step_answer(kind=step.kind, spec=spec, value=value)
        # No savepoint: a conflict ends this transaction.
        try:
            Answer.objects.create(
                step=step,
                value=stored,
                text=flow.answer_as_text(spec, stored),
                answered_at=now,
                seconds=max((now - step.asked_at).total_seconds(), 0.0),
            )
        except IntegrityError:
            raise InterviewConflict(
                "This question has already been answered.", code="answered"
            ) from None
        Step.objects.filter(pk=step.pk).update(status=StepStatus.ANSWERED)
        if interview.consented_at is None:
            # Answering through the API implies consent (DESIGN.md).
            Interview.objects.filter(pk=interview.pk).update(consented_at=now)
            interview.consented_at = now
        step.status = StepStatus.ANSWERED
        recorded = Recorded(step=step, value=stored)
        if _may_want_moderator(interview, spec):
            return recorded, None
        # The step's lock keeps a concurrent answer out, and until this commits other
        # requests see the step still asked, so nothing else moves the interview on.
        return recorded, _move_on(interview, selectors.step_rows(interview_id=interview.pk))


def _may_want_moderator(interview: Interview, spec: QuestionSpec) -> bool:
    """Whether the moderator may be asked about answers to this question at all."""
    probe_structured = interview.study.probe_structured
    if spec.probe_max_followups <= 0:
        return False
    return spec.type == QuestionType.OPEN_ENDED or probe_structured


# --- moving on ---------------------------------------------------------------------


def _probe(interview: Interview, recorded: Recorded) -> moderator.ProbeDecision | None:
    """Ask the moderator about this answer, if the rules allow; never raises."""
    step, spec = recorded.step, recorded.step.question.as_spec()
    turns = selectors.turns_of(selectors.step_rows(interview_id=interview.pk))
    latest = flow.exchanges_of(step.question_key, turns)
    if not latest or latest[-1].followup_index != step.followup_index:
        return None  # not the latest exchange of its question
    return ask_moderator(study=interview.study, spec=spec, turns=turns, log_as=interview.pk)


def ask_moderator(
    *, study: Study, spec: QuestionSpec, turns: list[flow.Turn], log_as: int | None = None
) -> moderator.ProbeDecision | None:
    """The moderator's decision on the latest answer to `spec`, or None when the rules
    forbid probing (interviews.flow.may_probe) or the moderator failed; never raises."""
    exchanges = flow.exchanges_of(spec.key, turns)
    value = flow.answers_by_key(turns).get(spec.key)
    probe_structured = study.probe_structured
    if not flow.may_probe(spec, value, exchanges, probe_structured=probe_structured):
        return None
    context = moderator.ProbeContext(
        objective=study.objective,
        language=study.language,
        tone=study.moderator_tone,
        probe_structured=probe_structured,
        question=spec,
        value=value,
        exchanges=[moderator.Exchange(asked=t.text, answer=t.answer_text) for t in exchanges],
        workspace_id=study.workspace_id,
    )
    try:
        return moderator.decide(context)
    except Exception:  # the answer is committed; a follow-up is never worth losing the turn
        logger.exception("moderator failed (interview %s, question %s)", log_as, spec.key)
        return None


def _advance(interview: Interview, *, probe_after: Recorded | None) -> InterviewState | None:
    """After an answer already committed (None: none, as after a crash), ask the moderator
    outside any transaction, then write the next step under the interview's lock.
    Returns what the respondent sees next, or None when another request moved on first."""
    decision = _probe(interview, probe_after) if probe_after is not None else None
    with transaction.atomic():
        status = selectors.interview_status_for_update(interview_id=interview.pk)
        rows = selectors.step_rows(interview_id=interview.pk)
        if status != InterviewStatus.IN_PROGRESS or any(r.status == StepStatus.ASKED for r in rows):
            return None
        if probe_after is not None and (not rows or rows[-1].pk != probe_after.step.pk):
            return None
        if probe_after is not None and decision is not None and decision.probe:
            return _move_on(interview, rows, followup=(probe_after.step, decision))
        moved = _move_on(interview, rows)
    if moved.step is None and probe_after is None:
        _write_traits_after_completion(interview)
    return moved


def _move_on(
    interview: Interview,
    rows: list[selectors.StepRow],
    followup: tuple[Step, moderator.ProbeDecision] | None = None,
) -> InterviewState:
    """Inside the caller's transaction: the follow-up, or the next question (recording the
    ones branching skips), or completion; what the respondent sees next."""
    questions = selectors.questions_of(study=interview.study)
    now = timezone.now()
    skipped: list[str] = []
    if followup is not None and followup[1].followup.strip():
        current: Step | None = _ask_followup(interview, followup[0], followup[1], now)
    else:
        current, skipped = _ask_next_question(interview, questions, rows, now)
        if current is None:
            _complete(interview, rows, now)
    done = {r.question_key for r in rows if r.kind == StepKind.QUESTION} | set(skipped)
    return InterviewState(
        interview=interview,
        status=interview.status,
        answered=len(done),
        total=len(questions),
        step=current,
    )


def _write_traits_after_completion(interview: Interview) -> None:
    """Queue writing the structured answers to the person (interviews.traits), once the
    completion is committed: the respondent does not wait for it, and it is retried."""
    interview_id = interview.pk
    transaction.on_commit(lambda: tasks.write_traits.delay(interview_id=interview_id))


def _ask_followup(
    interview: Interview, last: Step, decision: moderator.ProbeDecision, now: datetime
) -> Step:
    return Step.objects.create(
        interview=interview,
        position=last.position + 1,
        kind=StepKind.FOLLOWUP,
        question=last.question,
        question_key=last.question_key,
        followup_index=last.followup_index + 1,
        text=decision.followup.strip(),
        asked_at=now,
        moderator=decision.moderator[:16],
        probe_reason=decision.reason[:500],
        fallback_reason=decision.fallback_reason[:500],
    )


def _ask_next_question(
    interview: Interview, questions: list[Question], rows: list[selectors.StepRow], now: datetime
) -> tuple[Step | None, list[str]]:
    """Record the questions branching skips, then ask the next one (None: none left);
    returns it with the keys of the questions skipped."""
    upcoming = flow.next_question([q.as_spec() for q in questions], selectors.turns_of(rows))
    by_key = {q.key: q for q in questions}
    position = rows[-1].position + 1 if rows else 1
    new = [
        Step(
            interview=interview,
            position=position + offset,
            kind=StepKind.QUESTION,
            question=by_key[spec.key],
            question_key=spec.key,
            text=spec.prompt,
            status=StepStatus.SKIPPED,
            asked_at=now,
        )
        for offset, spec in enumerate(upcoming.skipped)
    ]
    if upcoming.question is not None:
        spec = upcoming.question
        new.append(
            Step(
                interview=interview,
                position=position + len(new),
                kind=StepKind.QUESTION,
                question=by_key[spec.key],
                question_key=spec.key,
                text=spec.prompt,
                asked_at=now,
            )
        )
    created = Step.objects.bulk_create(new) if new else []
    skipped = [spec.key for spec in upcoming.skipped]
    return (created[-1] if upcoming.question is not None else None), skipped


def _complete(interview: Interview, rows: list[selectors.StepRow], now: datetime) -> None:
    """Close the interview (its steps all answered or skipped): quality, invitation."""
    facts = [
        quality.AnswerFacts(
            question_type=StepKind.FOLLOWUP if r.kind == StepKind.FOLLOWUP else r.question_type,
            value=r.value,
            text=r.answer_text,
            seconds=r.seconds,
        )
        for r in rows
        if r.status == StepStatus.ANSWERED
    ]
    assessment = quality.assess(facts, interview.study.language)
    interview.status = InterviewStatus.COMPLETED
    interview.completed_at = now
    interview.moderators = sorted({r.moderator for r in rows if r.moderator})
    interview.quality_flags = list(assessment.flags)
    interview.quality_score = assessment.score
    interview.low_quality = assessment.low_quality
    interview.save(
        update_fields=[
            "status",
            "completed_at",
            "moderators",
            "quality_flags",
            "quality_score",
            "low_quality",
        ]
    )
    if interview.invitation_id is not None:
        Invitation.objects.filter(pk=interview.invitation_id).update(
            status=InvitationStatus.COMPLETED, completed_at=now
        )


# --- the researcher's review and erasure ------------------------------------------------


def interview_set_inclusion(*, interview: Interview, inclusion: str) -> Interview:
    if inclusion not in Inclusion.values:
        raise ServiceError(f"Choose one of: {', '.join(Inclusion.values)}.", field="inclusion")
    Interview.objects.filter(pk=interview.pk).update(inclusion=inclusion)
    interview.inclusion = inclusion
    return interview


def person_erase_answers(*, workspace_id: int, person_id: int) -> int:
    """Erase what a person wrote: answer text, open answers, "other" text and the follow-ups
    (which quote them). Structured answers stay, no longer linked to anyone. Returns the
    number of interviews touched."""
    interviews = Interview.objects.filter(workspace_id=workspace_id, person_id=person_id)
    ids = list(interviews.values_list("pk", flat=True))
    if not ids:
        return 0
    answers = Answer.objects.filter(step__interview_id__in=ids)
    answers.filter(
        Q(step__kind=StepKind.FOLLOWUP) | Q(step__question__type=QuestionType.OPEN_ENDED)
    ).update(value=None)
    answers.filter(value__has_key="other").update(value={"other": ""})
    answers.update(text="")
    Step.objects.filter(interview_id__in=ids, kind=StepKind.FOLLOWUP).update(text="")
    Interview.objects.filter(pk__in=ids).update(erased_at=timezone.now())
    return len(ids)
