"""The README's tour, walked in Chromium on the demo's own data at desktop and phone sizes.

Each stop must answer, show the demo's data and fit the phone's width; its screenshot
is saved to docs/screenshots/, which the README shows, so the pictures stay current.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from people.demo_data import seed_demo_data
from segments.demo_segments import create_demo_segments
from segments.models import Segment
from studies.demo_studies import create_demo_studies
from tests.browser.conftest import log_in
from workspaces.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_workspace_get_or_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}


def _url(name: str, *args: object) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # a page another part of the product has not shipped yet
        return None


def demo_tour() -> list[tuple[str, str, str, str | None]]:
    """(screenshot name, path, text the page must show, what to wait for) per stop."""
    workspace = demo_workspace_get_or_create()
    now = timezone.now().replace(microsecond=0)
    seed_demo_data(workspace=workspace, people=600, days=90, now=now)
    create_demo_segments(workspace=workspace, now=now)
    studies = create_demo_studies(workspace=workspace, now=now)
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
    study_page = _url("studies:detail", studies[0].pk)
    if study_page:  # the studies UI, where it has shipped
        stops.append(("5-studies", "/studies/", studies[0].title, None))
        stops.append(("6-study", study_page, studies[0].title, None))
    return stops


def test_the_tour_pages_at_desktop_and_phone_sizes(browser, live_server):
    stops = demo_tour()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
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
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"))
        context.close()
