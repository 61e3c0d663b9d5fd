"""Tenancy tasks, run by a real Celery worker on Redis."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import MembershipFactory, WorkspaceFactory
from tests.worker import redis_worker
from workspaces import services
from workspaces.models import MemberInvite, Role
from workspaces.tasks import expire_member_invites


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_invite_email_is_sent_by_a_worker_after_commit():
    workspace = WorkspaceFactory(name="Acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    with redis_worker():
        services.member_invite(
            workspace=workspace, email="Bo@Example.com", role="researcher", invited_by=owner
        )
        assert wait_for(lambda: len(mail.outbox) == 1), "the worker never sent the invitation"
    message = mail.outbox[0]
    assert message.to == ["bo@example.com"]
    assert message.subject == "You are invited to Acme on Motive"
    assert "/join/" in message.body


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_expiry_task_on_a_worker_closes_only_stale_invites():
    workspace = WorkspaceFactory()
    stale = services.member_invite(
        workspace=workspace, email="old@x.com", role="viewer", invited_by=None
    )
    fresh = services.member_invite(
        workspace=workspace, email="new@x.com", role="viewer", invited_by=None
    )
    MemberInvite.objects.filter(pk=stale.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with redis_worker():
        expire_member_invites.delay()
        assert wait_for(
            lambda: MemberInvite.objects.filter(pk=stale.pk, revoked_at__isnull=False).exists()
        )
    assert MemberInvite.objects.get(pk=fresh.pk).revoked_at is None
    # The email can be invited again now that the stale invite is closed.
    again = services.member_invite(
        workspace=workspace, email="old@x.com", role="viewer", invited_by=None
    )
    assert again.pk != stale.pk
