"""A report can compare groups that are not the study's targets, e.g. segments on an answer's
trait ("scored 7+" vs "scored under 7"): the study's respondents grouped by membership."""

from __future__ import annotations

import pytest

from interviews.models import Answer, Interview
from reports import sources
from reports.models import Report
from tests.factories import SegmentFactory, SegmentMembershipFactory, WorkspaceFactory
from tests.reports.studies import study_with_interviews

pytestmark = pytest.mark.django_db


def _cut_by_score(workspace, study):
    """Two segments of the respondents: those who scored `nps` 7 or more, and the rest."""
    high = SegmentFactory(workspace=workspace, name="Scored 7+")
    low = SegmentFactory(workspace=workspace, name="Scored under 7")
    sizes = {high.pk: 0, low.pk: 0}
    for answer in Answer.objects.filter(
        step__interview__study=study, step__question_key="nps", step__kind="question"
    ).select_related("step__interview"):
        interview = answer.step.interview
        if interview.low_quality or answer.value is None:
            continue
        segment = high if answer.value >= 7 else low
        SegmentMembershipFactory(segment=segment, person_id=interview.person_id)
        sizes[segment.pk] += 1
    return high, low, sizes


def test_a_report_cut_by_an_answer_groups_respondents_by_membership(
    api, workspace, django_capture_on_commit_callbacks
):
    study, _targets = study_with_interviews(workspace, per_segment=20, flagged=1)
    high, low, sizes = _cut_by_score(workspace, study)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/reports/", {"study": study.pk, "segments": [high.pk, low.pk]}, format="json"
        )
    assert response.status_code == 202, response.content

    report = Report.objects.get(pk=response.json()["id"])
    assert report.status == "ready", report.error
    segments = {s["name"]: s for s in report.document["segments"]}
    assert segments["Scored 7+"]["completed"] == sizes[high.pk] > 0
    assert segments["Scored under 7"]["completed"] == sizes[low.pk] > 0
    nps = next(q for q in report.document["questions"] if q["key"] == "nps")
    by_segment = nps["by_segment"]
    assert by_segment[str(high.pk)]["n"] == sizes[high.pk]
    assert nps["test"]["p_value"] < 0.001  # the groups were cut on this very answer


def test_a_respondent_in_two_cut_segments_counts_in_both(workspace):
    study, _targets = study_with_interviews(workspace, per_segment=3)
    everyone = SegmentFactory(workspace=workspace, name="Everyone")
    someone = SegmentFactory(workspace=workspace, name="Someone")
    interviews = list(Interview.objects.filter(study=study).order_by("pk"))
    for interview in interviews:
        SegmentMembershipFactory(segment=everyone, person_id=interview.person_id)
    SegmentMembershipFactory(segment=someone, person_id=interviews[0].person_id)

    assert sources.is_cut(study, [everyone, someone])
    infos = sources.segment_infos(study, [everyone, someone], include_flagged=False)
    assert [(i.name, i.completed) for i in infos] == [("Everyone", 6), ("Someone", 1)]
    read = sources.responses(study, [everyone, someone], include_flagged=False)
    assert sorted(r.segment for r in read) == sorted([str(everyone.pk)] * 6 + [str(someone.pk)])


def test_a_segment_of_another_workspace_is_refused(api, workspace):
    study, targets = study_with_interviews(workspace, per_segment=1)
    foreign = SegmentFactory(workspace=WorkspaceFactory())

    response = api.post(
        "/api/v1/reports/", {"study": study.pk, "segments": [targets[0], foreign.pk]}, format="json"
    )

    assert response.status_code == 400
    assert "does not exist in this workspace" in response.json()["error"]


def test_the_new_report_page_offers_other_segments_as_a_cut(client, owner, workspace):
    study, targets = study_with_interviews(workspace, per_segment=1)
    cut = SegmentFactory(workspace=workspace, name="Chose Pro")
    client.force_login(owner)

    page = client.get(f"/reports/new?study={study.pk}")
    assert page.status_code == 200
    assert b"Or cut the respondents by other segments" in page.content
    assert f'value="{cut.pk}"'.encode() in page.content

    created = client.post("/reports/new", {"study": study.pk, "segments": [cut.pk, targets[0]]})
    assert created.status_code == 302
    report = Report.objects.get(study=study)
    assert [s.pk for s in report.ordered_segments()] == [cut.pk, targets[0]]
