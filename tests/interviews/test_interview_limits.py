"""Abuse and faults: concurrent answers to one step store one (PostgreSQL, real threads),
rate limits per token and per address answer 429 with Retry-After."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from rest_framework.test import APIClient

from interviews import ratelimit
from interviews.models import Answer, Step
from tests.interviews.conftest import answer_url, launched_study, post_answer, url

WHY = (
    "Because my team grew to 12 people and the free plan limits us to 3 seats, "
    "so I compared Pro with Acme's pricing last week."
)


@pytest.fixture(autouse=True)
def _mid_window(monkeypatch):
    """The limits count in one-minute windows: these tests run in the middle of one, so a
    minute boundary between two requests cannot reset the count."""
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_answers_to_one_step_store_exactly_one(workspace):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    study = launched_study(
        workspace,
        questions=[
            {"key": "why", "type": "open_ended", "probe": {"max_followups": 0}},
            {"key": "team", "type": "yes_no"},
        ],
    )
    token = study.invitations.get().token
    step = APIClient().get(url(token)).json()["step"]["id"]
    barrier = threading.Barrier(6)
    statuses: list[int] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        try:
            client = APIClient()
            barrier.wait()
            response = client.post(
                answer_url(token), {"step": step, "value": f"{WHY} ({n})"}, format="json"
            )
            with lock:
                statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 409, 409, 409, 409, 409]
    assert Answer.objects.filter(step_id=step).count() == 1
    # One next step, not one per request.
    assert Step.objects.filter(question_key="team").count() == 1


@pytest.mark.django_db
def test_too_many_requests_for_one_link_is_a_429_with_retry_after(study, settings):
    settings.MOTIVE_INTERVIEW_RATE_PER_TOKEN = 3
    token = study.invitations.get().token
    client = APIClient()
    answers_before = Answer.objects.count()

    responses = [client.get(url(token)) for _ in range(3)]
    step = responses[0].json()["step"]["id"]
    limited = post_answer(client, token, step, WHY)

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) == 30  # the rest of the window
    assert limited.json()["detail"]["code"] == "rate_limited"
    assert limited.json()["detail"]["retry_after"] == int(limited["Retry-After"])
    assert Answer.objects.count() == answers_before
    # Another link is not limited by this one's count.
    other = launched_study(study.workspace, title="Other").invitations.get().token
    assert client.get(url(other)).status_code == 200


@pytest.mark.django_db
def test_too_many_requests_from_one_address_is_a_429(workspace, settings):
    settings.MOTIVE_INTERVIEW_RATE_PER_IP = 2
    tokens = [launched_study(workspace, title=f"S{n}").invitations.get().token for n in range(3)]
    client = APIClient(REMOTE_ADDR="203.0.113.9")

    codes = [client.get(url(token)).status_code for token in tokens]
    elsewhere = APIClient(REMOTE_ADDR="203.0.113.10").get(url(tokens[2]))

    assert codes == [200, 200, 429]
    assert elsewhere.status_code == 200


@pytest.mark.django_db
def test_the_page_is_rate_limited_too(study, settings):
    settings.MOTIVE_INTERVIEW_RATE_PER_TOKEN = 1
    token = study.invitations.get().token
    browser = Client()

    browser.get(f"/i/{token}/")
    response = browser.get(f"/i/{token}/")

    assert response.status_code == 429
    assert response["Retry-After"]
    assert "Please wait a moment" in response.content.decode()


@pytest.mark.django_db
def test_a_zero_limit_turns_it_off(study, settings):
    settings.MOTIVE_INTERVIEW_RATE_PER_TOKEN = 0
    settings.MOTIVE_INTERVIEW_RATE_PER_IP = 0
    token = study.invitations.get().token
    client = APIClient()

    assert {client.get(url(token)).status_code for _ in range(30)} == {200}
