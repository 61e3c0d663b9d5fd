"""The README's tour, walked in Chromium on the demo's own data at desktop and phone sizes.

Each stop must answer, show the demo's data and fit the phone's width, and is
photographed. `make screenshots` (MOTIVE_SCREENSHOTS=docs/screenshots) saves the pictures
where the README shows them; a plain test run keeps them in a temporary folder, so that
`make test` leaves the working tree as it found it.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from people.demo_data import seed_demo_data
from reports.models import Report
from segments.demo_segments import create_demo_segments
from segments.models import Segment
from studies.demo_studies import create_demo_studies
from studies.models import Invitation, InvitationStatus
from tests.browser.conftest import log_in
from workspaces.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_workspace_get_or_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where the pictures go: docs/screenshots/ when asked for (make screenshots), else a
# temporary folder of the test's own (the `screenshots` fixture).
SCREENSHOTS_TO = os.environ.get("MOTIVE_SCREENSHOTS", "")
SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}


# setup_demo's stages after the studies: interviews, the study cut by an answer, reports.
STAGES = ("load_demo_interviews", "load_demo_followup", "load_demo_interviews", "load_demo_reports")


def demo_tour() -> list[tuple[str, str, str, str | None]]:
    """(screenshot name, path, text the page must show, what to wait for) per stop."""
    workspace = demo_workspace_get_or_create()
    now = timezone.now().replace(microsecond=0)
    seed_demo_data(workspace=workspace, people=600, days=90, now=now)
    create_demo_segments(workspace=workspace, now=now)
    studies = create_demo_studies(workspace=workspace, now=now)
    for command in STAGES:
        call_command(command, workspace=workspace.pk, stdout=io.StringIO())
    segments = {s.name: s for s in Segment.objects.filter(workspace=workspace)}
    stops = [
        ("1-segments", "/segments/", "3+ pricing-page visits in 7 days", None),
        ("2-segment", f"/segments/{segments['Power users'].pk}/", "Power users", None),
        ("3-rfm", f"/segments/{segments['RFM Champions'].pk}/", "Champions", None),
        (
            "4-builder",
            "/segments/new/?template=intent",
            "Accounts shopping around",
            "[data-testid=preview-size]",
        ),
    ]
    comparison = studies[0]
    report = Report.objects.filter(study=comparison).order_by("id").first()  # not the cut
    assert report is not None
    stops += [
        ("5-studies", "/studies/", comparison.title, None),
        ("6-study", reverse("studies:detail", args=[comparison.pk]), comparison.title, None),
        (
            "7-interviews",
            reverse("interviews:list", args=[comparison.pk]),
            "Power users",
            None,
        ),
        ("8-report", reverse("reports:detail", args=[report.pk]), "Power users", None),
    ]
    return stops


def walk_an_interview(page, live_server, shot: Path) -> None:
    """A respondent opens a fresh link: consent, then the first question."""
    invitation = Invitation.objects.filter(
        study__key="why-stay-or-stall", status=InvitationStatus.PENDING
    ).first()
    assert invitation is not None
    page.context.clear_cookies()  # respondents have no account
    page.goto(f"{live_server.url}/i/{invitation.token}/")
    page.get_by_role("button", name="I agree, start the interview").click()
    page.get_by_role("heading", name=re.compile("What were you trying to get done")).wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (shot.name, width)
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 0


def test_the_tour_pages_at_desktop_and_phone_sizes(browser, live_server, tmp_path):
    stops = demo_tour()
    folder = Path(settings.BASE_DIR) / SCREENSHOTS_TO if SCREENSHOTS_TO else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        log_in(page, live_server, DEMO_EMAIL, DEMO_PASSWORD)
        for name, path, expected, wait_for in stops:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            if wait_for:
                page.wait_for_selector(wait_for)
            assert expected in page.inner_text("body"), (path, expected)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], (path, size, width)
            page.screenshot(path=str(folder / f"{name}-{size}.png"))
        walk_an_interview(page, live_server, folder / f"9-interview-{size}.png")
        context.close()
