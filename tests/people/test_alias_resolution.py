"""After an `alias` (previousId → userId), later calls naming the previousId as their userId
reach the merged person through the alias table instead of re-creating a separate person
(issue #14) — on the ingestion API and on the SDK routes, on the one-statement track path
and on the general path."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from people.models import Event, Person, PersonAlias
from tests.factories import EventFactory, PersonFactory

TS = "2026-11-05T08:00:00Z"


def _auth(prefix: str, raw_key: str) -> str:
    if prefix == "/v1":
        return "Basic " + base64.b64encode(f"{raw_key}:".encode()).decode()
    return f"Bearer {raw_key}"


@pytest.fixture(params=["/api/v1/ingest", "/v1"], ids=["api", "sdk"])
def send(request, ingest_key):
    prefix = request.param

    def send(call: str, body: dict[str, Any]) -> dict[str, Any]:
        response = Client().post(
            f"{prefix}/{call}",
            json.dumps(body),
            content_type="application/json",
            headers={"authorization": _auth(prefix, ingest_key)},
        )
        assert response.status_code == 200, response.content
        return response.json()

    return send


def call(kind: str, message_id: str, user_id: str = "old@x.com") -> dict[str, Any]:
    item: dict[str, Any] = {"userId": user_id, "timestamp": TS, "messageId": message_id}
    extra: dict[str, dict[str, Any]] = {
        "track": {"event": "Report Exported", "properties": {"rows": 3}},
        "identify": {"traits": {"seats": 9}},
        "group": {"groupId": "acme", "traits": {"tier": "gold"}},
        "page": {"name": "Pricing"},
        "screen": {"name": "Home"},
    }
    return {**item, **extra[kind]}


def alias(previous_id: str, user_id: str, message_id: str) -> dict[str, Any]:
    return {
        "previousId": previous_id,
        "userId": user_id,
        "timestamp": "2026-11-03T00:00:00Z",
        "messageId": message_id,
    }


@pytest.fixture
def aliased(workspace, send) -> Person:
    """old@x.com (with an event) aliased into u_1: one person, u_1."""
    old = PersonFactory(workspace=workspace, user_id="old@x.com", traits={"plan": "pro"})
    EventFactory(person=old, message_id="e-old")
    assert send("alias", alias("old@x.com", "u_1", "al-1"))["accepted"] == 1
    return Person.objects.get(workspace=workspace)


@pytest.mark.parametrize("kind", ["track", "identify", "group", "page", "screen"])
def test_a_later_call_under_the_previous_id_reaches_the_merged_person(aliased, send, kind):
    assert aliased.user_id == "u_1"

    response = send(kind, call(kind, "m-1"))

    assert response == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert list(Person.objects.values_list("pk", "user_id")) == [(aliased.pk, "u_1")]
    assert Event.objects.get(message_id="m-1").person_id == aliased.pk
    aliased.refresh_from_db()
    if kind == "identify":
        assert aliased.traits == {"plan": "pro", "seats": 9}
    if kind == "group":
        assert aliased.account is not None and aliased.account.group_id == "acme"


def test_a_batch_of_tracks_under_the_previous_id_reaches_the_merged_person(aliased, send):
    # All tracks with userIds: PostgreSQL stores them with one statement (postgres.py).
    batch = [
        {**call("track", "m-1"), "type": "track"},
        {**call("track", "m-2", user_id="u_1"), "type": "track"},
        {**call("track", "m-3"), "type": "track"},
    ]

    response = send("batch", {"batch": batch})

    assert response == {"accepted": 3, "duplicates": 0, "rejected": []}
    assert list(Person.objects.values_list("pk", flat=True)) == [aliased.pk]
    assert set(aliased.events.values_list("message_id", flat=True)) == {
        "e-old",
        "al-1",
        "m-1",
        "m-2",
        "m-3",
    }


def test_a_mixed_batch_under_the_previous_id_reaches_the_merged_person(aliased, send):
    batch = [{**call(kind, f"m-{kind}"), "type": kind} for kind in ("track", "identify", "page")]

    response = send("batch", {"batch": batch})

    assert response["accepted"] == 3
    assert list(Person.objects.values_list("pk", flat=True)) == [aliased.pk]
    aliased.refresh_from_db()
    assert aliased.traits == {"plan": "pro", "seats": 9}


def test_an_alias_of_an_id_never_seen_routes_its_later_calls(workspace, send):
    send("alias", alias("lead-42", "u_1", "al-1"))

    send("track", call("track", "m-1", user_id="lead-42"))

    person = Person.objects.get(workspace=workspace)
    assert person.user_id == "u_1"
    assert Event.objects.get(message_id="m-1").person_id == person.pk


def test_a_chain_of_aliases_routes_the_first_id_to_the_last_person(workspace, send):
    PersonFactory(workspace=workspace, user_id="a")
    send("alias", alias("a", "b", "al-1"))
    send("alias", alias("b", "c", "al-2"))

    send("track", call("track", "m-1", user_id="a"))
    send("track", call("track", "m-2", user_id="b"))

    person = Person.objects.get(workspace=workspace)
    assert person.user_id == "c"
    assert set(person.events.values_list("message_id", flat=True)) == {
        "al-1",
        "al-2",
        "m-1",
        "m-2",
    }
    assert set(PersonAlias.objects.values_list("anonymous_id", flat=True)) == {"a", "b"}


def test_an_anonymous_id_is_not_taken_for_a_user_id(workspace, send):
    # anonymousIds and userIds are different names for a person until an alias or an
    # identify joins them: an anonymous device's id used as a userId is a new person.
    send("track", {**call("track", "m-1"), "userId": None, "anonymousId": "dev-1"})

    send("track", call("track", "m-2", user_id="dev-1"))

    people = Person.objects.order_by("id")
    assert list(people.values_list("user_id", flat=True)) == [None, "dev-1"]
    assert Event.objects.get(message_id="m-2").person_id == people[1].pk
