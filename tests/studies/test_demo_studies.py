"""The demo's studies: a comparison study with all six question types and probing, and a
continuous (listening) study, both launched at the ready-made segments."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from people.demo_data import seed_demo_data
from segments.demo_segments import create_demo_segments
from segments.models import Segment
from studies.demo_studies import COMPARISON_SEGMENTS, FOLLOWUP, LISTENING_SEGMENT
from studies.models import Study
from studies.question_types import QuestionType
from tests.factories import WorkspaceFactory


@pytest.fixture
def demo_workspace(db):
    workspace = WorkspaceFactory()
    now = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=1)
    seed_demo_data(workspace=workspace, people=500, days=60, seed=7, now=now)
    create_demo_segments(workspace=workspace, now=now)
    return workspace


def load(workspace) -> str:
    out = io.StringIO()
    call_command("load_demo_studies", workspace=workspace.pk, stdout=out)
    return out.getvalue()


def test_the_comparison_and_listening_studies_are_launched_once(demo_workspace):
    output = load(demo_workspace)
    comparison = Study.objects.get(workspace=demo_workspace, mode="one_off")
    listening = Study.objects.get(workspace=demo_workspace, mode="continuous")
    assert (comparison.status, listening.status) == ("live", "live")
    targets = comparison.targets.order_by("position").values_list("segment__name", flat=True)
    assert list(targets) == list(COMPARISON_SEGMENTS)
    assert [s.name for s in listening.segments.all()] == [LISTENING_SEGMENT]
    questions = list(comparison.questions.order_by("position"))
    assert {q.type for q in questions} == set(QuestionType.values)
    open_ended = [q for q in questions if q.type == QuestionType.OPEN_ENDED]
    assert open_ended and all(q.as_spec().probe_max_followups == 2 for q in open_ended)
    # Both target segments get invitations, as links (the demo sends no email).
    invited = set(comparison.invitations.values_list("segment__name", flat=True))
    assert invited == set(COMPARISON_SEGMENTS)
    assert comparison.channel == listening.channel == "link"
    assert listening.invitations.exists()
    assert f"{comparison.title}: live" in output

    counts = (Study.objects.count(), comparison.invitations.count())
    assert "already has studies" in load(demo_workspace)
    assert (Study.objects.count(), comparison.invitations.count()) == counts


def test_no_follow_up_study_before_anyone_has_answered(demo_workspace):
    load(demo_workspace)
    segments = Segment.objects.filter(workspace=demo_workspace).count()
    out = io.StringIO()
    call_command("load_demo_followup", workspace=demo_workspace.pk, stdout=out)
    assert "nobody has answered both ways yet" in out.getvalue()
    assert not Study.objects.filter(workspace=demo_workspace, key=FOLLOWUP["key"]).exists()
    assert Segment.objects.filter(workspace=demo_workspace).count() == segments
