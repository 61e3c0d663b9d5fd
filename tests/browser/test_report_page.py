"""The report page in a real browser: segment columns with SVG charts, on a desktop and a
phone, and a share link that opens logged out until it is revoked. Screenshots go to
var/screenshots/ as artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from reports.models import Report
from tests.browser.conftest import log_in
from tests.factories import MembershipFactory, WorkspaceFactory, ready_report
from workspaces.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def test_the_report_page_renders_and_its_share_link_works_until_revoked(
    browser, page, live_server
) -> None:
    workspace = WorkspaceFactory()
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    report = ready_report(workspace, per_segment=40)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server, owner.email)

    page.goto(f"{live_server.url}/reports/{report.pk}/")

    assert page.get_by_role("heading", name="Why do they stall?").is_visible()
    assert page.locator("svg.share-bar").count() > 4
    assert page.locator("svg.histogram").count() == 2
    first = page.get_by_test_id("sentence").first.inner_text()
    assert "unlikely to be chance" in first
    assert page.get_by_test_id("summary").inner_text().startswith("Based on 80 completed")
    page.screenshot(path=str(SCREENSHOTS / "report-desktop.png"), full_page=True)

    page.get_by_role("button", name="Create read-only link").click()
    share_url = page.get_by_test_id("share-url").inner_text()
    assert share_url.startswith(f"{live_server.url}/reports/shared/")
    stranger = browser.new_context(viewport={"width": 390, "height": 844})
    phone = stranger.new_page()
    phone.goto(share_url)
    assert phone.get_by_role("heading", name="Why do they stall?").is_visible()
    assert phone.locator("svg.share-bar").count() > 4
    assert phone.get_by_role("button", name="Revoke link").count() == 0
    no_scroll = phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.screenshot(path=str(SCREENSHOTS / "report-shared-phone.png"), full_page=True)

    page.get_by_role("button", name="Revoke link").click()
    page.get_by_role("button", name="Create read-only link").wait_for()
    gone = phone.goto(share_url)
    stranger.close()

    assert gone is not None and gone.status == 404
    assert Report.objects.get(pk=report.pk).share_token is None
    assert no_scroll, "the shared page scrolls sideways on a phone"
