"""The trait write-back on a real Celery worker on Redis, queued by the completing answer."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from people.models import Event, Person
from tests.factories import WorkspaceFactory
from tests.interviews.conftest import launched_study, post_answer, url
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
def test_a_worker_writes_the_traits_after_the_interview_completes():
    workspace = WorkspaceFactory(name="Acme")
    study = launched_study(
        workspace,
        questions=[
            {"key": "nps", "type": "scale", "min": 0, "max": 10},
            {"key": "team", "type": "yes_no"},
        ],
    )
    invitation = study.invitations.get()
    respondent = APIClient()

    with redis_worker():
        body = respondent.get(url(invitation.token)).json()
        body = post_answer(respondent, invitation.token, body["step"]["id"], 8).json()
        done = post_answer(respondent, invitation.token, body["step"]["id"], True).json()
        assert done["status"] == "completed"

        def written() -> bool:
            traits = Person.objects.get(pk=invitation.person_id).traits
            return traits.get(f"motive.{study.key}.team") is True

        assert wait_for(written)

    traits = Person.objects.get(pk=invitation.person_id).traits
    assert traits[f"motive.{study.key}.nps"] == 8
    assert Event.objects.filter(person_id=invitation.person_id, name="$identify").count() == 1
