"""Segment members and results in a real browser: sort and search the member list, the
RFM heatmap page. Screenshots go to var/screenshots/ as artifacts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from segments import services
from tests.browser.conftest import log_in
from tests.factories import EventFactory, MembershipFactory, PersonFactory, WorkspaceFactory
from workspaces.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def member_ids(page) -> list[str]:
    return page.locator(
        "[data-testid=members-table] tbody tr td:first-child .mono"
    ).all_inner_texts()


def test_member_list_sorts_and_searches(page, live_server):
    workspace = WorkspaceFactory(name="Acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    now = timezone.now()
    for user_id, name, views in (("u_b", "Bea", 4), ("u_a", "Ana", 5), ("u_c", "Cy", 3)):
        person = PersonFactory(
            workspace=workspace, user_id=user_id, traits={"name": name, "plan": "pro"}
        )
        for i in range(views):
            EventFactory(
                person=person,
                name="Pricing Page Viewed",
                timestamp=now - timedelta(days=1, minutes=i),
            )
    segment = services.segment_create(
        workspace=workspace,
        name="Pricing",
        kind="rule",
        definition={"event": "Pricing Page Viewed", "value": {"gte": 3}, "within_days": 7},
    )
    services.segment_compute(segment=segment)
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/segments/{segment.pk}/")

    page.get_by_role("link", name="Person").click()
    page.wait_for_url("**sort=user**")
    assert member_ids(page) == ["u_a", "u_b", "u_c"]
    page.get_by_role("link", name="Person").click()
    page.wait_for_url("**sort=-user**")
    assert member_ids(page) == ["u_c", "u_b", "u_a"]
    qualified = page.get_by_test_id("qualified-by").all_inner_texts()
    assert qualified == [f"{n} \u00d7 Pricing Page Viewed in the last 7 days" for n in (3, 4, 5)]
    shot(page, "segment-members-sorted")

    page.get_by_label("Search members").fill("bea")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**q=bea**")
    assert member_ids(page) == ["u_b"]
    assert "1 member matching “bea”" in page.get_by_role("status").first.inner_text()
    shot(page, "segment-members-search")


def test_rfm_heatmap_page(page, live_server):
    workspace = WorkspaceFactory(name="Acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    now = timezone.now()
    for n in range(25):
        person = PersonFactory(workspace=workspace, user_id=f"buyer{n}")
        for i in range(1 + n % 6):
            EventFactory(
                person=person,
                name="Order Completed",
                timestamp=now - timedelta(days=3 + (n * 7) % 90, minutes=i),
                properties={"amount": 10 + 7 * n},
            )
    segment = services.segment_create(
        workspace=workspace,
        name="Best buyers",
        kind="rfm",
        definition={"event": "Order Completed", "include": ["Champions", "Loyal Customers"]},
    )
    services.segment_compute(segment=segment)
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/segments/{segment.pk}/")

    heatmap = page.get_by_test_id("rfm-heatmap")
    heatmap.wait_for()
    cells = heatmap.locator("td.rfm-cell")
    assert cells.count() == 25
    counts = [int(t.replace(",", "")) for t in heatmap.locator(".rfm-count").all_inner_texts()]
    assert sum(counts) == 25
    champions = heatmap.locator("td[data-tier='Champions']").first
    assert "of revenue" in champions.inner_text()
    # The darkest cell is the fullest one: the heat is drawn, not just printed.
    fullest = max(range(25), key=lambda i: counts[i])
    heat = cells.nth(fullest).evaluate("el => getComputedStyle(el).getPropertyValue('--heat')")
    assert float(heat) == 1.0
    bars = page.get_by_test_id("tier-bars").locator("tbody tr")
    assert bars.count() >= 2
    shot(page, "segment-rfm-heatmap")


def test_cluster_wizard_previews_then_saves_as_a_job(page, live_server):
    workspace = WorkspaceFactory(name="Acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    now = timezone.now()
    for n in range(12):
        person = PersonFactory(workspace=workspace, user_id=f"p{n}")
        counts = (
            {"Report Exported": 20 + n, "Logged In": 1 + n % 2} if n < 6 else {"Logged In": 15 + n}
        )
        for name, times in counts.items():
            for i in range(times):
                EventFactory(person=person, name=name, timestamp=now - timedelta(days=1, minutes=i))
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/segments/new/cluster/")
    page.get_by_label("Name").fill("Usage")
    page.get_by_test_id("preview-clusters").click()
    page.get_by_test_id("cluster-result").wait_for()
    assert page.get_by_test_id("preview-cluster").count() == 2
    assert "Why 2 clusters" in page.get_by_test_id("cluster-result").inner_text()
    shot(page, "segment-cluster-preview")

    page.get_by_role("button", name="Save and cluster").click()
    page.wait_for_url("**/segments/*/")
    page.get_by_test_id("stability-text").wait_for()
    left_out = page.get_by_test_id("left-out").inner_text()
    assert left_out == "12 people were clustered. Nobody was left out."
    shot(page, "segment-cluster-result")
