"""Simulated respondents: in character per latent group, through the API, probed, flagged."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from interviews.models import Answer, Interview, InterviewStatus
from people.demo_data import seed_demo_data
from segments.demo_segments import create_demo_segments
from studies.demo_studies import (
    ANSWER_SEGMENTS,
    COMPARISON_SEGMENTS,
    FOLLOWUP,
    create_demo_studies,
)
from studies.models import Study
from tests.factories import WorkspaceFactory

PRICE = re.compile(r"\b(price|pricing|budget|expensive|cost|cheaper|discount)\b", re.I)
DEPTH = re.compile(r"\b(sql|quer(y|ies)|dashboards?|exports?|alerts?|warehouse)\b", re.I)


@pytest.fixture
def demo_workspace(db):
    workspace = WorkspaceFactory()
    now = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=1)
    seed_demo_data(workspace=workspace, people=700, days=60, seed=7, now=now)
    create_demo_segments(workspace=workspace, now=now)
    create_demo_studies(workspace=workspace, now=now)
    return workspace


def simulate(workspace) -> str:
    out = io.StringIO()
    call_command("load_demo_interviews", workspace=workspace.pk, stdout=out)
    return out.getvalue()


def _share(texts: list[str], pattern: re.Pattern[str]) -> float:
    return sum(1 for t in texts if pattern.search(t)) / len(texts)


def test_respondents_answer_in_character_and_are_probed_and_flagged(demo_workspace):
    output = simulate(demo_workspace)
    interviews = Interview.objects.filter(workspace=demo_workspace)
    completed = interviews.filter(status=InterviewStatus.COMPLETED)
    assert completed.count() >= 40, output
    assert interviews.exclude(status=InterviewStatus.COMPLETED).exists()  # some gave up
    # Every open answer of the comparison study, by target segment.
    texts: dict[str, list[str]] = {name: [] for name in COMPARISON_SEGMENTS}
    answers = Answer.objects.filter(
        step__interview__workspace=demo_workspace,
        step__interview__study__key="why-stay-or-stall",
        step__interview__low_quality=False,
        step__question__type="open_ended",
    ).select_related("step__interview__segment")
    for answer in answers:
        texts[answer.step.interview.segment.name].append(answer.text)
    power, pricing = (texts[name] for name in COMPARISON_SEGMENTS)
    assert len(power) >= 20 and len(pricing) >= 20
    # Motivations and wording differ by group: price talk versus depth of analysis.
    assert _share(pricing, PRICE) > _share(power, PRICE) + 0.3
    assert _share(power, DEPTH) > _share(pricing, DEPTH) + 0.3
    # Vague first answers were probed, and the follow-ups answered.
    assert Answer.objects.filter(
        step__interview__workspace=demo_workspace, step__kind="followup"
    ).exists()
    # A few low-quality interviews are flagged; most are fine.
    flagged = completed.filter(low_quality=True).count()
    assert 1 <= flagged <= completed.count() * 0.25
    # People took their time: no interview they took seriously is flagged too fast.
    fine = completed.filter(low_quality=False)
    assert not any("too_fast" in i.quality_flags for i in fine)
    # Both studies heard back: the listening study too.
    assert set(completed.values_list("study__mode", flat=True)) == {"one_off", "continuous"}
    assert "interviews completed" in output

    count = interviews.count()
    assert "interviews already; nothing to do" in simulate(demo_workspace)
    assert Interview.objects.filter(workspace=demo_workspace).count() == count

    # The loop closed: segments cut on one answer, a follow-up study at them, answered.
    call_command("load_demo_followup", workspace=demo_workspace.pk, stdout=io.StringIO())
    followup = Study.objects.get(workspace=demo_workspace, key=FOLLOWUP["key"])
    assert set(followup.segments.values_list("name", flat=True)) == set(ANSWER_SEGMENTS)
    assert "completed" in simulate(demo_workspace)
    fair: dict[bool, list[int]] = {True: [], False: []}
    for answer in Answer.objects.filter(
        step__interview__study=followup,
        step__question__key="price_fit",
        step__interview__low_quality=False,
    ).select_related("step__interview__segment"):
        fair[ANSWER_SEGMENTS[answer.step.interview.segment.name]].append(answer.value)
    assert len(fair[True]) >= 5 and len(fair[False]) >= 5
    # Those who would bring their team find the price fairer.
    assert sum(fair[True]) / len(fair[True]) > sum(fair[False]) / len(fair[False])
    fine = Interview.objects.filter(study=followup, low_quality=False)
    assert not any("too_fast" in i.quality_flags for i in fine)
