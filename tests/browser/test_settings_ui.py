"""Settings in a real browser: fits a 390 px phone, the new key's Copy buttons, no second
key or import on refresh, revoking confirmed. Screenshots go to var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from people.models import Person
from tests.browser.conftest import log_in
from tests.factories import MembershipFactory, WorkspaceFactory, make_api_key
from workspaces.models import ApiKey, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _owner(name: str = "Acme research team with a long name"):
    workspace = WorkspaceFactory(name=name)
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    return workspace, owner


def _create_key(page, name: str, scope: str) -> None:
    page.get_by_label("Key name").fill(name)
    page.get_by_label("Scope").select_option(scope)
    page.get_by_role("button", name="Create key").click()
    page.get_by_test_id("new-key").wait_for()


def test_settings_fit_a_390px_phone(browser, live_server):
    workspace, owner = _owner()
    make_api_key(workspace)
    for _ in range(3):
        MembershipFactory(workspace=workspace, role=Role.RESEARCHER)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/settings/")
    _create_key(page, "Website tracking on the marketing site", "ingest")
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
            .map(el => el.tagName + '.' + el.className)"""
    )
    assert width <= PHONE["width"], f"the page scrolls sideways: {width} px, {wide}"
    # No table needs its own sideways scroll either.
    scrolling = page.evaluate(
        """() => [...document.querySelectorAll('.table-wrap')]
            .filter(el => el.scrollWidth > el.clientWidth + 1)
            .map(el => el.closest('section').getAttribute('aria-labelledby')
                       + ': ' + el.scrollWidth + ' > ' + el.clientWidth)"""
    )
    assert scrolling == []
    settings_tab = page.get_by_role("link", name="Settings")
    assert settings_tab.get_attribute("aria-current") == "page"
    for button in ("Copy key", "Copy command", "Create key", "Send invitation", "Save"):
        box = page.get_by_role("button", name=button, exact=True).bounding_box()
        assert box["width"] <= PHONE["width"]
    shot(page, "settings-390px")
    context.close()


def test_copy_buttons_put_the_key_and_the_command_on_the_clipboard(browser, live_server):
    _workspace, owner = _owner("Acme")
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/settings/")
    _create_key(page, "Website tracking", "ingest")
    key = page.get_by_test_id("new-key").inner_text()

    page.get_by_role("button", name="Copy key").click()
    page.get_by_text("Key copied to the clipboard.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == key

    page.get_by_role("button", name="Copy command").click()
    page.get_by_text("Command copied to the clipboard.").wait_for()
    command = page.evaluate("navigator.clipboard.readText()")
    assert command.startswith(f"curl -X POST {live_server.url}/api/v1/ingest/track")
    assert f"Bearer {key}" in command
    shot(page, "settings-new-key")
    context.close()


def test_refresh_after_creating_a_key_creates_no_second_one(page, live_server):
    workspace, owner = _owner("Acme")
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/settings/")
    _create_key(page, "Website tracking", "full")
    assert page.url == f"{live_server.url}/settings/#new-key"
    page.reload()
    page.get_by_role("heading", name="API keys").wait_for()
    assert page.get_by_test_id("new-key").count() == 0
    assert ApiKey.objects.filter(workspace=workspace).count() == 1
    page.go_back()
    page.go_forward()
    assert ApiKey.objects.filter(workspace=workspace).count() == 1


def test_refresh_after_an_import_imports_nothing_again(page, live_server, tmp_path):
    workspace, owner = _owner("Acme")
    upload = tmp_path / "people.csv"
    upload.write_text("user_id;plan\nu1;pro\nu2;free\n")
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/people/")
    page.locator("summary", has_text="Import CSV").click()
    page.get_by_label("People and their traits").check()
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_role("heading", name="Import finished").wait_for()
    assert page.get_by_test_id("import-delimiter").is_visible()
    shot(page, "people-import-semicolons")
    page.reload()
    page.get_by_role("heading", name="People", exact=True).wait_for()
    assert page.get_by_role("heading", name="Import finished").count() == 0
    assert Person.objects.filter(workspace=workspace).count() == 2


def test_revoking_asks_for_confirmation(page, live_server):
    workspace, owner = _owner("Acme")
    key, _ = make_api_key(workspace)
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/settings/")
    page.get_by_role("link", name=f"Revoke {key.name}").click()
    page.get_by_role("heading", name=f"Revoke the key “{key.name}”?").wait_for()
    assert page.get_by_role("link", name="Settings").get_attribute("aria-current") == "page"
    page.get_by_role("link", name="Keep it").click()
    key.refresh_from_db()
    assert key.revoked_at is None
    page.get_by_role("link", name=f"Revoke {key.name}").click()
    page.get_by_role("button", name="Revoke key").click()
    page.get_by_text("revoked. Requests using it now get 401").wait_for()
    key.refresh_from_db()
    assert key.revoked_at is not None
