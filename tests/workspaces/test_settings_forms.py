"""Settings forms that behave: no resubmit on refresh, the key shown once with a Copy
button and a working curl example, names required, revocation confirmed, GETs of
POST-only URLs sent to their page, unique ids and labels, relative dates, currency."""

from __future__ import annotations

import json
import re
import shlex
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from people.models import Event
from tests.factories import MembershipFactory, WorkspaceFactory, make_api_key
from tests.labels import control_count, label_problems
from workspaces.models import ApiKey, KeyScope, MemberInvite, Role


@pytest.fixture
def owner_client(workspace, owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def _create_key(client: Client, name: str, scope: str) -> str:
    response = client.post("/settings/keys/", {"name": name, "scope": scope})
    assert response.status_code == 302
    assert response["Location"] == "/settings/#new-key"
    return client.get("/settings/").content.decode()


def test_creating_a_key_redirects_and_a_refresh_shows_it_no_more(owner_client, workspace):
    page = _create_key(owner_client, "Website", "ingest")
    assert 'data-testid="new-key"' in page
    assert 'data-copy="new-key-value"' in page and "Copy key" in page
    again = owner_client.get("/settings/").content.decode()
    assert 'data-testid="new-key"' not in again
    assert ApiKey.objects.filter(workspace=workspace).count() == 1


def test_the_page_showing_a_key_is_not_cached(owner_client):
    owner_client.post("/settings/keys/", {"name": "Website", "scope": "ingest"})
    response = owner_client.get("/settings/")
    assert "no-store" in response["Cache-Control"]
    assert "no-store" not in owner_client.get("/settings/").get("Cache-Control", "")


def _curl(page: str) -> list[str]:
    block = re.search(r'data-testid="new-key-curl"[^>]*>(.*?)</pre>', page, re.S).group(1)
    command = block.replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&")
    return shlex.split(command.replace("\\\n", " "))


def _run_curl(args: list[str]) -> tuple[str, str, dict[str, str], str | None]:
    """curl's method, path, headers and body, as the command line gives them."""
    method, url, headers, body = "GET", "", {}, None
    words = iter(args[1:])
    for word in words:
        if word == "-X":
            method = next(words)
        elif word == "-H":
            name, _, value = next(words).partition(": ")
            headers[name] = value
        elif word == "-d":
            body = next(words)
        else:
            url = word
    return method, re.sub(r"^https?://[^/]+", "", url), headers, body


def test_an_ingest_keys_curl_example_sends_an_event(owner_client, workspace):
    page = _create_key(owner_client, "Website", "ingest")
    raw = re.search(r'data-testid="new-key">(mk_[^<]+)<', page).group(1)
    method, path, headers, body = _run_curl(_curl(page))
    assert (method, path) == ("POST", "/api/v1/ingest/track")
    assert headers["Authorization"] == f"Bearer {raw}"
    response = Client().post(
        path,
        body,
        content_type=headers["Content-Type"],
        HTTP_AUTHORIZATION=headers["Authorization"],
    )
    assert response.status_code == 200, response.content
    assert Event.objects.filter(workspace=workspace, name="Signed Up").count() == 1


def test_a_full_keys_curl_example_lists_segments(owner_client, workspace):
    page = _create_key(owner_client, "Script", "full")
    method, path, headers, body = _run_curl(_curl(page))
    assert (method, path, body) == ("GET", "/api/v1/segments/", None)
    response = Client().get(path, HTTP_AUTHORIZATION=headers["Authorization"])
    assert response.status_code == 200
    assert json.loads(response.content)["count"] == 0


@pytest.mark.parametrize("name", ["", "   "])
def test_a_key_without_a_name_is_refused(owner_client, workspace, name):
    response = owner_client.post("/settings/keys/", {"name": name, "scope": "full"})
    assert response.status_code == 400
    assert "Name the key after what will use it" in response.content.decode()
    assert not ApiKey.objects.filter(workspace=workspace).exists()


def test_revoking_asks_first(owner_client, workspace):
    key, _ = make_api_key(workspace, KeyScope.FULL)
    ApiKey.objects.filter(pk=key.pk).update(name="Nightly export")
    settings_page = owner_client.get("/settings/").content.decode()
    assert f'href="/settings/keys/{key.pk}/revoke/"' in settings_page

    confirm = owner_client.get(f"/settings/keys/{key.pk}/revoke/")
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Revoke the key “Nightly export”?" in html and "401" in html
    key.refresh_from_db()
    assert key.revoked_at is None

    assert owner_client.post(f"/settings/keys/{key.pk}/revoke/").status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    # A revoked key has nothing left to confirm.
    again = owner_client.get(f"/settings/keys/{key.pk}/revoke/")
    assert again.status_code == 302 and again["Location"] == "/settings/"


def test_another_workspaces_key_has_no_confirmation_page(owner_client):
    other, _ = make_api_key(WorkspaceFactory())
    assert owner_client.get(f"/settings/keys/{other.pk}/revoke/").status_code == 404


@pytest.mark.parametrize(
    "path,page",
    [
        ("/settings/keys/", "/settings/"),
        ("/settings/invites/", "/settings/"),
        ("/settings/invites/{invite}/revoke/", "/settings/"),
        ("/workspaces/switch/", "/"),
    ],
)
def test_a_get_of_a_post_only_url_goes_to_its_page(owner_client, workspace, owner, path, page):
    invite = MemberInvite.objects.create(
        workspace=workspace,
        email="x@example.com",
        token_hash="h" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )
    url = path.format(invite=invite.pk)
    response = owner_client.get(url)
    assert response.status_code == 302 and response["Location"] == page
    assert owner_client.put(url).status_code == 405
    assert MemberInvite.objects.get(pk=invite.pk).revoked_at is None
    assert not ApiKey.objects.filter(workspace=workspace).exists()


def _settings_tab_is_current(html: str) -> bool:
    return bool(re.search(r'<a href="/settings/" aria-current="page">Settings</a>', html))


def test_the_settings_tab_stays_highlighted_on_its_sub_pages(owner_client, workspace):
    key, _ = make_api_key(workspace)
    assert _settings_tab_is_current(owner_client.get("/settings/").content.decode())
    assert _settings_tab_is_current(
        owner_client.get(f"/settings/keys/{key.pk}/revoke/").content.decode()
    )
    refused = owner_client.post("/settings/keys/", {"name": "", "scope": "full"})
    assert _settings_tab_is_current(refused.content.decode())
    refused = owner_client.post("/settings/invites/", {"email": "nope", "role": "viewer"})
    assert refused.status_code == 400 and _settings_tab_is_current(refused.content.decode())
    assert not _settings_tab_is_current(owner_client.get("/segments/").content.decode())


def test_every_settings_control_has_its_own_label_and_id(owner_client, workspace):
    make_api_key(workspace)
    MembershipFactory(workspace=workspace, role=Role.VIEWER)
    page = _create_key(owner_client, "Website", "ingest")
    assert control_count(page) >= 10
    assert label_problems(page) == []
    for html in (
        owner_client.post("/settings/keys/", {"name": "", "scope": "full"}).content.decode(),
        owner_client.post("/settings/", {"name": ""}).content.decode(),
    ):
        assert label_problems(html) == []


@pytest.mark.parametrize("path", ["/login/", "/workspaces/new/"])
def test_other_shell_forms_label_every_control(db, path):
    client = Client()
    if path != "/login/":
        client.force_login(MembershipFactory().user)
    assert label_problems(client.get(path).content.decode()) == []


def test_dates_are_relative_with_the_exact_time_in_the_title(owner_client, workspace):
    key, _ = make_api_key(workspace)
    used = timezone.now() - timedelta(days=3, hours=1)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=used)
    html = owner_client.get("/settings/").content.decode()
    exact = used.strftime("%Y-%m-%d %H:%M")
    assert re.search(rf'<time datetime="[^"]+" title="{exact} UTC">3\xa0days ago</time>', html)


def test_invitation_expiry_is_said_as_a_time_to_come(owner_client, workspace):
    MemberInvite.objects.create(
        workspace=workspace,
        email="x@example.com",
        token_hash="h" * 64,
        expires_at=timezone.now() + timedelta(days=13, hours=23),
    )
    assert "expires <time" in owner_client.get("/settings/").content.decode()
    assert "in 1\xa0week</time>" in owner_client.get("/settings/").content.decode()


def test_the_currency_is_a_workspace_setting(owner_client, workspace):
    page = owner_client.get("/settings/").content.decode()
    assert '<option value="EUR">EUR</option>' in page
    response = owner_client.post(
        "/settings/",
        {"name": "Acme", "time_zone": "UTC", "currency": "JPY", "segment_refresh_minutes": "60"},
    )
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.currency == "JPY"
    refused = owner_client.post(
        "/settings/",
        {"name": "Acme", "time_zone": "UTC", "currency": "XYZ", "segment_refresh_minutes": "60"},
    )
    assert refused.status_code == 400
    workspace.refresh_from_db()
    assert workspace.currency == "JPY"


def test_a_get_of_logout_goes_home_and_keeps_the_session(owner_client):
    response = owner_client.get("/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert owner_client.get("/settings/").status_code == 200
    assert owner_client.post("/logout/").status_code == 302
    assert owner_client.get("/settings/").status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/people/",
        "/people/accounts/",
        "/segments/",
        "/segments/new/",
        "/segments/new/rfm/",
        "/segments/new/cluster/",
        "/segments/new/static/",
        "/segments/new/external/",
    ],
)
def test_researcher_forms_label_every_control(owner_client, workspace, path):
    html = owner_client.get(path).content.decode()
    assert control_count(html) >= 1
    assert label_problems(html) == []


def test_a_researcher_is_not_asked_to_revoke(workspace):
    key, _ = make_api_key(workspace)
    client = Client()
    client.force_login(MembershipFactory(workspace=workspace, role=Role.RESEARCHER).user)
    response = client.get(f"/settings/keys/{key.pk}/revoke/")
    assert response.status_code == 403
    assert "This needs the owner role" in response.content.decode()
    assert client.post(f"/settings/keys/{key.pk}/revoke/").status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None
