"""Segment's HTTP tracking API as SDKs send it: /v1 routes, Basic and writeKey auth, gzip,
chunked bodies, page/screen/alias, context — through the test client."""

from __future__ import annotations

import base64
import gzip
import io
import json
import zlib
from datetime import UTC, datetime

import pytest
from django.test import Client

from people import hooks
from people.ingestion.validation import MAX_BATCH_BYTES
from people.models import Account, Event, Person, PersonAlias
from segments.models import SegmentMembership
from tests.factories import (
    EventFactory,
    PersonAliasFactory,
    PersonFactory,
    SegmentMembershipFactory,
    make_api_key,
)
from workspaces import services
from workspaces.models import KeyScope

TS = "2026-11-02T08:00:00Z"
CONTEXT = {
    "library": {"name": "analytics-python", "version": "2.4.0"},
    "ip": "203.0.113.7",
    "userAgent": "Mozilla/5.0",
    "locale": "de-DE",
    "timezone": "Europe/Berlin",
}


def track(message_id: str, user_id: str = "u_1", **extra) -> dict:
    item = {
        "type": "track",
        "userId": user_id,
        "event": "Signed Up",
        "timestamp": TS,
        "messageId": message_id,
    }
    return {**item, **extra}


def counts() -> tuple[int, int, int, int]:
    return (
        Event.objects.count(),
        Person.objects.count(),
        PersonAlias.objects.count(),
        Account.objects.count(),
    )


def basic(raw_key: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{raw_key}:{password}".encode()).decode()


def post(url: str, body: bytes | dict, **headers) -> object:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Client().post(url, data, content_type="application/json", headers=headers)


def gzipped(value: object) -> bytes:
    return gzip.compress(json.dumps(value).encode())


# --- routes and credentials ---


@pytest.mark.parametrize("url", ["/v1/batch", "/v1/batch/", "/api/v1/ingest/batch/"])
def test_sdk_routes_and_trailing_slashes_serve_the_batch(ingest_key, url):
    response = post(url, {"batch": [track("m-1")]}, authorization=f"Bearer {ingest_key}")
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert list(Event.objects.values_list("message_id", flat=True)) == ["m-1"]


@pytest.mark.parametrize("scope", [KeyScope.INGEST, KeyScope.FULL])
def test_basic_auth_with_the_key_as_user_name(workspace, scope):
    _, raw = make_api_key(workspace, scope)
    response = post("/v1/batch", {"batch": [track("m-1")]}, authorization=basic(raw))
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert Event.objects.get().workspace_id == workspace.pk


@pytest.mark.parametrize("url", ["/v1/batch", "/v1/track"])
def test_write_key_in_the_body(workspace, ingest_key, url):
    body = {"batch": [track("m-1")]} if url.endswith("batch") else track("m-1")
    response = post(url, {**body, "writeKey": ingest_key})
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    event = Event.objects.get()
    assert (event.workspace_id, event.name, event.properties) == (workspace.pk, "Signed Up", {})


def test_a_revoked_write_key_is_401_and_stores_nothing(workspace):
    key, raw = make_api_key(workspace, KeyScope.INGEST)
    services.api_key_revoke(key=key)
    response = post("/v1/batch", {"batch": [track("m-1")], "writeKey": raw})
    assert response.status_code == 401
    assert response.json() == {
        "error": "This API key has been revoked.",
        "detail": {"code": "authentication_failed"},
        "code": "authentication_failed",
        "message": "This API key has been revoked.",
    }
    assert counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "authorization,error",
    [
        (basic("mk_unknown"), "Unknown API key."),
        ("Basic !!!", "Malformed Basic credentials; send base64 of `<api key>:`."),
        ("Basic " + base64.b64encode(b"no-colon").decode(), "Send the API key as the Basic "
         "user name, with an empty password."),
        ("Token abc", "Malformed Authorization header; send `Authorization: Bearer <api key>` "
         "or HTTP Basic with the key as user name."),
    ],
)  # fmt: skip
@pytest.mark.django_db
def test_bad_credentials_are_401_with_code_and_message(authorization, error):
    response = post("/v1/batch", {"batch": [track("m-1")]}, authorization=authorization)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "error": error,
        "detail": {"code": "authentication_failed"},
        "code": "authentication_failed",
        "message": error,
    }
    assert counts() == (0, 0, 0, 0)


def test_a_password_besides_the_key_is_401(ingest_key):
    response = post("/v1/batch", {"batch": [track("m-1")]}, authorization=basic(ingest_key, "x"))
    assert response.status_code == 401
    assert counts() == (0, 0, 0, 0)


def test_a_bad_header_wins_over_a_good_write_key(ingest_key):
    body = {"batch": [track("m-1")], "writeKey": ingest_key}
    response = post("/v1/batch", body, authorization="Bearer mk_unknown")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert counts() == (0, 0, 0, 0)


@pytest.mark.django_db
def test_no_credentials_is_401_not_authenticated():
    response = post("/v1/batch", {"batch": [track("m-1")]})
    assert response.status_code == 401
    body = response.json()
    assert (body["code"], body["detail"]) == ("not_authenticated", {"code": "not_authenticated"})
    assert body["message"] == body["error"]
    assert "writeKey" in body["error"]
    assert counts() == (0, 0, 0, 0)


def test_other_methods_are_405_in_json(ingest_key):
    response = Client().get("/v1/batch", headers={"authorization": f"Bearer {ingest_key}"})
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    assert response.json()["code"] == "method_not_allowed"


def test_errors_carry_code_and_message_for_sdks(ingest_key):
    response = post("/v1/batch", b"{nope", authorization=f"Bearer {ingest_key}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert body["message"] == body["error"]
    assert body["error"].startswith("Malformed JSON body")


# --- bodies: gzip and chunked ---


def test_a_gzip_body_is_stored(ingest_key):
    body = gzipped({"batch": [track("m-1"), track("m-2")]})
    response = post(
        "/v1/batch", body, authorization=f"Bearer {ingest_key}", content_encoding="gzip"
    )
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert Event.objects.count() == 2


def test_concatenated_gzip_members_are_one_body(ingest_key):
    raw = json.dumps({"batch": [track("m-1")]}).encode()
    body = gzip.compress(raw[:10]) + gzip.compress(raw[10:])
    response = post(
        "/v1/batch", body, authorization=f"Bearer {ingest_key}", content_encoding="gzip"
    )
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}


@pytest.mark.parametrize(
    "body",
    [
        b"not gzip at all",
        gzip.compress(b'{"batch": []}', mtime=0)[:-6],
        gzip.compress(b'{"batch": []}', mtime=0) + b"junk",
        b"",
    ],
    ids=["not-gzip", "cut-short", "trailing-junk", "empty"],
)
def test_a_corrupt_gzip_body_is_400(ingest_key, body):
    response = post(
        "/v1/batch", body, authorization=f"Bearer {ingest_key}", content_encoding="gzip"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["error"].startswith("The gzip body is corrupt")
    assert counts() == (0, 0, 0, 0)


def test_a_gzip_bomb_is_413_while_decompressing(ingest_key, monkeypatch):
    """64 MB of zeros in 64 KB: refused after inflating at most the limit and one byte."""
    from people import payloads

    bomb = gzip.compress(b"0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100 * 1024
    produced: list[int] = []
    real = zlib.decompressobj

    class Spy:
        def __init__(self, inflater):
            self.inflater = inflater

        def decompress(self, data, max_length=0):
            out = self.inflater.decompress(data, max_length)
            produced.append(len(out))
            return out

        def __getattr__(self, name):
            return getattr(self.inflater, name)

    monkeypatch.setattr(payloads.zlib, "decompressobj", lambda wbits: Spy(real(wbits)))
    response = post(
        "/v1/batch", bomb, authorization=f"Bearer {ingest_key}", content_encoding="gzip"
    )
    assert response.status_code == 413
    assert response.json()["error"] == "The batch is over the 500 KB limit once decompressed."
    assert sum(produced) == MAX_BATCH_BYTES + 1
    assert counts() == (0, 0, 0, 0)


def test_the_item_limit_applies_to_the_decompressed_single_call(ingest_key):
    body = gzipped(track("m-1", properties={"pad": "x" * 33_000}))
    response = post(
        "/v1/track", body, authorization=f"Bearer {ingest_key}", content_encoding="gzip"
    )
    assert response.status_code == 413
    assert response.json()["error"] == "The item is over the 32 KB limit once decompressed."
    assert counts() == (0, 0, 0, 0)


def test_another_content_encoding_is_415(ingest_key):
    body = zlib.compress(json.dumps({"batch": [track("m-1")]}).encode())
    response = post("/v1/batch", body, authorization=f"Bearer {ingest_key}", content_encoding="br")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_encoding"
    assert counts() == (0, 0, 0, 0)


def _chunked(url: str, body: bytes, authorization: str) -> object:
    """A request whose server ends the input at the body's end, with no Content-Length."""
    return Client().generic(
        "POST",
        url,
        b"",
        content_type="application/json",
        headers={"authorization": authorization},
        CONTENT_LENGTH="",
        **{"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True},
    )


def test_a_body_without_content_length_is_read_whole(ingest_key):
    body = json.dumps(
        {"batch": [track(f"m-{i}", properties={"pad": "x" * 900}) for i in range(100)]}
    )
    assert len(body) > 64 * 1024  # more than one read
    response = _chunked("/v1/batch", body.encode(), f"Bearer {ingest_key}")
    assert response.json() == {"accepted": 100, "duplicates": 0, "rejected": []}


def test_a_body_without_content_length_is_still_bounded(ingest_key):
    body = json.dumps(
        {"batch": [track(f"m-{i}", properties={"pad": "x" * 1000}) for i in range(520)]}
    )
    response = _chunked("/v1/batch", body.encode(), f"Bearer {ingest_key}")
    assert response.status_code == 413
    assert response.json()["error"] == "The batch is over the 500 KB limit."
    assert counts() == (0, 0, 0, 0)


# --- page, screen, context ---


@pytest.mark.parametrize(("call", "name"), [("page", "Page Viewed"), ("screen", "Screen Viewed")])
def test_page_and_screen_are_viewed_events_with_name_and_category(ingest_key, call, name):
    item = {
        "userId": "u_1",
        "name": "Pricing",
        "category": "Docs",
        "properties": {"url": "https://x.test/pricing"},
        "context": CONTEXT,
        "timestamp": TS,
        "messageId": "p-1",
    }
    response = post(f"/v1/{call}", item, authorization=basic(ingest_key))
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    event = Event.objects.get()
    assert (event.name, event.person.user_id) == (name, "u_1")
    assert event.properties == {
        "url": "https://x.test/pricing",
        "name": "Pricing",
        "category": "Docs",
        "$context": CONTEXT,
    }


def test_page_and_screen_in_a_batch_without_name_or_category(ingest_key):
    batch = [
        {"type": "page", "anonymousId": "a-1", "messageId": "p-1", "timestamp": TS},
        {"type": "screen", "userId": "u_1", "messageId": "s-1", "properties": {"n": 1}},
    ]
    response = post("/v1/batch", {"batch": batch}, authorization=basic(ingest_key))
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert dict(Event.objects.values_list("name", "properties")) == {
        "Page Viewed": {},
        "Screen Viewed": {"n": 1},
    }


@pytest.mark.parametrize(
    "item,error",
    [
        ({"type": "page", "userId": "u", "name": 5}, "name must be a string."),
        ({"type": "screen", "userId": "u", "category": ["a"]}, "category must be a string."),
        ({"type": "page", "userId": "u", "context": "web"}, "context must be a JSON object."),
        ({"type": "alias", "userId": "u"}, "userId and previousId are required for alias."),
        ({"type": "alias", "anonymousId": "a", "previousId": "p"}, "userId and previousId are "
         "required for alias."),
        ({**track("x"), "event": "$alias"}, 'event "$alias" is reserved; use identify, group '
         "or alias."),
    ],
)  # fmt: skip
def test_bad_sdk_items_are_rejected_with_a_reason(ingest_key, item, error):
    response = post("/v1/batch", {"batch": [item]}, authorization=basic(ingest_key))
    assert response.json() == {
        "accepted": 0,
        "duplicates": 0,
        "rejected": [{"index": 0, "error": error}],
    }
    assert counts() == (0, 0, 0, 0)


def test_context_is_kept_with_every_kind_of_event_and_never_in_traits(ingest_key):
    batch = [
        track("t-1", context=CONTEXT, properties={"plan": "pro"}),
        {"type": "identify", "userId": "u_1", "traits": {"plan": "pro"}, "context": CONTEXT,
         "messageId": "i-1", "timestamp": TS},
        {"type": "group", "userId": "u_1", "groupId": "acme", "traits": {"size": 5},
         "context": CONTEXT, "messageId": "g-1", "timestamp": TS},
    ]  # fmt: skip
    response = post("/v1/batch", {"batch": batch}, authorization=basic(ingest_key))
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    stored = dict(Event.objects.values_list("message_id", "properties"))
    assert stored == {
        "t-1": {"plan": "pro", "$context": CONTEXT},
        "i-1": {"plan": "pro", "$context": CONTEXT},
        "g-1": {"groupId": "acme", "traits": {"size": 5}, "$context": CONTEXT},
    }
    assert Person.objects.get().traits == {"plan": "pro"}
    assert Account.objects.get().traits == {"size": 5}


# --- alias ---


def alias(previous_id: str, user_id: str = "u_1", message_id: str = "al-1", **extra) -> dict:
    item = {"userId": user_id, "previousId": previous_id, "messageId": message_id}
    return {**item, "timestamp": "2026-11-03T00:00:00Z", **extra}


def test_alias_merges_an_anonymous_person_into_the_user(workspace, ingest_key):
    anonymous = PersonFactory(
        workspace=workspace, user_id=None, traits={"referrer": "ad", "plan": "free"},
        first_seen=datetime(2026, 10, 1, tzinfo=UTC), last_seen=datetime(2026, 10, 2, tzinfo=UTC),
    )  # fmt: skip
    PersonAliasFactory(person=anonymous, anonymous_id="anon-1")
    PersonAliasFactory(person=anonymous, anonymous_id="anon-2")
    EventFactory(person=anonymous, message_id="e-1")
    user = PersonFactory(workspace=workspace, user_id="u_1", traits={"plan": "pro"})
    user.trait_times = {"plan": "2026-11-01T00:00:00.000000Z"}
    user.save()
    merged: list[tuple[int, list[int]]] = []

    def receiver(*, target_id, source_ids, **_):
        merged.append((target_id, source_ids))

    hooks.people_merged.connect(receiver, dispatch_uid="test-alias")
    try:
        response = post(
            "/v1/alias", alias("anon-1", context=CONTEXT), authorization=basic(ingest_key)
        )
    finally:
        hooks.people_merged.disconnect(dispatch_uid="test-alias")
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert merged == [(user.pk, [anonymous.pk])]
    assert not Person.objects.filter(pk=anonymous.pk).exists()
    user.refresh_from_db()
    # The user's plan was written later than the anonymous one's (which has no time).
    assert user.traits == {"plan": "pro", "referrer": "ad"}
    assert user.first_seen == datetime(2026, 10, 1, tzinfo=UTC)
    assert set(user.events.values_list("message_id", flat=True)) == {"e-1", "al-1"}
    assert set(PersonAlias.objects.values_list("anonymous_id", "person_id")) == {
        ("anon-1", user.pk),
        ("anon-2", user.pk),
    }
    event = Event.objects.get(message_id="al-1")
    assert (event.name, event.properties) == (
        "$alias",
        {"previousId": "anon-1", "$context": CONTEXT},
    )


def test_alias_merges_a_person_named_by_its_user_id(workspace, ingest_key):
    old = PersonFactory(workspace=workspace, user_id="old@x.com", traits={"seats": 3})
    PersonAliasFactory(person=old, anonymous_id="device-1")
    EventFactory(person=old, message_id="e-1")
    membership = SegmentMembershipFactory(person=old, segment__workspace=workspace)
    response = post("/v1/alias", alias("old@x.com"), authorization=basic(ingest_key))
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    user = Person.objects.get(workspace=workspace)
    assert user.user_id == "u_1"
    assert user.traits == {"seats": 3}
    assert set(user.events.values_list("message_id", flat=True)) == {"e-1", "al-1"}
    assert set(PersonAlias.objects.values_list("anonymous_id", "person_id")) == {
        ("device-1", user.pk),
        ("old@x.com", user.pk),
    }
    # segments heard of it (people.hooks.people_merged) and dropped the old rows.
    assert not SegmentMembership.objects.filter(pk=membership.pk).exists()
    # Later anonymous calls under the previous id land on the user.
    post(
        "/v1/track",
        {**track("t-1", None), "anonymousId": "old@x.com"},
        authorization=basic(ingest_key),
    )
    assert Event.objects.get(message_id="t-1").person_id == user.pk


def test_alias_of_an_unknown_previous_id_links_it_for_later_calls(workspace, ingest_key):
    response = post("/v1/alias", alias("anon-9"), authorization=basic(ingest_key))
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    user = Person.objects.get()
    assert (user.user_id, list(user.aliases.values_list("anonymous_id", flat=True))) == (
        "u_1",
        ["anon-9"],
    )
    post(
        "/v1/track",
        {**track("t-1", None), "anonymousId": "anon-9"},
        authorization=basic(ingest_key),
    )
    assert Event.objects.get(message_id="t-1").person_id == user.pk
    assert Person.objects.count() == 1


def test_alias_in_a_batch_with_the_anonymous_events(ingest_key):
    batch = [
        {**track("t-1", None), "anonymousId": "anon-1"},
        {**alias("anon-1"), "type": "alias"},
        {"type": "identify", "userId": "u_1", "traits": {"plan": "pro"}, "messageId": "i-1"},
    ]
    response = post("/v1/batch", {"batch": batch}, authorization=basic(ingest_key))
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    person = Person.objects.get()
    assert (person.user_id, person.traits) == ("u_1", {"plan": "pro"})
    assert set(person.events.values_list("message_id", flat=True)) == {"t-1", "al-1", "i-1"}


def test_a_chain_of_aliases_in_one_batch_ends_on_the_last_user(workspace, ingest_key):
    PersonFactory(workspace=workspace, user_id="a", traits={})
    batch = [
        {**alias("b", user_id="c", message_id="al-2"), "type": "alias",
         "timestamp": "2026-11-04T00:00:00Z"},
        {**alias("a", user_id="b", message_id="al-1"), "type": "alias"},
    ]  # fmt: skip
    response = post("/v1/batch", {"batch": batch}, authorization=basic(ingest_key))
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    person = Person.objects.get(workspace=workspace)
    assert person.user_id == "c"
    assert set(person.events.values_list("message_id", flat=True)) == {"al-1", "al-2"}


def test_a_repeated_alias_is_a_duplicate_and_changes_nothing(workspace, ingest_key):
    anonymous = PersonFactory(workspace=workspace, user_id=None, traits={})
    PersonAliasFactory(person=anonymous, anonymous_id="anon-1")
    assert (
        post("/v1/alias", alias("anon-1"), authorization=basic(ingest_key)).json()["accepted"] == 1
    )
    before = (counts(), list(PersonAlias.objects.values_list("anonymous_id", "person_id")))
    response = post("/v1/alias", alias("anon-1"), authorization=basic(ingest_key))
    assert response.json() == {"accepted": 0, "duplicates": 1, "rejected": []}
    assert (counts(), list(PersonAlias.objects.values_list("anonymous_id", "person_id"))) == before


def test_alias_to_oneself_merges_nothing(workspace, ingest_key):
    PersonFactory(workspace=workspace, user_id="u_1")
    response = post("/v1/alias", alias("u_1"), authorization=basic(ingest_key))
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert (Person.objects.count(), PersonAlias.objects.count()) == (1, 0)


def test_identify_takes_traits_from_the_context_too_and_the_root_wins(ingest_key):
    item = {
        "userId": "u_1",
        "traits": {"plan": "pro"},
        "context": {"traits": {"plan": "free", "email": "a@x.com"}},
        "messageId": "i-1",
    }
    response = post("/v1/identify", item, authorization=basic(ingest_key))
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert Person.objects.get().traits == {"plan": "pro", "email": "a@x.com"}


def test_a_batch_context_applies_to_its_items_and_an_items_own_keys_win(ingest_key):
    batch = [
        track("t-1"),
        track("t-2", context={"locale": "fr-FR", "page": {"path": "/pricing"}}),
        {"type": "identify", "userId": "u_2", "traits": {"plan": "pro"}, "messageId": "i-1"},
    ]
    body = {"batch": batch, "context": CONTEXT}
    response = post("/v1/batch", body, authorization=basic(ingest_key))
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    stored = dict(Event.objects.values_list("message_id", "properties"))
    assert stored["t-1"] == {"$context": CONTEXT}
    assert stored["t-2"] == {
        "$context": {**CONTEXT, "locale": "fr-FR", "page": {"path": "/pricing"}}
    }
    assert stored["i-1"] == {"plan": "pro", "$context": CONTEXT}


def test_a_batch_context_that_is_not_an_object_is_ignored_and_a_bad_item_context_refused(
    ingest_key,
):
    batch = [track("t-1"), track("t-2", context="mobile")]
    body = {"batch": batch, "context": ["not", "an", "object"]}
    response = post("/v1/batch", body, authorization=basic(ingest_key))
    assert response.json() == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": [{"index": 1, "error": "context must be a JSON object."}],
    }


# --- browsers: CORS on the ingestion routes only ---


@pytest.mark.parametrize("url", ["/v1/batch", "/v1/track", "/v1/page", "/api/v1/ingest/batch"])
def test_ingestion_routes_answer_a_browser_preflight_from_any_origin(url):
    response = Client().options(
        url,
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, content-encoding",
        },
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "content-encoding"} <= allowed
    assert "Access-Control-Allow-Credentials" not in response


def test_a_cross_origin_post_is_stored_and_readable_by_the_page(ingest_key):
    response = post(
        "/v1/track", track("t-1"), authorization=basic(ingest_key), origin="https://shop.example"
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert Event.objects.filter(message_id="t-1").exists()


def test_other_routes_give_other_origins_no_cors_headers(full_key):
    response = Client().get(
        "/api/v1/segments/",
        headers={"Origin": "https://shop.example", "Authorization": f"Bearer {full_key}"},
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    preflight = Client().options(
        "/api/v1/segments/",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "DELETE"},
    )
    assert "Access-Control-Allow-Origin" not in preflight
