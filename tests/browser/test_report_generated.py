"""The report page of a report built by the real generation (study, invitations, completed
interviews, the reports.generate task) in a real browser: its charts render at desktop and
phone sizes; the share link opens it logged out until revoked. Complements
test_report_page.py (a document made directly by the analysis). Screenshots go to
var/screenshots/ as artifacts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from interviews.models import Interview
from reports import services
from reports.models import Report, ReportStatus
from studies.models import Study, StudyMode
from tests.browser.conftest import log_in
from tests.factories import MembershipFactory, WorkspaceFactory
from tests.reports.studies import study_with_interviews
from workspaces.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def overflow(page) -> int:
    """How many pixels the page is wider than its viewport (0: nothing scrolls sideways)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


@pytest.fixture
def generated(db):
    """A ready report built by the real generation (tasks run eagerly on commit)."""
    workspace = WorkspaceFactory(name="Acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    study, segments = study_with_interviews(workspace, per_segment=30, flagged=1)
    # A continuous study whose interviews completed over three weeks: the page has its
    # Over time section too.
    Study.objects.filter(pk=study.pk).update(mode=StudyMode.CONTINUOUS)
    start = timezone.now() - timedelta(weeks=2)
    ids = Interview.objects.filter(study=study).order_by("pk").values_list("pk", flat=True)
    for index, pk in enumerate(ids):
        Interview.objects.filter(pk=pk).update(completed_at=start + timedelta(weeks=index % 3))
    report = services.report_create(workspace=workspace, study_id=study.pk, segment_ids=segments)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY, report.error
    return report, owner


def assert_rendered_with_charts(page, report: Report) -> None:
    page.get_by_role("heading", name="Why do they stall?").wait_for()
    assert (
        "Price watchers"
        in page.get_by_role("heading", name="Who answered").locator("xpath=..").inner_text()
    )
    charts = page.locator(".report-block svg")
    assert charts.count() >= len(report.document["questions"])
    # Charts are drawn, not empty boxes: every one has a size on screen.
    for index in range(min(charts.count(), 6)):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 40 and box["height"] > 4
    assert page.get_by_test_id("summary").inner_text().strip()
    over_time = page.get_by_test_id("over-time")
    assert over_time.is_visible()
    assert over_time.locator("thead th").count() >= 4  # theme, three weeks (and trend)
    lines = over_time.locator("svg.trend-line")
    assert lines.count() >= 2 * len(report.document["themes"])
    assert lines.first.bounding_box()["width"] > 40
    assert page.get_by_test_id("sentence").count() >= len(report.document["questions"])


def test_report_page_renders_with_charts_at_desktop_and_phone_sizes(
    page, browser, live_server, generated
):
    report, owner = generated
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/reports/{report.pk}/")
    assert_rendered_with_charts(page, report)
    assert overflow(page) == 0
    shot(page, "report-generated-desktop")

    phone = browser.new_context(viewport=PHONE, is_mobile=True)
    try:
        small = phone.new_page()
        log_in(small, live_server, owner.email)
        small.goto(f"{live_server.url}/reports/{report.pk}/")
        assert_rendered_with_charts(small, report)
        assert overflow(small) == 0
        shot(small, "report-generated-phone")
    finally:
        phone.close()


def test_share_link_works_logged_out_until_revoked(page, browser, live_server, generated):
    report, owner = generated
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/reports/{report.pk}/")
    page.get_by_role("button", name="Create read-only link").click()
    url = page.get_by_test_id("share-url").inner_text().strip()
    assert url.startswith(f"{live_server.url}/reports/shared/")

    stranger = browser.new_context(viewport=PHONE)
    try:
        anonymous = stranger.new_page()
        response = anonymous.goto(url)
        assert response is not None and response.status == 200
        assert_rendered_with_charts(anonymous, report)
        # Read-only: no way to regenerate, share or export, and no workspace navigation.
        assert anonymous.get_by_role("button", name="Regenerate").count() == 0
        assert anonymous.get_by_role("button", name="Revoke link").count() == 0
        assert anonymous.get_by_role("link", name="Export CSV").count() == 0
        assert overflow(anonymous) == 0
        shot(anonymous, "report-generated-shared")

        page.get_by_role("button", name="Revoke link").click()
        page.get_by_role("button", name="Create read-only link").wait_for()
        revoked = anonymous.goto(url)
        assert revoked is not None and revoked.status == 404
        assert "Why do they stall?" not in anonymous.content()
        shot(anonymous, "report-generated-shared-revoked")
    finally:
        stranger.close()
