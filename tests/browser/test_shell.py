"""The researcher's shell in a real browser: log in, navigate, mint and revoke a key."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in
from tests.factories import MembershipFactory, WorkspaceFactory
from workspaces.models import ApiKey, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_creates_and_revokes_a_key(page, live_server):
    workspace = WorkspaceFactory(name="Acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    log_in(page, live_server, owner.email)
    assert page.get_by_role("heading", name="No segments yet").is_visible()

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Key name").fill("Website tracking")
    page.get_by_label("Scope").select_option("ingest")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_test_id("new-key").inner_text()
    key = ApiKey.objects.get(workspace=workspace, name="Website tracking")
    assert secret.startswith(key.prefix) and key.scope == "ingest"

    page.get_by_role("link", name="Revoke Website tracking").click()
    page.get_by_role("button", name="Revoke key").click()
    assert page.get_by_text("revoked. Requests using it now get 401").is_visible()
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_workspace_switcher(page, live_server):
    first = WorkspaceFactory(name="Alpha team")
    owner = MembershipFactory(workspace=first, role=Role.OWNER).user
    MembershipFactory(workspace=WorkspaceFactory(name="Beta team"), user=owner)
    log_in(page, live_server, owner.email)
    page.get_by_label("Workspace").select_option(label="Beta team")
    page.wait_for_load_state()
    page.get_by_role("link", name="Settings").click()
    assert "Beta team" in page.locator("main h1 + p").inner_text()


def test_login_page_fits_a_phone_and_shows_errors(browser, live_server):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    button = page.get_by_role("button", name="Log in").bounding_box()
    assert button["height"] >= 44
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text().startswith("There is a problem")
    context.close()
