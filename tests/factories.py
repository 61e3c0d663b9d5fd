"""factory_boy factories. The tenant-isolation walk needs one per model an API serves:
register it in WORKSPACE_FACTORIES, keyed by model, with a builder taking the workspace."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import factory
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.utils import timezone

from interviews.models import (
    Answer,
    Inclusion,
    Interview,
    InterviewStatus,
    Step,
    StepKind,
    StepStatus,
)
from people.models import Account, Event, Person, PersonAlias
from reports.analysis import SegmentInfo, analyze
from reports.models import Report, ReportSegment, ReportStatus
from segments.models import Segment, SegmentKind, SegmentMembership
from studies import services as study_services
from studies.models import Invitation, OptOut, Question, Study, StudySegment
from tests.reports import synthetic
from workspaces import services
from workspaces.models import ApiKey, KeyScope, Membership, Role, Workspace


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.SelfAttribute("email")
    password = factory.django.Password("correct-horse-battery")


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER


def make_api_key(workspace: Workspace, scope: str = KeyScope.FULL) -> tuple[ApiKey, str]:
    return services.api_key_create(workspace=workspace, name=f"{scope} key", scope=scope)


# model → builder(workspace) that creates one row of that model in the workspace.
WORKSPACE_FACTORIES: dict[type[Model], Callable[[Workspace], Any]] = {
    Workspace: lambda ws: ws,
    ApiKey: lambda ws: make_api_key(ws)[0],
    Membership: lambda ws: MembershipFactory(workspace=ws),
}


# --- people, accounts, events, segments ---


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    workspace = factory.SubFactory(WorkspaceFactory)
    group_id = factory.Sequence(lambda n: f"acct_{n}")
    traits = factory.LazyFunction(dict)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    workspace = factory.SubFactory(WorkspaceFactory)
    user_id = factory.Sequence(lambda n: f"user_{n}")
    traits = factory.LazyAttribute(lambda o: {"email": f"{o.user_id}@example.com"})
    first_seen = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    last_seen = factory.LazyFunction(timezone.now)


class PersonAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonAlias

    person = factory.SubFactory(PersonFactory)
    workspace = factory.SelfAttribute("person.workspace")
    anonymous_id = factory.Sequence(lambda n: f"anon-{n:06d}")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    # An event's person is in its workspace (a composite foreign key says so): given only
    # a workspace, the person is made there; given only a person, the workspace is theirs.
    workspace = None
    person = None
    name = "Pricing Page Viewed"
    properties = factory.LazyFunction(dict)
    timestamp = factory.LazyFunction(lambda: datetime(2026, 11, 1, 10, 0, tzinfo=UTC))
    message_id = factory.Sequence(lambda n: f"msg-{n}")

    @classmethod
    def _create(cls, model_class: type[Event], *args: Any, **kwargs: Any) -> Event:
        if kwargs.get("person") is None:
            workspace = kwargs.get("workspace")
            kwargs["person"] = PersonFactory(**({"workspace": workspace} if workspace else {}))
        kwargs["workspace"] = kwargs.get("workspace") or kwargs["person"].workspace
        return super()._create(model_class, *args, **kwargs)


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Segment {n}")
    kind = SegmentKind.RULE
    definition = factory.LazyFunction(lambda: {"event": "Pricing Page Viewed"})
    playbook = "Offer a demo call"


class SegmentMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SegmentMembership

    segment = factory.SubFactory(SegmentFactory)
    person = factory.SubFactory(
        PersonFactory, workspace=factory.SelfAttribute("..segment.workspace")
    )
    entered_at = factory.LazyFunction(lambda: datetime(2026, 11, 1, tzinfo=UTC))


def segment_with_member(ws: Workspace) -> Segment:
    membership = SegmentMembershipFactory(segment=SegmentFactory(workspace=ws))
    return membership.segment


def person_with_everything(ws: Workspace) -> Person:
    """A person with an account, an anonymous id, an event and a current segment: every
    part of the people API has a row to show (or to leak)."""
    person = PersonFactory(workspace=ws, account=AccountFactory(workspace=ws))
    PersonAliasFactory(person=person)
    EventFactory(person=person)
    SegmentMembershipFactory(person=person, segment=SegmentFactory(workspace=ws))
    return person


WORKSPACE_FACTORIES.update(
    {
        Account: lambda ws: AccountFactory(workspace=ws),
        Person: person_with_everything,
        Event: lambda ws: EventFactory(person=PersonFactory(workspace=ws)),
        Segment: segment_with_member,
    }
)


# --- studies ---


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study

    workspace = factory.SubFactory(WorkspaceFactory)
    title = factory.Sequence(lambda n: f"Study {n}")
    key = factory.Sequence(lambda n: f"study-{n}")
    objective = "Decide which onboarding to send"


class StudySegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudySegment

    study = factory.SubFactory(StudyFactory)
    segment = factory.SubFactory(
        SegmentFactory, workspace=factory.SelfAttribute("..study.workspace")
    )
    position = factory.Sequence(lambda n: n)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    study = factory.SubFactory(StudyFactory)
    position = factory.Sequence(lambda n: n)
    key = factory.Sequence(lambda n: f"q{n}")
    type = "open_ended"
    prompt = "What brought you to our pricing page?"
    probe_max_followups = 2


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    study = factory.SubFactory(StudyFactory)
    workspace = factory.SelfAttribute("study.workspace")
    person = factory.SubFactory(PersonFactory, workspace=factory.SelfAttribute("..study.workspace"))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class OptOutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OptOut

    person = factory.SubFactory(PersonFactory)
    workspace = factory.SelfAttribute("person.workspace")
    source = "email_link"


def live_study_with_invitation(ws: Workspace) -> Study:
    """A launched study with every question type, a target segment and one invitation,
    built through the services as the API builds it."""
    segment = segment_with_member(ws)
    study = study_services.study_create(
        workspace=ws,
        title="Why do pricing-page visitors stall?",
        segments=[segment.pk],
        questions=[{**q, "prompt": q.get("prompt", "Tell us")} for q in DESIGN_QUESTIONS],
    )
    study_services.study_launch(study=study)
    return study


# The question list of DESIGN.md's "Studies" example, verbatim.
DESIGN_QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "why",
        "type": "open_ended",
        "prompt": "What brought you to our pricing page?",
        "probe": {"max_followups": 2, "instructions": "Dig into the trigger"},
    },
    {
        "key": "nps",
        "type": "scale",
        "prompt": "How likely...?",
        "min": 0,
        "max": 10,
        "min_label": "Not at all",
        "max_label": "Extremely",
    },
    {"key": "plan", "type": "single_choice", "options": ["Free", "Pro"], "allow_other": True},
    {
        "key": "feat",
        "type": "multiple_choice",
        "options": ["A", "B", "C"],
        "min_selected": 1,
        "max_selected": 2,
    },
    {"key": "rank", "type": "ranking", "options": ["Price", "Speed", "Support"]},
    {
        "key": "team",
        "type": "yes_no",
        "prompt": "Do you work in a team?",
        "show_if": {"question": "plan", "op": "eq", "value": "Pro"},
    },
]

WORKSPACE_FACTORIES[Study] = live_study_with_invitation


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    study = factory.SubFactory(StudyFactory)
    workspace = factory.SelfAttribute("study.workspace")


class ReportSegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportSegment

    report = factory.SubFactory(ReportFactory)
    segment = factory.SubFactory(
        SegmentFactory, workspace=factory.SelfAttribute("..report.workspace")
    )
    position = factory.Sequence(lambda n: n)


def ready_report(workspace: Workspace, per_segment: int = 40, seed: int = 0) -> Report:
    """A ready report of two segments whose document is the analysis of synthetic interviews
    (tests/reports/synthetic.py: segment one talks price, segment two integrations)."""
    study = StudyFactory(workspace=workspace, title="Why do they stall?")
    report = cast(Report, ReportFactory(study=study))
    first = cast(
        ReportSegment,
        ReportSegmentFactory(report=report, segment__name="Price watchers", position=0),
    )
    second = cast(
        ReportSegment, ReportSegmentFactory(report=report, segment__name="Integrators", position=1)
    )
    ids = {"a": str(first.segment.pk), "b": str(second.segment.pk)}
    responses = [
        dataclasses.replace(response, segment=ids[response.segment])
        for response in synthetic.responses(seed, per_segment)
    ]
    segments = [
        SegmentInfo(ids["a"], "Price watchers", invited=60, completed=per_segment, excluded=2),
        SegmentInfo(ids["b"], "Integrators", invited=60, completed=per_segment),
    ]
    report.document = analyze(synthetic.QUESTIONS, segments, responses)
    report.status, report.progress, report.step = ReportStatus.READY, 100, "Done"
    report.generation, report.finished_at = 1, timezone.now()
    report.save()
    return report


def report_of(ws: Workspace) -> Report:
    return ready_report(ws, per_segment=12)


WORKSPACE_FACTORIES[Report] = report_of


# --- interviews (rows as the interview flow leaves them, for the readers of interviews) ---


class InterviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interview

    invitation = factory.SubFactory(InvitationFactory)
    study = factory.SelfAttribute("invitation.study")
    workspace = factory.SelfAttribute("invitation.workspace")
    person = factory.SelfAttribute("invitation.person")
    segment = factory.SelfAttribute("invitation.segment")
    status = InterviewStatus.COMPLETED
    completed_at = factory.LazyFunction(timezone.now)


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step

    interview = factory.SubFactory(InterviewFactory)
    position = factory.Sequence(lambda n: n)
    kind = StepKind.QUESTION
    question_key = factory.SelfAttribute("question.key")
    status = StepStatus.ANSWERED


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    step = factory.SubFactory(StepFactory)
    text = factory.LazyAttribute(lambda answer: "" if answer.value is None else str(answer.value))


def completed_interview(
    invitation: Invitation,
    answers: dict[str, Any],
    followups: dict[str, list[str]] | None = None,
    *,
    low_quality: bool = False,
    inclusion: str = Inclusion.AUTO,
) -> Interview:
    """A completed interview of `invitation`: each question answered with `answers[key]`
    (None: skipped; a key left out: hidden by branching), follow-ups after their question."""
    interview = cast(
        Interview,
        InterviewFactory(invitation=invitation, low_quality=low_quality, inclusion=inclusion),
    )
    position = 0
    for question in invitation.study.questions.order_by("position"):
        skipped = question.key not in answers
        status = StepStatus.SKIPPED if skipped else StepStatus.ANSWERED
        step = StepFactory(interview=interview, question=question, position=position, status=status)
        position += 1
        if skipped:
            continue
        AnswerFactory(step=step, value=answers[question.key])
        for index, text in enumerate((followups or {}).get(question.key, []), start=1):
            followup = StepFactory(
                interview=interview,
                question=question,
                position=position,
                kind=StepKind.FOLLOWUP,
                followup_index=index,
                text="Could you say more?",
            )
            AnswerFactory(step=followup, value=text, text=text)
            position += 1
    return interview
