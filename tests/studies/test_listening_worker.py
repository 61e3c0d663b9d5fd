"""Continuous listening end to end on a real Celery worker on Redis: events are ingested,
the segment refresh recomputes, and the new entrant of a live continuous study is
invited and sent an email; a paused study waits, and its resume catches up."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from segments import refresh
from segments import services as segment_services
from segments.models import JobStatus, SegmentComputeJob
from studies import services
from studies.models import Invitation, InvitationSource, InvitationStatus, StudyMode
from tests.conftest import bearer_client
from tests.factories import (
    DESIGN_QUESTIONS,
    EventFactory,
    PersonFactory,
    WorkspaceFactory,
    make_api_key,
)
from tests.worker import redis_worker
from workspaces.models import KeyScope


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def listening_study(monkeypatch):
    """A live continuous study at a rule segment ("viewed pricing") with one member,
    and a client holding the workspace's ingest key. Refreshes wait one second."""
    monkeypatch.setattr(refresh, "DEBOUNCE", timedelta(seconds=1))
    workspace = WorkspaceFactory(name="Acme")
    founder = PersonFactory(workspace=workspace, user_id="founder")
    segment = segment_services.segment_create(
        workspace=workspace,
        name="Viewed pricing",
        kind="rule",
        definition={"event": "Pricing Page Viewed"},
    )
    EventFactory(person=founder, timestamp=timezone.now())
    segment_services.segment_compute(segment=segment)
    assert segment.size == 1
    study = services.study_create(
        workspace=workspace,
        title="Why pricing?",
        segments=[segment.pk],
        mode=StudyMode.CONTINUOUS,
        questions=[{**q, "prompt": q.get("prompt", "Tell us")} for q in DESIGN_QUESTIONS],
    )
    services.study_launch(study=study)
    assert Invitation.objects.get(study=study).person_id == founder.pk
    return study, segment, bearer_client(make_api_key(workspace, KeyScope.INGEST)[1])


def track(client, user_id: str, message_id: str) -> None:
    event = {
        "type": "track",
        "userId": user_id,
        "event": "Pricing Page Viewed",
        "timestamp": timezone.now().isoformat(),
        "messageId": message_id,
    }
    identify = {
        "type": "identify",
        "userId": user_id,
        "traits": {"email": f"{user_id}@example.com"},
        "messageId": f"{message_id}-id",
    }
    response = client.post("/api/v1/ingest/batch", {"batch": [identify, event]}, format="json")
    assert response.status_code == 200 and response.json()["accepted"] == 2, response.json()


def listened(study, user_id: str) -> Invitation | None:
    return (
        Invitation.objects.filter(study=study, person__user_id=user_id)
        .select_related("person")
        .first()
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_new_entrant_is_invited_within_one_refresh(listening_study):
    study, segment, ingest = listening_study
    mail.outbox.clear()

    with redis_worker():
        track(ingest, "newcomer", "m-1")
        assert wait_for(
            lambda: (
                (i := listened(study, "newcomer")) is not None and i.status == InvitationStatus.SENT
            )
        ), "the worker never invited the new entrant"

    invitation = listened(study, "newcomer")
    assert (invitation.source, invitation.segment_id) == (InvitationSource.LISTENING, segment.pk)
    assert ["newcomer@example.com"] in [m.to for m in mail.outbox]
    assert Invitation.objects.filter(study=study).count() == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_paused_study_waits_and_its_resume_catches_up(listening_study):
    study, segment, ingest = listening_study
    services.study_pause(study=study)
    mail.outbox.clear()

    with redis_worker():
        track(ingest, "while-paused", "m-1")
        assert wait_for(
            lambda: SegmentComputeJob.objects.filter(
                segment=segment, status=JobStatus.DONE, entered=1
            ).exists()
        ), "the refresh never ran"
        assert listened(study, "while-paused") is None

        services.study_resume(study=study)
        assert wait_for(
            lambda: (
                (i := listened(study, "while-paused")) is not None
                and i.status == InvitationStatus.SENT
            )
        ), "the resume did not invite who entered while paused"

    assert listened(study, "while-paused").source == InvitationSource.LISTENING
    assert ["while-paused@example.com"] in [m.to for m in mail.outbox]
