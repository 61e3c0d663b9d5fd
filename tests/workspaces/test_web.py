"""The web shell: login, navigation, settings (keys, members), switcher, invites."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from workspaces.models import ApiKey, MemberInvite, Membership, Role
from workspaces.selectors import SESSION_WORKSPACE_KEY


@pytest.fixture
def owner_client(workspace, owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.mark.django_db
def test_anonymous_is_sent_to_login():
    response = Client().get("/settings/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/settings/")


def test_login_by_email_in_any_case(workspace, owner):
    client = Client()
    response = client.post(
        "/login/", {"username": owner.email.upper(), "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    page = client.get("/segments/")
    assert page.status_code == 200
    assert b"No segments yet" in page.content


def test_wrong_password_shows_an_actionable_error(workspace, owner):
    response = Client().post("/login/", {"username": owner.email, "password": "nope"})
    assert response.status_code == 200
    assert b"Your email or password is not right" in response.content


@pytest.mark.parametrize(
    "path,heading",
    [
        ("/segments/", "No segments yet"),
        ("/studies/", "No studies yet"),
        ("/reports/", "No reports yet"),
        ("/people/", "No people yet"),
    ],
)
def test_sections_render_with_empty_states(owner_client, path, heading):
    response = owner_client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert heading in html
    for label in ("Segments", "Studies", "Reports", "People", "Settings"):
        assert f">{label}</a>" in html


def test_create_key_shows_it_once(owner_client, workspace):
    response = owner_client.post("/settings/keys/", {"name": "Website", "scope": "ingest"})
    assert response.status_code == 302
    page = owner_client.get(response["Location"]).content.decode()
    shown = re.search(r'data-testid="new-key">(mk_[^<]+)<', page).group(1)
    key = ApiKey.objects.get(workspace=workspace, name="Website")
    assert shown.startswith(key.prefix)
    assert shown not in owner_client.get("/settings/").content.decode()


def test_revoke_key(owner_client, workspace):
    from tests.factories import make_api_key

    key, _ = make_api_key(workspace)
    response = owner_client.post(f"/settings/keys/{key.pk}/revoke/")
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_cannot_revoke_another_workspaces_key(owner_client):
    from tests.factories import make_api_key

    other_key, _ = make_api_key(WorkspaceFactory())
    assert owner_client.post(f"/settings/keys/{other_key.pk}/revoke/").status_code == 404
    other_key.refresh_from_db()
    assert other_key.revoked_at is None


def test_researcher_cannot_open_settings_writes(workspace):
    researcher = MembershipFactory(workspace=workspace, role=Role.RESEARCHER).user
    client = Client()
    client.force_login(researcher)
    response = client.post("/settings/keys/", {"scope": "full"})
    assert response.status_code == 403
    assert not ApiKey.objects.filter(workspace=workspace).exists()


def test_invite_sends_email_and_newcomer_joins(
    owner_client, workspace, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/settings/invites/", {"email": "New@Example.com", "role": "viewer"}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    link = re.search(r"http://\S+/join/(\S+)/", mail.outbox[0].body)
    newcomer = Client()
    page = newcomer.get(f"/join/{link.group(1)}/")
    assert page.status_code == 200 and b"Choose a password" in page.content
    joined = newcomer.post(f"/join/{link.group(1)}/", {"password": "a-good-password"})
    assert joined.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert Membership.objects.get(workspace=workspace, user=user).role == Role.VIEWER
    # The link works once.
    assert Client().get(f"/join/{link.group(1)}/").status_code == 404


def test_inviting_a_member_again_is_refused(owner_client, workspace, owner):
    response = owner_client.post("/settings/invites/", {"email": owner.email, "role": "viewer"})
    assert response.status_code == 400
    assert b"already a member" in response.content
    assert MemberInvite.objects.count() == 0


def test_switcher_changes_workspace_only_to_own_ones(owner_client, owner):
    second = WorkspaceFactory(name="Second team")
    MembershipFactory(workspace=second, user=owner)
    foreign = WorkspaceFactory(name="Foreign")
    owner_client.post("/workspaces/switch/", {"workspace": second.pk})
    assert "Second team" in owner_client.get("/settings/").content.decode().split("<h1>")[1][:300]
    owner_client.post("/workspaces/switch/", {"workspace": foreign.pk})
    assert "Foreign" not in owner_client.get("/settings/").content.decode()


@pytest.mark.parametrize("value", ["²", "٣", "1\u0000", "9" * 30, "-1", ""])
def test_switcher_refuses_what_is_not_a_workspace_id(owner_client, owner, workspace, value):
    response = owner_client.post("/workspaces/switch/", {"workspace": value}, follow=True)
    assert response.status_code == 200
    assert "You are not a member of that workspace." in response.content.decode()
    assert owner_client.session.get(SESSION_WORKSPACE_KEY) in (None, workspace.pk)


@pytest.mark.django_db
def test_user_without_workspace_can_create_one():
    client = Client()
    client.force_login(UserFactory())
    assert client.get("/segments/").status_code == 403
    response = client.post("/workspaces/new/", {"name": "My team"})
    assert response.status_code == 302
    assert client.get("/segments/").status_code == 200


def test_workspace_settings_are_saved(owner_client, workspace):
    response = owner_client.post(
        "/settings/",
        {
            "name": "Acme Inc",
            "time_zone": "Europe/Berlin",
            "revenue_event": "Purchase",
            "revenue_property": "total",
            "currency": "EUR",
            "segment_refresh_minutes": "30",
        },
    )
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert (
        workspace.name,
        workspace.time_zone,
        workspace.revenue_event,
        workspace.revenue_property,
        workspace.currency,
        workspace.segment_refresh_minutes,
    ) == ("Acme Inc", "Europe/Berlin", "Purchase", "total", "EUR", 30)


def test_refresh_interval_has_a_floor(owner_client, workspace):
    response = owner_client.post(
        "/settings/", {"name": "Acme", "time_zone": "UTC", "segment_refresh_minutes": "1"}
    )
    assert response.status_code == 400
    assert b"greater than or equal to 5" in response.content


def test_time_zone_is_validated(owner_client, workspace):
    response = owner_client.post(
        "/settings/", {"name": "Acme", "time_zone": "Mars/Base", "segment_refresh_minutes": "60"}
    )
    assert response.status_code == 400
    assert b"not a known IANA time zone" in response.content
    workspace.refresh_from_db()
    assert workspace.time_zone == "UTC"


@pytest.mark.django_db
def test_html_404_outside_the_api():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert b"This page does not exist" in response.content
