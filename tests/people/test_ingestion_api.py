"""POST /api/v1/ingest/*: Segment-spec ingestion, bad input, de-duplication, merges, limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from people.ingestion.validation import MAX_ITEM_BYTES
from people.models import Account, Event, Person, PersonAlias
from tests.conftest import bearer_client
from tests.factories import EventFactory, PersonFactory, WorkspaceFactory, make_api_key
from workspaces.models import KeyScope

BATCH = "/api/v1/ingest/batch"


def track(message_id: str, user_id: str = "u_1", **extra):
    item = {
        "type": "track",
        "userId": user_id,
        "event": "Pricing Page Viewed",
        "properties": {"amount": 49.0},
        "timestamp": "2026-11-02T08:00:00Z",
        "messageId": message_id,
    }
    item.update(extra)
    return item


def identify(message_id: str, user_id: str | None = "u_1", traits=None, ts="2026-11-01T10:00:00Z"):
    item = {"type": "identify", "traits": traits or {}, "timestamp": ts, "messageId": message_id}
    if user_id is not None:
        item["userId"] = user_id
    return item


def counts() -> tuple[int, int, int, int]:
    return (
        Event.objects.count(),
        Person.objects.count(),
        PersonAlias.objects.count(),
        Account.objects.count(),
    )


@pytest.fixture
def client(ingest_key):
    return bearer_client(ingest_key)


def post_batch(client, batch, **extra):
    return client.post(BATCH, {"batch": batch, **extra}, format="json")


def test_batch_stores_identify_and_track(client, workspace):
    response = post_batch(
        client,
        [
            identify("m-1", traits={"email": "a@x.com", "plan": "pro"}),
            track("m-2"),
        ],
    )
    assert response.status_code == 200
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    person = Person.objects.get(workspace=workspace, user_id="u_1")
    assert person.traits == {"email": "a@x.com", "plan": "pro"}
    assert person.first_seen == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert person.last_seen == datetime(2026, 11, 2, 8, tzinfo=UTC)
    event = Event.objects.get(message_id="m-2")
    assert (event.person_id, event.name, event.properties) == (
        person.pk,
        "Pricing Page Viewed",
        {"amount": 49.0},
    )
    assert event.timestamp == datetime(2026, 11, 2, 8, tzinfo=UTC)
    assert Event.objects.get(message_id="m-1").name == "$identify"


def test_track_creates_unknown_people(client, workspace):
    response = post_batch(client, [track("a", "u_1"), track("b", "u_2"), track("c", "u_2")])
    assert response.json()["accepted"] == 3
    assert set(Person.objects.values_list("user_id", flat=True)) == {"u_1", "u_2"}
    assert Person.objects.get(user_id="u_2").events.count() == 2


def test_message_id_repeats_within_a_batch_are_stored_once(client):
    response = post_batch(client, [track("m-1"), track("m-1"), track("m-2"), track("m-1")])
    assert response.json() == {"accepted": 2, "duplicates": 2, "rejected": []}
    assert Event.objects.filter(message_id="m-1").count() == 1
    assert Event.objects.count() == 2


def test_message_id_repeats_across_batches_are_duplicates(client):
    post_batch(client, [track("m-1"), identify("m-2", traits={"plan": "pro"})])
    before = counts()
    response = post_batch(
        client, [track("m-1"), identify("m-2", traits={"plan": "pro"}), track("m-3")]
    )
    assert response.json() == {"accepted": 1, "duplicates": 2, "rejected": []}
    assert counts() == (before[0] + 1, *before[1:])


def check_resent_track_batch(client) -> None:
    """A batch repeating a stored messageId stores the rest and counts the repeat once."""
    first = post_batch(client, [track("m-1"), track("m-2", "u_2")])
    assert first.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    before = counts()
    again = post_batch(client, [track("m-3", "u_3"), track("m-2", "u_2"), track("m-4", "u_4")])
    assert again.json() == {"accepted": 2, "duplicates": 1, "rejected": []}
    assert counts() == (before[0] + 2, before[1] + 2, *before[2:])
    assert sorted(Event.objects.values_list("message_id", flat=True)) == [
        "m-1",
        "m-2",
        "m-3",
        "m-4",
    ]


def test_a_track_batch_repeating_a_stored_message_id_stores_the_rest(client):
    check_resent_track_batch(client)


def test_duplicate_identify_does_not_reapply_traits(client):
    post_batch(client, [identify("m-1", traits={"plan": "pro"}, ts="2026-11-01T10:00:00Z")])
    post_batch(client, [identify("m-2", traits={"plan": "free"}, ts="2026-11-02T10:00:00Z")])
    response = post_batch(
        client, [identify("m-1", traits={"plan": "pro"}, ts="2026-11-03T10:00:00Z")]
    )
    assert response.json()["duplicates"] == 1
    assert Person.objects.get(user_id="u_1").traits == {"plan": "free"}


def test_same_message_id_in_another_workspace_is_not_a_duplicate(client, workspace):
    other = WorkspaceFactory()
    EventFactory(person=PersonFactory(workspace=other), message_id="m-1")
    assert post_batch(client, [track("m-1")]).json()["accepted"] == 1
    assert Event.objects.get(workspace=workspace).message_id == "m-1"


def test_message_id_is_generated_when_absent(client):
    item = track("x")
    del item["messageId"]
    response = post_batch(client, [item, dict(item)])
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert len(set(Event.objects.values_list("message_id", flat=True))) == 2


def test_traits_merge_last_write_wins_per_key_by_timestamp(client):
    post_batch(
        client,
        [identify("m-1", traits={"plan": "pro", "seats": 3}, ts="2026-11-05T00:00:00Z")],
    )
    # Arrives later but happened earlier: loses on plan, adds the new key.
    post_batch(
        client,
        [identify("m-2", traits={"plan": "free", "email": "a@x.com"}, ts="2026-11-01T00:00:00Z")],
    )
    # Happened later: wins on seats.
    post_batch(client, [identify("m-3", traits={"seats": 5}, ts="2026-11-06T00:00:00Z")])
    person = Person.objects.get(user_id="u_1")
    assert person.traits == {"plan": "pro", "seats": 5, "email": "a@x.com"}
    assert person.trait_times["plan"] == "2026-11-05T00:00:00.000000Z"
    assert person.trait_times["seats"] == "2026-11-06T00:00:00.000000Z"


def test_traits_in_one_batch_apply_in_time_order_not_arrival_order(client):
    post_batch(
        client,
        [
            identify("m-1", traits={"plan": "enterprise"}, ts="2026-11-03T00:00:00Z"),
            identify("m-2", traits={"plan": "free"}, ts="2026-11-01T00:00:00Z"),
        ],
    )
    assert Person.objects.get(user_id="u_1").traits == {"plan": "enterprise"}


def group(message_id: str, group_id: str, ts: str, **traits):
    return {
        "type": "group",
        "userId": "u_1",
        "groupId": group_id,
        "traits": traits,
        "timestamp": ts,
        "messageId": message_id,
    }


def test_group_calls_in_one_batch_apply_in_time_order_not_arrival_order(client, workspace):
    # Arrival order: newest first, oldest last. The person ends in the newer call's account,
    # and an account's traits keep the newer call's values.
    response = post_batch(
        client,
        [
            group("g-1", "beta", "2026-11-03T00:00:00Z", employees=80),
            group("g-2", "beta", "2026-11-02T00:00:00Z", employees=50, name="Beta"),
            group("g-3", "alpha", "2026-11-01T00:00:00Z", employees=10),
        ],
    )

    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    beta = Account.objects.get(workspace=workspace, group_id="beta")
    assert Person.objects.get(user_id="u_1").account_id == beta.pk
    assert beta.traits == {"employees": 80, "name": "Beta"}
    assert Account.objects.get(workspace=workspace, group_id="alpha").traits == {"employees": 10}


def test_anonymous_events_merge_into_the_identified_person(client, workspace):
    post_batch(
        client,
        [
            {**track("a-1", None), "anonymousId": "anon-1", "userId": None},
            {
                "type": "identify",
                "anonymousId": "anon-1",
                "traits": {"referrer": "ad"},
                "timestamp": "2026-10-30T00:00:00Z",
                "messageId": "a-2",
            },
        ],
    )
    anonymous = Person.objects.get(workspace=workspace, user_id=None)
    assert anonymous.traits == {"referrer": "ad"}
    post_batch(client, [{**identify("i-1", traits={"plan": "pro"}), "anonymousId": "anon-1"}])
    person = Person.objects.get(workspace=workspace)  # the anonymous one is gone
    assert person.user_id == "u_1"
    assert person.traits == {"referrer": "ad", "plan": "pro"}
    assert set(person.events.values_list("message_id", flat=True)) == {"a-1", "a-2", "i-1"}
    assert PersonAlias.objects.get(anonymous_id="anon-1").person_id == person.pk
    assert person.first_seen == datetime(2026, 10, 30, tzinfo=UTC)
    # Later anonymous-only events land on the identified person.
    post_batch(client, [{**track("a-3", None), "anonymousId": "anon-1", "userId": None}])
    assert Event.objects.get(message_id="a-3").person_id == person.pk
    assert Person.objects.count() == 1


def test_anonymous_and_identify_in_the_same_batch(client, workspace):
    response = post_batch(
        client,
        [
            {**track("a-1", None), "anonymousId": "anon-9", "userId": None},
            {**identify("i-1", traits={"plan": "pro"}), "anonymousId": "anon-9"},
        ],
    )
    assert response.json()["accepted"] == 2
    person = Person.objects.get(workspace=workspace)
    assert person.user_id == "u_1"
    assert person.events.count() == 2


def test_anonymous_id_of_another_identified_user_is_not_merged(client, workspace):
    post_batch(client, [{**identify("i-1", "u_1"), "anonymousId": "device-1"}])
    post_batch(client, [{**identify("i-2", "u_2"), "anonymousId": "device-1"}])
    assert Person.objects.filter(workspace=workspace).count() == 2
    assert PersonAlias.objects.get(anonymous_id="device-1").person.user_id == "u_1"
    assert Event.objects.get(message_id="i-2").person.user_id == "u_2"


def test_sent_at_corrects_client_clock_skew(client):
    received = timezone.now()
    # The device clock runs two hours behind: it says it sent at received - 2h.
    sent = received - timedelta(hours=2)
    happened = sent - timedelta(minutes=5)
    item = track("m-1", timestamp=happened.isoformat(), sentAt=sent.isoformat())
    assert post_batch(client, [item]).json()["accepted"] == 1
    stored = Event.objects.get(message_id="m-1").timestamp
    expected = received - timedelta(minutes=5)
    assert abs(stored - expected) < timedelta(seconds=5)


def test_batch_level_sent_at_applies_to_items(client):
    now = timezone.now()
    item = track("m-1", timestamp="2001-01-01T00:00:00Z")
    response = post_batch(client, [item], sentAt="2001-01-01T00:05:00Z")
    assert response.json()["accepted"] == 1
    stored = Event.objects.get(message_id="m-1").timestamp
    assert abs(stored - (now - timedelta(minutes=5))) < timedelta(seconds=5)


def test_group_attaches_person_to_account_and_merges_traits(client, workspace):
    group = {
        "type": "group",
        "userId": "u_1",
        "groupId": "acme",
        "traits": {"name": "Acme", "employees": 50},
        "timestamp": "2026-11-01T00:00:00Z",
        "messageId": "g-1",
    }
    assert post_batch(client, [group]).json()["accepted"] == 1
    later = {**group, "messageId": "g-2", "traits": {"employees": 80}}
    later["timestamp"] = "2026-11-02T00:00:00Z"
    response = client.post("/api/v1/ingest/group", later, format="json")
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    account = Account.objects.get(workspace=workspace, group_id="acme")
    assert account.traits == {"name": "Acme", "employees": 80}
    assert Person.objects.get(user_id="u_1").account_id == account.pk
    assert Event.objects.get(message_id="g-1").properties == {
        "groupId": "acme",
        "traits": {"name": "Acme", "employees": 50},
    }


def test_single_item_endpoints(client, workspace):
    response = client.post("/api/v1/ingest/track", track("t-1"), format="json")
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    response = client.post("/api/v1/ingest/track", track("t-1"), format="json")
    assert response.json() == {"accepted": 0, "duplicates": 1, "rejected": []}
    response = client.post(
        "/api/v1/ingest/identify", {"userId": "u_1", "traits": {"plan": "pro"}}, format="json"
    )
    assert response.status_code == 200
    assert Person.objects.get(user_id="u_1").traits == {"plan": "pro"}


def test_single_item_endpoint_rejects_an_invalid_item_with_400(client):
    response = client.post("/api/v1/ingest/track", {"userId": "u_1"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == (
        "event is required for track and must be a non-empty string."
    )
    assert Event.objects.count() == 0


DEEP: dict = {}
_node = DEEP
for _ in range(10):
    _node["a"] = {}
    _node = _node["a"]


@pytest.mark.parametrize(
    "item,error",
    [
        ("not an object", "Each item must be a JSON object."),
        (
            {**track("x"), "type": "pageview"},
            'Unknown type "pageview"; use track, identify, group, page, screen or alias.',
        ),
        (
            {**track("x"), "type": None},
            'Unknown type "NoneType"; use track, identify, group, page, screen or alias.',
        ),
        ({**track("x"), "userId": None}, "userId or anonymousId is required."),
        ({**track("x"), "userId": ""}, "userId or anonymousId is required."),
        ({**track("x"), "userId": {"a": 1}}, "userId must be a string."),
        ({**track("x"), "userId": "u" * 256}, "userId is longer than 255 characters."),
        (
            {**track("x"), "event": None},
            "event is required for track and must be a non-empty string.",
        ),
        (
            {**track("x"), "event": 42},
            "event is required for track and must be a non-empty string.",
        ),
        ({**track("x"), "event": "e" * 201}, "event is longer than 200 characters."),
        (
            {**track("x"), "event": "$identify"},
            'event "$identify" is reserved; use identify, group or alias.',
        ),
        (
            {**track("x"), "timestamp": "yesterday"},
            'timestamp "yesterday" is not ISO 8601, e.g. 2026-11-01T10:00:00Z.',
        ),
        (
            {**track("x"), "timestamp": 1700000000},
            "timestamp must be an ISO 8601 string, e.g. 2026-11-01T10:00:00Z.",
        ),
        (
            {**track("x"), "timestamp": "1900-01-01T00:00:00Z"},
            "timestamp is before 1970-01-01; send the real event time.",
        ),
        (
            {**track("x"), "timestamp": "2999-01-01T00:00:00Z"},
            "timestamp is more than a day in the future.",
        ),
        (
            {**track("x"), "sentAt": "soon"},
            'sentAt "soon" is not ISO 8601, e.g. 2026-11-01T10:00:00Z.',
        ),
        ({**track("x"), "properties": [1, 2]}, "properties must be a JSON object."),
        ({**track("x"), "properties": "a=1"}, "properties must be a JSON object."),
        ({**identify("x"), "traits": 5}, "traits must be a JSON object."),
        ({**track("x"), "properties": DEEP}, "properties is nested deeper than 8 levels."),
        (
            {**track("x"), "properties": {"note": "a\u0000b"}},
            "properties has a value with a NUL character or invalid Unicode.",
        ),
        (
            {**track("x"), "properties": {"a\u0000": 1}},
            "properties has a key with a NUL character or invalid Unicode.",
        ),
        (
            {**track("x"), "properties": {"list": [["deep", "x\u0000"]]}},
            "properties has a value with a NUL character or invalid Unicode.",
        ),
        (
            {**track("x"), "event": "Viewed\u0000"},
            "event contains a NUL character or invalid Unicode.",
        ),
        (
            {**track("x"), "userId": "u\u0000"},
            "userId contains a NUL character or invalid Unicode.",
        ),
        (
            {**track("x"), "messageId": "m\u0000"},
            "messageId contains a NUL character or invalid Unicode.",
        ),
        ({"type": "group", "userId": "u_1"}, "groupId is required for group."),
    ],
)
def test_bad_items_are_rejected_with_a_reason_and_nothing_stored(client, item, error):
    before = counts()
    response = post_batch(client, [item])
    assert response.status_code == 200
    assert response.json() == {
        "accepted": 0,
        "duplicates": 0,
        "rejected": [{"index": 0, "error": error}],
    }
    assert counts() == before


class _Props(dict):
    """Items built in Python (demo data, importers) may hold subclasses of the JSON types."""


class _Number(float):
    pass


class _Text(str):
    pass


@pytest.mark.parametrize(
    ("properties", "error"),
    [
        ({"nested": _Props({"n": _Number("inf")})}, "properties has a number out of range."),
        ({"n": _Number("nan")}, "properties has a number out of range."),
        (
            {"s": _Text("a\u0000")},
            "properties has a value with a NUL character or invalid Unicode.",
        ),
        (_Props({"deep": DEEP}), "properties is nested deeper than 8 levels."),
    ],
)
def test_items_built_in_python_are_checked_whatever_their_types(workspace, properties, error):
    from people.ingestion import ingest_items

    result = ingest_items(workspace=workspace, items=[{**track("x"), "properties": properties}])
    assert (result.accepted, result.rejected) == (0, [(0, error)])
    assert Event.objects.count() == 0


@pytest.mark.parametrize(
    "raw,error",
    [
        (
            '{"batch": [{"type": "track", "userId": "u", "event": "e", '
            '"properties": {"s": "\\ud800"}}]}',
            "properties has a value with a NUL character or invalid Unicode.",
        ),
        (
            '{"batch": [{"type": "track", "userId": "u", "event": "e", '
            '"properties": {"n": 1e400}}]}',
            "properties has a number out of range.",
        ),
    ],
)
def test_raw_json_the_database_would_refuse_is_rejected_per_item(client, raw, error):
    response = client.post(BATCH, raw, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["rejected"] == [{"index": 0, "error": error}]
    assert Event.objects.count() == 0


def test_a_batch_mixing_good_and_bad_items_stores_the_good_ones(client):
    response = post_batch(
        client,
        [
            track("m-1"),
            {"type": "track"},
            track("m-2", timestamp="1900-01-01T00:00:00Z"),
            track("m-3"),
        ],
    )
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (2, 0)
    assert [r["index"] for r in body["rejected"]] == [1, 2]
    assert set(Event.objects.values_list("message_id", flat=True)) == {"m-1", "m-3"}


@pytest.mark.parametrize(
    "body,message",
    [
        ("{not json", "Malformed JSON body"),
        ('{"batch": [NaN]}', "Malformed JSON body"),
        (b"\xff\xfe", "Malformed JSON body"),
        ("", "Malformed JSON body"),
        # Without their escapes NUL and lone surrogates cannot reach a string
        # (which is why a body without the escapes skips the per-string scan).
        (b'{"batch": [{"type": "track", "userId": "u\x00", "event": "E"}]}', "Malformed JSON"),
        (b'{"batch": [{"type": "track", "userId": "\xed\xa0\x80", "event": "E"}]}', "Malformed"),
    ],
)
def test_non_json_body_is_400(client, body, message):
    response = client.post(BATCH, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert counts() == (0, 0, 0, 0)


@pytest.mark.parametrize("body", [[], {"events": []}, {"batch": {"type": "track"}}, "text", 5])
def test_wrong_top_level_shape_is_400(client, body):
    response = client.post(BATCH, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == 'batch: Send a JSON object {"batch": [item, ...]}.'
    assert counts() == (0, 0, 0, 0)


def test_empty_batch_is_fine(client):
    assert post_batch(client, []).json() == {"accepted": 0, "duplicates": 0, "rejected": []}


def test_batch_over_500_kb_is_413_and_nothing_stored(client):
    batch = [track(f"m-{i}", properties={"pad": "x" * 1000}) for i in range(520)]
    response = post_batch(client, batch)
    assert response.status_code == 413
    assert response.json()["detail"] == {"code": "payload_too_large"}
    assert "500 KB" in response.json()["error"]
    assert counts() == (0, 0, 0, 0)


def test_item_over_32_kb_is_413_and_nothing_stored(client):
    batch = [track("m-1"), track("m-2", properties={"pad": "x" * 33_000})]
    response = post_batch(client, batch)
    assert response.status_code == 413
    assert response.json()["error"].startswith("Item 1 is ")
    assert counts() == (0, 0, 0, 0)


def test_single_item_over_32_kb_is_413(client):
    response = client.post(
        "/api/v1/ingest/track", track("m-1", properties={"pad": "x" * 33_000}), format="json"
    )
    assert response.status_code == 413
    assert counts() == (0, 0, 0, 0)


def item_of_size(message_id: str, size: int) -> dict:
    """A track call whose compact JSON is exactly `size` bytes (the pad is ASCII)."""
    item = track(message_id, properties={"pad": ""})
    item["properties"]["pad"] = "x" * (size - len(compact(item)))
    assert len(compact(item)) == size
    return item


def compact(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize("size,status", [(MAX_ITEM_BYTES, 200), (MAX_ITEM_BYTES + 1, 413)])
def test_an_item_of_exactly_32_kb_is_accepted_and_one_byte_more_refused(client, size, status):
    batch = compact({"batch": [track("m-0"), item_of_size("m-1", size)]})
    single = compact(item_of_size("m-2", size))

    in_batch = client.post(BATCH, batch, content_type="application/json")
    alone = client.post("/api/v1/ingest/track", single, content_type="application/json")

    assert (in_batch.status_code, alone.status_code) == (status, status)
    stored = set(Event.objects.values_list("message_id", flat=True))
    assert stored == ({"m-0", "m-1", "m-2"} if status == 200 else set())


def test_declared_content_length_over_the_limit_is_413_before_reading(client):
    response = client.post(BATCH, "{}", content_type="application/json", CONTENT_LENGTH="600000")
    assert response.status_code == 413


def test_a_batch_near_the_limit_is_accepted(client):
    batch = [track(f"m-{i}", properties={"pad": "x" * 1000}) for i in range(400)]
    response = post_batch(client, batch)
    assert response.json()["accepted"] == 400


@pytest.mark.django_db
def test_bad_key_is_401():
    response = bearer_client("mk_nope").post(BATCH, {"batch": []}, format="json")
    assert response.status_code == 401
    assert response.json()["error"] == "Unknown API key."


@pytest.mark.django_db
def test_no_key_is_401():
    from rest_framework.test import APIClient

    response = APIClient().post(BATCH, {"batch": [track("m-1")]}, format="json")
    assert response.status_code == 401
    assert Event.objects.count() == 0


def test_ingest_key_of_another_workspace_writes_only_there(client, workspace):
    other = WorkspaceFactory()
    _, other_key = make_api_key(other, KeyScope.INGEST)
    PersonFactory(workspace=workspace, user_id="u_1", traits={"plan": "pro"})
    response = post_batch(
        bearer_client(other_key), [identify("m-1", traits={"plan": "hacked"}), track("m-2")]
    )
    assert response.json()["accepted"] == 2
    assert Person.objects.get(workspace=workspace, user_id="u_1").traits == {"plan": "pro"}
    assert not Event.objects.filter(workspace=workspace).exists()
    assert Event.objects.filter(workspace=other).count() == 2


def test_full_key_may_ingest(api):
    assert post_batch(api, [track("m-1")]).json()["accepted"] == 1


def test_ingest_key_is_refused_elsewhere(ingest_key):
    response = bearer_client(ingest_key).get("/api/v1/workspace/")
    assert response.status_code == 403


def test_get_is_405(client):
    assert client.get(BATCH).status_code == 405


def test_first_and_last_seen_only_widen(client):
    post_batch(client, [track("m-1", timestamp="2026-11-05T00:00:00Z")])
    post_batch(client, [track("m-2", timestamp="2026-11-03T00:00:00Z")])
    post_batch(client, [track("m-3", timestamp="2026-11-04T00:00:00Z")])
    person = Person.objects.get(user_id="u_1")
    assert person.first_seen == datetime(2026, 11, 3, tzinfo=UTC)
    assert person.last_seen == datetime(2026, 11, 5, tzinfo=UTC)


def test_numeric_user_id_is_stored_as_a_string(client):
    assert post_batch(client, [track("m-1", 12345)]).json()["accepted"] == 1
    assert Person.objects.get().user_id == "12345"


def test_query_count_does_not_grow_with_the_batch(client, django_assert_max_num_queries):
    post_batch(client, [track("warm", "u_0")])
    batch = [track(f"m-{i}", f"u_{i % 40}") for i in range(300)]
    with django_assert_max_num_queries(12):
        response = post_batch(client, batch)
    assert response.json()["accepted"] == 300


def test_last_seen_is_the_latest_event_time_to_the_second(client):
    post_batch(client, [track("m-1", timestamp="2026-11-05T00:00:00Z")])
    post_batch(client, [track("m-2", timestamp="2026-11-05T00:00:45Z")])
    person = Person.objects.get(user_id="u_1")
    assert person.last_seen == datetime(2026, 11, 5, 0, 0, 45, tzinfo=UTC)
    # Sent again (a retried batch or import): nothing moves.
    post_batch(client, [track("m-2", timestamp="2026-11-05T00:00:45Z")])
    person.refresh_from_db()
    assert person.last_seen == datetime(2026, 11, 5, 0, 0, 45, tzinfo=UTC)
    assert Event.objects.count() == 2


def test_a_batch_inside_the_seen_range_does_not_rewrite_the_person(client):
    post_batch(
        client,
        [
            track("m-1", timestamp="2026-11-01T00:00:00Z"),
            track("m-2", timestamp="2026-11-09T00:00:00Z"),
        ],
    )
    before = _row_version("u_1")
    response = post_batch(client, [track("m-3", timestamp="2026-11-04T00:00:00Z")])
    assert response.json()["accepted"] == 1
    assert _row_version("u_1") == before
    person = Person.objects.get(user_id="u_1")
    assert (person.first_seen, person.last_seen) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 9, tzinfo=UTC),
    )


def test_a_batch_widens_the_seen_range_of_people_it_finds_in_the_same_write(client):
    post_batch(client, [track("m-1", timestamp="2026-11-05T00:00:00Z"), track("m-2", "u_2")])
    before = _row_version("u_2")
    post_batch(client, [track("m-3", timestamp="2026-11-01T00:00:00Z")])
    post_batch(
        client,
        [
            track("m-4", timestamp="2026-11-09T00:00:00Z"),
            track("m-5", timestamp="2026-11-02T00:00:00Z"),
        ],
    )
    person = Person.objects.get(user_id="u_1")
    assert (person.first_seen, person.last_seen) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 9, tzinfo=UTC),
    )
    assert _row_version("u_2") == before


def _person_updates() -> tuple[int, int]:
    """Rows of segments_person updated in this transaction, and how many of them heap-only."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated('segments_person'::regclass), "
            "pg_stat_get_xact_tuples_hot_updated('segments_person'::regclass)"
        )
        return cursor.fetchone()


def test_widening_a_seen_range_is_a_heap_only_update(client):
    """No index holds first_seen or last_seen and pages keep room, so the row rewrite
    of every batch that moves a range adds no index entry (migration 0005)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("heap-only updates are PostgreSQL's")
    post_batch(client, [track("m-1", timestamp="2026-11-05T00:00:00Z")])
    updated, heap_only = _person_updates()
    post_batch(client, [track("m-2", timestamp="2026-11-09T00:00:00Z")])
    assert _person_updates() == (updated + 1, heap_only + 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'segments_person'")
        assert cursor.fetchone()[0] == ["fillfactor=80"]
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'segments_person'")
        definitions = [row[0] for row in cursor.fetchall()]
    assert definitions and not [d for d in definitions if "seen" in d], definitions


def _row_version(user_id: str) -> object:
    """PostgreSQL: the tuple's ctid changes on any UPDATE; SQLite: the row as a whole."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT ctid::text FROM segments_person WHERE user_id = %s", [user_id])
        else:
            cursor.execute("SELECT * FROM segments_person WHERE user_id = %s", [user_id])
        return cursor.fetchone()


def test_a_mixed_batch_widens_seen_and_merges_traits(client):
    post_batch(client, [track("m-1", timestamp="2026-11-05T00:00:00Z")])
    response = post_batch(
        client,
        [
            track("m-2", timestamp="2026-11-01T00:00:00Z"),
            identify("m-3", traits={"plan": "pro"}, ts="2026-11-07T00:00:00Z"),
            track("m-4", "u_2", timestamp="2026-11-02T00:00:00Z"),
        ],
    )
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    person = Person.objects.get(user_id="u_1")
    assert person.traits == {"plan": "pro"}
    assert (person.first_seen, person.last_seen) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 7, tzinfo=UTC),
    )
    assert Person.objects.get(user_id="u_2").events.count() == 1


def test_a_new_workspace_finds_its_people_by_the_unique_index(workspace):
    """PostgreSQL: statistics gathered before a workspace existed say it has no people.

    With Django's index on person.workspace_id the planner then found each userId
    through that index, filtering every person of the workspace (5.8 ms per userId
    at 20,000 people; benchmarks/RESULTS.md). Without it the unique index is the choice.
    """
    from django.db import connection

    from people.ingestion.postgres import TRACK_STATEMENT, _cursor

    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    newcomer = WorkspaceFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO segments_person (workspace_id, user_id, traits, trait_times, "
            "first_seen, last_seen) SELECT %s, 'u_' || g, '{}', '{}', now(), now() "
            "FROM generate_series(1, 20000) AS g",
            [workspace.pk],
        )
        cursor.execute("ANALYZE segments_person")
    rows = json.dumps(
        [
            {
                "user_id": "u_1",
                "name": "E",
                "properties": {},
                "timestamp": "2026-11-01T00:00:00Z",
                "message_id": "m-1",
            }
        ]
    )
    with _cursor() as cursor:
        cursor.execute(
            "EXPLAIN " + TRACK_STATEMENT,
            {"ws": newcomer.pk, "rows": rows, "received": timezone.now()},
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "uniq_person_user_id" in plan, plan


def test_deleting_a_workspace_deletes_its_events(client, workspace):
    other = WorkspaceFactory()
    kept = EventFactory(person=PersonFactory(workspace=other), workspace=other)
    assert post_batch(client, [track("m-1"), track("m-2", "u_2")]).json()["accepted"] == 2
    workspace.delete()
    assert list(Event.objects.values_list("id", flat=True)) == [kept.id]
    assert Person.objects.filter(workspace_id=workspace.pk).count() == 0


def test_ids_and_event_names_compare_byte_for_byte(db):
    """people.fields.IdentifierField: the "C" collation on PostgreSQL, untouched on SQLite."""
    from django.db import connection

    columns = {
        ("segments_account", "group_id"),
        ("segments_event", "message_id"),
        ("segments_event", "name"),
        ("segments_person", "user_id"),
        ("segments_personalias", "anonymous_id"),
    }
    if connection.vendor != "postgresql":
        assert Event._meta.get_field("name").db_parameters(connection)["collation"] is None
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_name LIKE 'segments\\_%%' AND collation_name = 'C'"
        )
        assert set(cursor.fetchall()) == columns


def test_numbers_json_allows_are_stored_exactly(client):
    """The fast JSON parser would round integers beyond 64 bits; they must come back exact."""
    big = 123456789012345678901234567890
    properties = {"big": big, "negative": -(2**70), "small": 7, "price": 49.99}
    response = post_batch(client, [track("m-1", properties=properties)])
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert Event.objects.get().properties == properties


@pytest.mark.parametrize("call", ["batch", "track", "identify", "group", "page", "screen", "alias"])
def test_every_call_is_one_plain_django_view_under_both_prefixes(call):
    """One ingestion path: the same Django view (no DRF) at /api/v1/ingest/ and /v1/."""
    from django.urls import resolve

    from people.api import IngestView

    views = [resolve(url).func for url in (f"/api/v1/ingest/{call}", f"/v1/{call}", f"/v1/{call}/")]
    assert {view.view_class for view in views} == {IngestView}
    assert {view.view_initkwargs["kind"] for view in views} == {None if call == "batch" else call}


@pytest.mark.parametrize("digits", ["9" * 18, "9" * 19, "12345678901234567890"])
def test_long_integers_anywhere_in_the_batch_keep_their_value(client, digits):
    """18 digits fit orjson's 64 bits; from 19 on the standard library parses the body."""
    value = int(digits)
    response = post_batch(client, [track("m-1", properties={"n": value, "s": digits})])
    assert response.json()["accepted"] == 1
    assert Event.objects.get().properties == {"n": value, "s": digits}


def test_events_reference_their_person_and_workspace_through_constraints(client, workspace):
    """PostgreSQL: an event's (workspace, person) is one constraint; deleting a person cascades."""
    from django.db import IntegrityError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the database-level cascade is PostgreSQL's (SQLite: Django cascades)")
    post_batch(client, [track("m-1"), track("m-2", "u_2")])
    gone = Person.objects.get(user_id="u_1")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM segments_person WHERE id = %s", [gone.pk])
    assert list(Event.objects.values_list("message_id", flat=True)) == ["m-2"]
    kept = Event.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE segments_event SET person_id = %s", [gone.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE segments_event SET workspace_id = -1")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # An event cannot join one workspace's person to another workspace.
    other = WorkspaceFactory()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE segments_event SET workspace_id = %s", [other.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    kept.refresh_from_db()
    assert (kept.person.user_id, kept.workspace_id) == ("u_2", workspace.pk)
