"""The demo's reports find the differences the generator planted between its segments."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from people.demo_data import seed_demo_data
from reports.models import Report
from segments.demo_segments import create_demo_segments
from studies.demo_studies import ANSWER_SEGMENTS, COMPARISON_SEGMENTS, create_demo_studies
from tests.factories import WorkspaceFactory

PRICE_WORDS = {"price", "pricing", "budget", "expensive", "cost", "cheaper", "seat", "trial"}
DEPTH_WORDS = {"sql", "query", "queries", "dashboard", "dashboards", "exports", "warehouse"}


@pytest.fixture
def reports(db) -> dict[str, Report]:
    workspace = WorkspaceFactory()
    now = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=1)
    seed_demo_data(workspace=workspace, people=700, days=60, seed=7, now=now)
    create_demo_segments(workspace=workspace, now=now)
    create_demo_studies(workspace=workspace, now=now)
    for command in ("load_demo_interviews", "load_demo_followup", "load_demo_interviews"):
        call_command(command, workspace=workspace.pk, stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_demo_reports", workspace=workspace.pk, stdout=out)
    assert "ready" in out.getvalue()
    again = io.StringIO()
    call_command("load_demo_reports", workspace=workspace.pk, stdout=again)
    assert "exist already" in again.getvalue()
    by_key: dict[str, Report] = {}
    for report in Report.objects.filter(workspace=workspace).order_by("id"):
        key = report.study.key
        by_key[f"{key}:cut" if key in by_key else key] = report
    return by_key


def _terms(document: dict, segment_id: int) -> set[str]:
    return {t["term"] for t in document["distinctive_terms"][str(segment_id)][:15]}


def test_the_demo_reports_find_the_planted_differences(reports):
    assert set(reports) == {"why-stay-or-stall", "team-followup", "why-stay-or-stall:cut"}
    comparison = reports["why-stay-or-stall"]
    assert comparison.status == "ready", comparison.error
    document = comparison.document
    by_name = {s["name"]: s for s in document["segments"]}
    assert set(by_name) == set(COMPARISON_SEGMENTS)
    power, pricing = (by_name[name] for name in COMPARISON_SEGMENTS)
    assert power["completed"] >= 20 and pricing["completed"] >= 20
    # Low-quality interviews are left out of the comparison.
    assert power["excluded"] + pricing["excluded"] >= 1
    # Structured answers: the groups differ where they were made to (plan, priorities).
    tests = {q["key"]: q.get("test") or {} for q in document["questions"]}
    significant = {key for key, test in tests.items() if (test.get("q_value") or 1) < 0.05}
    assert {"plan_fit", "priorities"} <= significant, tests
    # Language: pricing visitors talk price, power users talk depth of analysis.
    assert _terms(document, pricing["id"]) & PRICE_WORDS
    assert _terms(document, power["id"]) & DEPTH_WORDS
    assert document["summary"]["text"]

    cut = reports["team-followup"]
    assert cut.status == "ready", cut.error
    assert len(cut.document["segments"]) == 2
    assert {q["key"] for q in cut.document["questions"]} >= {"price_fit", "first_step"}

    # The comparison study's own respondents cut by their answer to "team".
    by_answer = reports["why-stay-or-stall:cut"]
    assert by_answer.status == "ready", by_answer.error
    names = [s["name"] for s in by_answer.document["segments"]]
    assert sorted(names) == sorted(ANSWER_SEGMENTS)
    team = next(q for q in by_answer.document["questions"] if q["key"] == "team")
    assert team["test"]["p_value"] < 0.001  # cut on this very answer
