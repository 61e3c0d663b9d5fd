"""Member invitations: only the invited email joins; no token passes through the broker."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core import mail
from django.test import Client

from tests.factories import MembershipFactory, UserFactory
from workspaces import services, tasks
from workspaces.models import MemberInvite, Membership, Role


def _invite_link(workspace, email: str, capture) -> str:
    with capture(execute=True):
        services.member_invite(workspace=workspace, email=email, role="viewer", invited_by=None)
    return re.search(r"http://\S+(/join/\S+/)", mail.outbox[-1].body).group(1)


def test_task_arguments_carry_no_token(workspace, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(tasks.send_member_invite, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        invite = services.member_invite(
            workspace=workspace, email="bo@example.com", role="viewer", invited_by=None
        )
    delay.assert_called_once_with(invite_id=invite.pk)


def test_the_emailed_link_is_minted_by_the_task_and_a_resend_replaces_it(
    workspace, django_capture_on_commit_callbacks
):
    first = _invite_link(workspace, "bo@example.com", django_capture_on_commit_callbacks)
    assert Client().get(first).status_code == 200
    invite = MemberInvite.objects.get(email="bo@example.com")
    tasks.send_member_invite(invite_id=invite.pk)
    second = re.search(r"http://\S+(/join/\S+/)", mail.outbox[-1].body).group(1)
    assert second != first
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200


def test_a_closed_invite_sends_nothing(workspace, django_capture_on_commit_callbacks):
    _invite_link(workspace, "bo@example.com", django_capture_on_commit_callbacks)
    invite = MemberInvite.objects.get(email="bo@example.com")
    services.member_invite_revoke(invite=invite)
    tasks.send_member_invite(invite_id=invite.pk)
    assert len(mail.outbox) == 1


def test_another_signed_in_user_is_told_to_sign_out(
    workspace, owner, django_capture_on_commit_callbacks
):
    link = _invite_link(workspace, "bo@example.com", django_capture_on_commit_callbacks)
    intruder = MembershipFactory(role=Role.OWNER).user
    client = Client()
    client.force_login(intruder)

    page = client.get(link)
    assert page.status_code == 403
    html = page.content.decode()
    assert "This invitation is for bo@example.com" in html
    assert "Sign out" in html and 'name="next" value="' + link + '"' in html

    posted = client.post(link)
    assert posted.status_code == 403
    assert not Membership.objects.filter(workspace=workspace, user=intruder).exists()
    assert MemberInvite.objects.get(email="bo@example.com").accepted_at is None


def test_the_invited_user_signed_in_accepts(workspace, django_capture_on_commit_callbacks):
    link = _invite_link(workspace, "Bo@Example.com", django_capture_on_commit_callbacks)
    bo = UserFactory(email="BO@example.com")
    client = Client()
    client.force_login(bo)
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 302
    assert Membership.objects.get(workspace=workspace, user=bo).role == Role.VIEWER


def test_sign_out_from_the_refusal_comes_back_to_the_link(
    workspace, django_capture_on_commit_callbacks
):
    link = _invite_link(workspace, "bo@example.com", django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(MembershipFactory().user)
    response = client.post("/logout/", {"next": link})
    assert response.status_code == 302 and response["Location"] == link
    assert b"Choose a password" in client.get(link).content


def test_the_service_refuses_another_user(workspace, django_capture_on_commit_callbacks):
    link = _invite_link(workspace, "bo@example.com", django_capture_on_commit_callbacks)
    token = link.strip("/").split("/")[-1]
    other = UserFactory(email="eve@example.com")
    with pytest.raises(services.ServiceError, match=r"This invitation is for bo@example\.com"):
        services.member_invite_accept(token=token, user=other)
    assert not Membership.objects.filter(user=other).exists()
