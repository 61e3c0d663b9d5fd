from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from reports.models import Report
from tests.factories import MembershipFactory, WorkspaceFactory, ready_report, report_of
from tests.reports.studies import study_with_interviews
from workspaces.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(workspace, owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def test_the_report_page_shows_segments_side_by_side_with_charts_and_plain_words(
    client_in, report
) -> None:
    response = client_in.get(reverse("reports:detail", args=[report.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<th scope="col" class="report-col">') >= 2 * len(
        report.document["questions"]
    )
    assert "Price watchers" in html and "Integrators" in html
    assert 'class="chart share-bar"' in html and 'class="chart histogram"' in html
    assert "95% interval" in html
    assert "Price watchers scores higher on nps, and this is unlikely to be chance" in html
    assert "Based on 80 completed interviews" in html
    # Significant differences come first: nps or plan before the null questions.
    first_block = html.index('data-testid="sentence"')
    assert "unlikely to be chance" in html[first_block : first_block + 300]
    for quote in report.document["summary"]["citations"]:
        assert quote["text"] in html


def test_the_question_filter_keeps_one_question(client_in, report) -> None:
    response = client_in.get(reverse("reports:detail", args=[report.pk]), {"question": "team"})

    html = response.content.decode()
    questions = html[html.index('id="questions-heading"') : html.index('id="themes-heading"')]
    assert questions.count('data-testid="sentence"') == 1
    assert "on team" in questions


def test_a_small_segment_gets_words_instead_of_bars(client_in, workspace) -> None:
    report = ready_report(workspace, per_segment=6)

    html = client_in.get(reverse("reports:detail", args=[report.pk])).content.decode()

    assert "Not enough responses (n = " in html
    assert "n &lt; 10: no claims" in html
    assert "unlikely to be chance" not in html


def test_a_pending_report_shows_progress(client_in, workspace) -> None:
    report = report_of(workspace)
    Report.objects.filter(pk=report.pk).update(
        progress=40, step="Themes", status="running", document=None
    )

    html = client_in.get(reverse("reports:detail", args=[report.pk])).content.decode()

    assert "Generating: Themes (40%)" in html
    assert '<progress class="progress" max="100" value="40"' in html


def test_another_workspaces_report_is_404(client_in) -> None:
    other = ready_report(WorkspaceFactory(), per_segment=12)

    assert client_in.get(reverse("reports:detail", args=[other.pk])).status_code == 404
    assert client_in.get(reverse("reports:export-csv", args=[other.pk])).status_code == 404
    assert client_in.post(reverse("reports:share", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.share_token is None


def test_the_list_shows_reports_across_studies(client_in, report, workspace) -> None:
    ready_report(workspace, per_segment=12)

    html = client_in.get(reverse("reports:list")).content.decode()

    assert html.count("Why do they stall?") == 2
    assert "Price watchers vs Integrators" in html


def test_share_link_opens_logged_out_and_stops_when_revoked(client_in, report) -> None:
    client_in.post(reverse("reports:share", args=[report.pk]), {"action": "share"})
    report.refresh_from_db()
    token = report.share_token
    assert token and len(token) >= 32
    anonymous = Client()

    shared = anonymous.get(reverse("reports:shared", args=[token]))

    assert shared.status_code == 200
    assert "Price watchers" in shared.content.decode()
    assert "Revoke link" not in shared.content.decode()
    assert shared["X-Robots-Tag"] == "noindex"
    client_in.post(reverse("reports:share", args=[report.pk]), {"action": "revoke"})
    assert anonymous.get(reverse("reports:shared", args=[token])).status_code == 404
    report.refresh_from_db()
    assert report.share_token is None


def test_a_viewer_cannot_share(workspace, report) -> None:
    viewer: Any = MembershipFactory(workspace=workspace, role=Role.VIEWER).user
    client = Client()
    client.force_login(viewer)

    response = client.post(reverse("reports:share", args=[report.pk]), {"action": "share"})

    assert response.status_code == 403
    report.refresh_from_db()
    assert report.share_token is None


def test_json_export_is_the_document(client_in, report) -> None:
    response = client_in.get(reverse("reports:export-json", args=[report.pk]))

    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == report.document


def test_csv_export_is_long_format_and_formula_safe(client_in, report) -> None:
    report.document["segments"][1]["name"] = "=HYPERLINK(evil)"
    report.save(update_fields=["document"])

    response = client_in.get(reverse("reports:export-csv", args=[report.pk]))

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["segment", "question", "measure", "value"]
    assert ["Price watchers", "", "completed", "40"] in rows
    nps = report.document["questions"][0]
    mean = nps["by_segment"][report.document["segments"][0]["id"]]["mean"]
    assert ["Price watchers", "nps", "mean", str(mean)] in rows
    assert ["", "nps", "test_q_value", str(nps["test"]["q_value"])] in rows
    assert ["'=HYPERLINK(evil)", "", "completed", "40"] in rows
    assert not any(cell.startswith("=") for row in rows for cell in row)
    theme = report.document["themes"][0]
    assert ["", f"theme: {theme['label']}", "kind", theme["kind"]] in rows


def test_a_researcher_starts_a_report_from_the_reports_tab(
    client_in, workspace, django_capture_on_commit_callbacks
) -> None:
    study, segments = study_with_interviews(workspace, per_segment=12)
    page = client_in.get(reverse("reports:new"), {"study": study.pk}).content.decode()
    assert "Price watchers" in page and "Integrators" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client_in.post(
            reverse("reports:new"), {"study": study.pk, "segments": segments[::-1]}
        )

    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:detail", args=[report.pk])
    report.refresh_from_db()
    assert report.status == "ready"
    assert [s.pk for s in report.ordered_segments()] == segments[::-1]


def test_a_report_of_no_segment_is_a_form_error(client_in, workspace) -> None:
    study, _ = study_with_interviews(workspace, per_segment=1)

    response = client_in.post(reverse("reports:new"), {"study": study.pk})

    assert response.status_code == 400
    assert "Choose at least one segment to report on." in response.content.decode()
    assert Report.objects.count() == 0


def test_regenerate_with_low_quality_interviews(
    client_in, workspace, django_capture_on_commit_callbacks
) -> None:
    study, segments = study_with_interviews(workspace, per_segment=12, flagged=2)
    with django_capture_on_commit_callbacks(execute=True):
        client_in.post(reverse("reports:new"), {"study": study.pk, "segments": segments})
    report = Report.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        client_in.post(reverse("reports:regenerate", args=[report.pk]), {"include_flagged": "on"})

    report.refresh_from_db()
    assert (report.generation, report.include_flagged) == (2, True)
    assert report.document is not None
    assert [s["completed"] for s in report.document["segments"]] == [14, 14]


def test_quotes_link_to_their_transcripts_except_on_the_shared_page(
    client_in, workspace, django_capture_on_commit_callbacks
) -> None:
    study, segments = study_with_interviews(workspace, per_segment=20)
    with django_capture_on_commit_callbacks(execute=True):
        client_in.post(reverse("reports:new"), {"study": study.pk, "segments": segments})
    report = Report.objects.get()
    assert report.document is not None
    quote = report.document["summary"]["citations"][0]
    link = reverse("interviews:detail", args=[study.pk, int(quote["interview"])])

    html = client_in.get(reverse("reports:detail", args=[report.pk])).content.decode()
    client_in.post(reverse("reports:share", args=[report.pk]), {"action": "share"})
    report.refresh_from_db()
    shared = Client().get(reverse("reports:shared", args=[report.share_token])).content.decode()

    assert f'<a href="{link}">interview {quote["interview"]}</a>' in html
    assert client_in.get(link).status_code == 200
    assert "/interviews/" not in shared
    assert f"interview {quote['interview']}" in shared
