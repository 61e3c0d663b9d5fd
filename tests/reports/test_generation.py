from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from interviews.models import Answer, Inclusion, Interview
from reports import generation, services
from reports.analysis import SegmentInfo, analyze
from reports.models import Report, ReportStatus
from studies.models import Study
from tests.factories import (
    InvitationFactory,
    WorkspaceFactory,
    completed_interview,
)
from tests.reports import synthetic
from tests.reports.studies import study_with_interviews
from tests.worker import redis_worker
from workspaces.services import ServiceError


def create_and_run(api, study: Study, segments: list[int], **extra: Any) -> Report:
    response = api.post(
        "/api/v1/reports/", {"study": study.pk, "segments": segments, **extra}, format="json"
    )
    assert response.status_code == 202, response.content
    return Report.objects.get(pk=response.json()["id"])


@pytest.mark.django_db
def test_post_generates_a_report_that_finds_the_planted_differences(
    api, workspace, django_capture_on_commit_callbacks
) -> None:
    study, segments = study_with_interviews(workspace, per_segment=60, flagged=3)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(
            "/api/v1/reports/", {"study": study.pk, "segments": segments}, format="json"
        )

    assert response.status_code == 202
    assert response.json() == {"id": response.json()["id"], "status": "pending"}
    # One generation scheduled; writing themes back to people queues a segment refresh.
    names = [callback.__qualname__ for callback in callbacks]
    assert sum(name.startswith("generate_after_commit") for name in names) == 1
    body = api.get(f"/api/v1/reports/{response.json()['id']}/").json()
    assert (body["status"], body["progress"], body["step"], body["generation"]) == (
        "ready",
        100,
        "Done",
        1,
    )
    assert [(s["id"], s["name"], s["invited"], s["completed"], s["excluded"]) for s in
            body["segments"]] == [
        (segments[0], "Price watchers", 63, 60, 3),
        (segments[1], "Integrators", 63, 60, 3),
    ]  # fmt: skip
    # Reading through the database loses nothing: the same numbers as analysing the
    # synthetic interviews directly (with the follow-up each interview gave).
    ids = {"a": str(segments[0]), "b": str(segments[1])}
    direct = analyze(
        synthetic.QUESTIONS,
        [SegmentInfo(ids["a"], "Price watchers"), SegmentInfo(ids["b"], "Integrators")],
        [
            dataclasses.replace(
                r, segment=ids[r.segment], followups=("Mostly the team asked for it.",)
            )
            for r in synthetic.responses(0, 60)
        ],
    )
    assert body["questions"] == direct["questions"]

    def terms(document: dict) -> dict:
        # The example quotes name interviews by id, and those differ; the terms do not.
        return {
            sid: [(row["term"], row["z"], row["count"], row["quote"]["text"]) for row in rows]
            for sid, rows in document["distinctive_terms"].items()
        }

    assert terms(body) == terms(direct)
    assert [(t["label"], t["by_segment"]) for t in body["themes"]] == [
        (t["label"], t["by_segment"]) for t in direct["themes"]
    ]
    nps = next(q for q in body["questions"] if q["key"] == "nps")
    assert (nps["test"]["significant"], nps["test"]["leader"]) == (True, str(segments[0]))
    assert any(t["test"] and t["test"]["significant"] for t in body["themes"])
    quote = body["summary"]["citations"][0]
    assert Answer.objects.filter(
        step__interview_id=int(quote["interview"]), text__contains=quote["text"]
    ).exists()


@pytest.mark.django_db
def test_include_flagged_counts_the_low_quality_interviews(
    api, workspace, django_capture_on_commit_callbacks
) -> None:
    study, segments = study_with_interviews(workspace, per_segment=12, flagged=2)
    invitation = InvitationFactory(study=study, segment_id=segments[0])
    completed_interview(invitation, {"nps": 5}, low_quality=True, inclusion=Inclusion.EXCLUDE)

    with django_capture_on_commit_callbacks(execute=True):
        report = create_and_run(api, study, segments, include_flagged=True)

    report.refresh_from_db()
    assert report.document is not None
    rows = [(s["completed"], s["excluded"]) for s in report.document["segments"]]
    # The researcher's explicit exclusion holds even with flagged interviews counted.
    assert rows == [(14, 1), (14, 0)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"segments": []}, "segments"),
        ({"segments": [10**9]}, "does not exist in this workspace"),
        ({"study": 10**9}, "No such study in this workspace."),
        ({"segments": "x"}, "segments"),
    ],
)
def test_bad_requests_are_400_and_create_nothing(api, workspace, body, error) -> None:
    study, segments = study_with_interviews(workspace, per_segment=1)
    payload = {"study": study.pk, "segments": segments, **body}

    response = api.post("/api/v1/reports/", payload, format="json")

    assert response.status_code == 400
    assert error in response.json()["error"]
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_another_workspaces_study_is_refused_like_a_missing_one(api) -> None:
    study, segments = study_with_interviews(WorkspaceFactory(), per_segment=1)

    response = api.post(
        "/api/v1/reports/", {"study": study.pk, "segments": segments}, format="json"
    )

    assert (response.status_code, response.json()["error"]) == (
        400,
        "No such study in this workspace.",
    )


@pytest.mark.django_db
def test_generation_is_idempotent_and_regenerates_on_request(
    api, workspace, django_capture_on_commit_callbacks
) -> None:
    study, segments = study_with_interviews(workspace, per_segment=12)
    with django_capture_on_commit_callbacks(execute=True):
        report = create_and_run(api, study, segments)

    # A redelivered task finds the report finished and does nothing.
    assert generation.run_generation(report_id=report.pk) is None
    assert generation.run_generation(report_id=10**9) is None
    report.refresh_from_db()
    assert report.generation == 1
    completed_interview(
        InvitationFactory(study=study, segment_id=segments[1]), {"why": "New one.", "nps": 3}
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/reports/{report.pk}/regenerate", {}, format="json")

    assert response.status_code == 202
    report.refresh_from_db()
    assert (report.status, report.generation) == (ReportStatus.READY, 2)
    assert report.document is not None
    assert report.document["segments"][1]["completed"] == 13


@pytest.mark.django_db
def test_a_regenerate_joins_one_under_way(workspace, django_capture_on_commit_callbacks) -> None:
    study, segments = study_with_interviews(workspace, per_segment=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = services.report_create(
            workspace=workspace, study_id=study.pk, segment_ids=segments
        )
        services.report_regenerate(report=report)

    assert len(callbacks) == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING


@pytest.mark.django_db
def test_a_failing_analysis_leaves_the_report_failed(workspace, monkeypatch) -> None:
    study, segments = study_with_interviews(workspace, per_segment=2)
    report = services.report_create(workspace=workspace, study_id=study.pk, segment_ids=segments)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(generation, "analyze", broken)
    result = generation.run_generation(report_id=report.pk)

    assert result is not None
    assert (result.status, result.document) == (ReportStatus.FAILED, None)
    assert result.error.startswith("Something went wrong while generating")


@pytest.mark.django_db
def test_service_errors_name_the_field(workspace) -> None:
    study, segments = study_with_interviews(workspace, per_segment=1)

    with pytest.raises(ServiceError) as raised:
        services.report_create(
            workspace=workspace, study_id=study.pk, segment_ids=[segments[0], segments[0]]
        )

    assert (raised.value.field, raised.value.message) == ("segments", "A segment is listed twice.")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_report_is_generated_by_a_redis_worker_with_progress() -> None:
    workspace = WorkspaceFactory()
    study, segments = study_with_interviews(workspace, per_segment=15)
    with redis_worker(queues="llm"):
        report = services.report_create(
            workspace=workspace, study_id=study.pk, segment_ids=segments
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            report.refresh_from_db()
            if report.is_finished:
                break
            time.sleep(0.2)
    assert (report.status, report.progress, report.generation) == (ReportStatus.READY, 100, 1)
    assert report.document is not None
    assert [s["completed"] for s in report.document["segments"]] == [15, 15]


@pytest.mark.django_db
def test_coded_themes_are_written_back_to_each_person(
    api, workspace, django_capture_on_commit_callbacks
) -> None:
    study, segments = study_with_interviews(workspace, per_segment=30)
    with django_capture_on_commit_callbacks(execute=True):
        report = create_and_run(api, study, segments)
    report.refresh_from_db()
    assert report.document is not None

    key = f"motive.{study.key}.themes"
    interviews = Interview.objects.filter(study=study).select_related("person")
    written = {str(i.pk): i.person.traits.get(key) for i in interviews if i.person}
    labels = {theme["label"] for theme in report.document["themes"]}
    assert len(written) == 60 and all(isinstance(v, list) for v in written.values())
    assert set().union(*written.values()) <= labels
    # Whoever a theme quotes carries that theme.
    for theme in report.document["themes"]:
        for quotes in theme["quotes"].values():
            for quote in quotes:
                assert theme["label"] in written[quote["interview"]]
    # Regenerating writes again (a new messageId per generation) without duplicates.
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/v1/reports/{report.pk}/regenerate", {}, format="json")
    person = interviews[0].person
    assert person is not None
    person.refresh_from_db()
    assert person.traits[key] == written[str(interviews[0].pk)]
