from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import Report
from tests.conftest import bearer_client
from tests.factories import WorkspaceFactory, make_api_key, ready_report, report_of

pytestmark = pytest.mark.django_db


def test_a_ready_report_carries_its_document_at_the_top_level(api, report) -> None:
    response = api.get(f"/api/v1/reports/{report.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["progress"]) == (report.pk, "ready", 100)
    for key in ("segments", "questions", "themes", "distinctive_terms", "subgroups", "summary"):
        assert body[key] == report.document[key]
    assert [s["name"] for s in body["segments"]] == ["Price watchers", "Integrators"]


def test_a_pending_report_has_status_and_progress_only(api, workspace) -> None:
    report = report_of(workspace)
    Report.objects.filter(pk=report.pk).update(
        status="running", progress=35, step="Themes", document=None
    )

    body = api.get(f"/api/v1/reports/{report.pk}/").json()

    assert (body["status"], body["progress"], body["step"]) == ("running", 35, "Themes")
    assert "questions" not in body
    assert api.get(f"/api/v1/reports/{report.pk}/export.csv").status_code == 409
    assert (
        api.get(f"/api/v1/reports/{report.pk}/export.json")
        .json()["error"]
        .startswith("The report is not ready")
    )


def test_the_list_filters_by_study_without_n_plus_one(api, workspace, report) -> None:
    others = [ready_report(workspace, per_segment=12) for _ in range(2)]

    with CaptureQueriesContext(connection) as queries:
        everything = api.get("/api/v1/reports/").json()
    one_study = api.get("/api/v1/reports/", {"study": others[0].study_id}).json()

    assert everything["count"] == 3
    assert len(queries) <= 6
    assert [r["id"] for r in one_study["results"]] == [others[0].pk]
    assert one_study["results"][0]["segments"][0]["name"] == "Price watchers"
    assert api.get("/api/v1/reports/", {"study": "x"}).status_code == 400


def test_exports_through_the_api(api, report) -> None:
    as_json = api.get(f"/api/v1/reports/{report.pk}/export.json")
    as_csv = api.get(f"/api/v1/reports/{report.pk}/export.csv")

    assert as_json.json() == report.document
    rows = list(csv.reader(io.StringIO(b"".join(as_csv.streaming_content).decode())))
    assert rows[0] == ["segment", "question", "measure", "value"]
    assert ["Integrators", "", "completed", "40"] in rows


def test_another_workspaces_report_is_404(report) -> None:
    stranger = bearer_client(make_api_key(WorkspaceFactory())[1])

    assert stranger.get(f"/api/v1/reports/{report.pk}/").status_code == 404
    assert stranger.get(f"/api/v1/reports/{report.pk}/export.csv").status_code == 404
    assert stranger.get("/api/v1/reports/").json()["count"] == 0
