"""The rule builder in a real browser: rows, live preview, save, and phone width."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from segments.models import Segment
from tests.browser.conftest import log_in
from tests.factories import EventFactory, MembershipFactory, PersonFactory, WorkspaceFactory
from workspaces.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STALLED = {
    "all": [
        {"event": "Pricing Page Viewed", "value": {"gte": 3}, "within_days": 7},
        {"not": {"event": "Teammate Invited", "within_days": 30}},
    ]
}


def seed(workspace) -> None:
    """Four people view pricing 3+ times this week; one of them invited a teammate."""
    now = timezone.now()
    for n in range(6):
        person = PersonFactory(workspace=workspace, user_id=f"u_{n}")
        for _ in range(3 if n < 4 else 1):
            EventFactory(
                person=person, name="Pricing Page Viewed", timestamp=now - timedelta(days=2)
            )
        if n == 0:
            EventFactory(person=person, name="Teammate Invited", timestamp=now - timedelta(days=5))


def preview_size(page) -> str:
    return page.get_by_test_id("preview-size").inner_text()


def test_build_preview_and_save_a_rule_segment(page, live_server):
    workspace = WorkspaceFactory(name="Acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    seed(workspace)
    log_in(page, live_server, owner.email)

    page.get_by_role("link", name="Build a rule segment").click()
    page.get_by_label("Name").fill("Stalled evaluators")
    page.get_by_role("button", name="Add condition").click()
    first = page.locator(".rule-row").nth(0)
    first.get_by_label("Event name").fill("Pricing Page Viewed")
    first.get_by_label("Value").fill("3")
    first.get_by_label("In the last (days)").fill("7")
    page.wait_for_function(
        "document.querySelector('[data-testid=preview-size]')?.textContent === '4'"
    )

    page.get_by_role("button", name="Add condition").click()
    second = page.locator(".rule-row").nth(1)
    second.get_by_label("Not").check()
    second.get_by_label("Event name").fill("Teammate Invited")
    second.get_by_label("In the last (days)").fill("30")
    page.wait_for_function(
        "document.querySelector('[data-testid=preview-size]')?.textContent === '3'"
    )
    assert preview_size(page) == "3"

    page.get_by_role("tab", name="JSON").click()
    assert '"Teammate Invited"' in page.get_by_label("Definition (JSON)").input_value()
    page.get_by_role("tab", name="Builder").click()

    page.get_by_label("Playbook").fill("Offer a demo call")
    page.get_by_role("button", name="Save and compute").click()
    page.wait_for_url("**/segments/*/")
    segment = Segment.objects.get(workspace=workspace)
    assert segment.definition == STALLED
    assert page.get_by_test_id("segment-size").inner_text() == "3"
    assert "AND NOT 1 or more Teammate Invited" in page.get_by_test_id("rule-sentence").inner_text()


def test_an_invalid_row_is_explained_and_marked(page, live_server):
    workspace = WorkspaceFactory(name="Acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/segments/new/")
    page.get_by_role("button", name="Add condition").click()
    page.get_by_role("button", name="Add condition").click()
    second = page.locator(".rule-row").nth(1)
    second.get_by_label("Event name").fill("Pricing Page Viewed")
    second.get_by_label("In the last (days)").fill("0")
    alert = page.locator("#rule-preview [role=alert]")
    alert.wait_for()
    assert "condition" in alert.inner_text()
    page.wait_for_selector(".rule-row-invalid")


def test_no_horizontal_scroll_at_phone_width(browser, live_server):
    workspace = WorkspaceFactory(name="Acme Analytics (demo) with a long name")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    seed(workspace)
    from segments import services

    segment = services.segment_create(
        workspace=workspace,
        name="Stalled evaluators on the pricing page",
        kind="rule",
        definition=STALLED,
    )
    services.segment_compute(segment=segment)
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    log_in(page, live_server, owner.email)
    for path in ("/segments/", f"/segments/{segment.pk}/", "/segments/new/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    switcher = page.get_by_label("Workspace").bounding_box()
    assert switcher["width"] >= 200
    context.close()
