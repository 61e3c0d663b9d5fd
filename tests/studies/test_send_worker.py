"""The send task on a real Celery worker on Redis, queued by a launch through the API."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.utils import timezone

from config.celery import app
from studies.models import Invitation, InvitationStatus
from studies.tasks import expire_invitations
from tests.conftest import bearer_client
from tests.factories import (
    DESIGN_QUESTIONS,
    InvitationFactory,
    PersonFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    StudyFactory,
    WorkspaceFactory,
    make_api_key,
)
from tests.worker import redis_worker


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_the_invitations_after_launch():
    workspace = WorkspaceFactory(name="Acme")
    api = bearer_client(make_api_key(workspace)[1])
    segment = SegmentFactory(workspace=workspace)
    people = PersonFactory.create_batch(3, workspace=workspace)
    for person in people:
        SegmentMembershipFactory(segment=segment, person=person)
    questions = [{"prompt": "Tell us", **q} for q in DESIGN_QUESTIONS]
    study = api.post(
        "/api/v1/studies/",
        {"title": "Why?", "segments": [segment.pk], "questions": questions},
        format="json",
    ).json()

    with redis_worker():
        response = api.post(f"/api/v1/studies/{study['id']}/launch")
        assert response.status_code == 200, response.json()
        assert wait_for(lambda: len(mail.outbox) == 3), "the worker never sent the invitations"
        assert wait_for(
            lambda: not Invitation.objects.exclude(status=InvitationStatus.SENT).exists()
        )
    assert sorted(a for m in mail.outbox for a in m.to) == sorted(p.traits["email"] for p in people)
    assert all(m.subject == "Acme invites you to an interview: Why?" for m in mail.outbox)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_expiry_task_on_a_worker():
    study = StudyFactory()
    stale = InvitationFactory(study=study, expires_at=timezone.now())
    fresh = InvitationFactory(study=study)
    with redis_worker():
        expire_invitations.delay()
        assert wait_for(
            lambda: Invitation.objects.get(pk=stale.pk).status == InvitationStatus.EXPIRED
        )
    assert Invitation.objects.get(pk=fresh.pk).status == InvitationStatus.PENDING


def test_expiry_and_sending_run_on_the_beat_schedule():
    schedule = app.conf.beat_schedule
    assert schedule["studies.expire_invitations"] == {
        "task": "studies.expire_invitations",
        "schedule": 3600,
    }
    assert schedule["studies.send_due"] == {"task": "studies.send_due", "schedule": 600}
    assert {"studies.expire_invitations", "studies.send_due"} <= set(app.tasks)
