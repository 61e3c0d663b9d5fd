"""Continuous studies' reports: the weekly view in the generated document, and throttled
automatic regeneration when new interviews complete (reports.refresh)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from interviews.models import Interview
from reports import refresh, services, tasks
from reports.models import Report, ReportStatus
from studies.models import Study, StudyMode, StudyStatus
from tests.factories import InvitationFactory, WorkspaceFactory, completed_interview
from tests.reports.studies import study_with_interviews
from tests.worker import redis_worker

pytestmark = pytest.mark.django_db


def continuous(study: Study) -> Study:
    Study.objects.filter(pk=study.pk).update(mode=StudyMode.CONTINUOUS, status=StudyStatus.LIVE)
    study.refresh_from_db()
    return study


def generate(workspace, study, segments, capture) -> Report:
    with capture(execute=True):
        report = services.report_create(
            workspace=workspace, study_id=study.pk, segment_ids=segments
        )
    report.refresh_from_db()
    assert report.status == ReportStatus.READY, report.error
    return report


def test_a_continuous_studys_report_has_its_weeks(workspace, django_capture_on_commit_callbacks):
    study, segments = study_with_interviews(workspace, per_segment=30)
    study = continuous(study)
    monday = timezone.make_aware(datetime(2026, 11, 16, 12))
    for index, pk in enumerate(
        Interview.objects.filter(study=study).order_by("pk").values_list("pk", flat=True)
    ):
        Interview.objects.filter(pk=pk).update(completed_at=monday + timedelta(weeks=index % 3))

    report = generate(workspace, study, segments, django_capture_on_commit_callbacks)

    over_time = report.document["over_time"]
    assert over_time["weeks"] == ["2026-W47", "2026-W48", "2026-W49"]
    nps = next(scale for scale in over_time["scales"] if scale["key"] == "nps")
    assert set(nps["by_segment"]) == {str(pk) for pk in segments}
    labels = [theme["label"] for theme in report.document["themes"]]
    assert sorted(theme["label"] for theme in over_time["themes"]) == sorted(labels)
    for theme in over_time["themes"]:
        for segment in segments:
            assert sum(point["n"] for point in theme["by_segment"][str(segment)]) == 30


def test_a_one_off_studys_report_has_no_weekly_view(workspace, django_capture_on_commit_callbacks):
    study, segments = study_with_interviews(workspace, per_segment=12)

    report = generate(workspace, study, segments, django_capture_on_commit_callbacks)

    assert "over_time" not in report.document


def age(report: Report, hours: float) -> None:
    then = timezone.now() - timedelta(hours=hours)
    Report.objects.filter(pk=report.pk).update(started_at=then, finished_at=then)
    report.refresh_from_db()


def new_interview(study: Study, segment_id: int) -> Interview:
    invitation = InvitationFactory(study=study, segment_id=segment_id)
    return completed_interview(invitation, {"why": "The price is too high for us.", "nps": 3})


@pytest.fixture
def outdated(workspace, django_capture_on_commit_callbacks):
    study, segments = study_with_interviews(workspace, per_segment=12)
    study = continuous(study)
    report = generate(workspace, study, segments, django_capture_on_commit_callbacks)
    age(report, 7)
    new_interview(study, segments[1])
    return study, segments, report


def test_an_outdated_report_of_a_continuous_study_is_regenerated(
    outdated, django_capture_on_commit_callbacks
):
    _, _, report = outdated

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.regenerate_due.delay().get() == 1

    report.refresh_from_db()
    assert (report.status, report.generation) == (ReportStatus.READY, 2)
    assert report.document["segments"][1]["completed"] == 13
    assert refresh.due_reports() == []


def test_regeneration_is_throttled(outdated, settings):
    _, _, report = outdated
    age(report, 5)
    assert refresh.regenerate_due() == 0
    settings.REPORTS_REGENERATE_AFTER_HOURS = 4
    assert [r.pk for r in refresh.due_reports()] == [report.pk]


def test_no_new_interview_or_not_continuous_or_not_latest_is_not_due(
    outdated, workspace, django_capture_on_commit_callbacks
):
    study, segments, report = outdated
    # Nothing completed since the report read the interviews.
    Interview.objects.filter(study=study, completed_at__gt=report.started_at).update(
        completed_at=report.started_at - timedelta(minutes=1)
    )
    assert refresh.due_reports() == []

    new_interview(study, segments[0])
    assert [r.pk for r in refresh.due_reports()] == [report.pk]
    Study.objects.filter(pk=study.pk).update(status=StudyStatus.CLOSED)
    assert refresh.due_reports() == []
    Study.objects.filter(pk=study.pk).update(status=StudyStatus.LIVE, mode=StudyMode.ONE_OFF)
    assert refresh.due_reports() == []
    Study.objects.filter(pk=study.pk).update(mode=StudyMode.CONTINUOUS)

    # A newer report (of the first segment only) is the one kept fresh; the older is left.
    newer = generate(workspace, study, segments[:1], django_capture_on_commit_callbacks)
    assert refresh.due_reports() == []
    age(newer, 7)
    Interview.objects.filter(study=study).update(
        completed_at=newer.started_at - timedelta(minutes=1)
    )
    new_interview(study, segments[1])  # not one of the newer report's segments
    assert refresh.due_reports() == []
    new_interview(study, segments[0])
    assert [r.pk for r in refresh.due_reports()] == [newer.pk]


def test_a_report_in_progress_or_failed_is_not_regenerated(outdated):
    _, _, report = outdated
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING)
    assert refresh.due_reports() == []
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED)
    assert refresh.due_reports() == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_beat_task_regenerates_through_a_redis_worker() -> None:
    workspace = WorkspaceFactory()
    study, segments = study_with_interviews(workspace, per_segment=12)
    study = continuous(study)
    report = services.report_create(workspace=workspace, study_id=study.pk, segment_ids=segments)
    report.refresh_from_db()
    assert (report.status, report.generation) == (ReportStatus.READY, 1)
    age(report, 7)
    new_interview(study, segments[0])

    with redis_worker(queues="llm"):
        tasks.regenerate_due.delay()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            report.refresh_from_db()
            if report.generation == 2 and report.is_finished:
                break
            time.sleep(0.2)

    assert (report.status, report.generation) == (ReportStatus.READY, 2)
    assert [s["completed"] for s in report.document["segments"]] == [13, 12]
    assert "over_time" in report.document
    assert refresh.due_reports() == []
