"""Hostile input to the segments API and pages: a 400 naming the field, never a 500.

PostgreSQL refuses NUL in text and jsonb, and UTF-8 cannot carry a lone surrogate;
dates near year 1 or 9999 overflow once a window is subtracted; JSON nested thousands
of levels deep exhausts Python's recursion. Each case also asserts nothing was stored.
"""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from people.models import Person
from segments.inbound import sign
from segments.models import InboundDelivery, Segment, SegmentMembership
from tests.factories import EventFactory, PersonFactory, SegmentFactory

NUL = "u\u0000x"
SURROGATE = "u\ud800x"
NUL_PROBLEM = 'contains a NUL character (\\u0000), which cannot be stored: "u\\u0000x"'
SURROGATE_PROBLEM = (
    'contains a lone surrogate (\\ud800), which is not valid Unicode text: "u\\ud800x"'
)
TRAIT = {"trait": "plan", "op": "eq", "value": "pro"}
EVENT = {"event": "Order Completed", "within_days": 30}


def rule_with(**changes):
    return {"all": [TRAIT | changes.get("trait", {}), EVENT | changes.get("event", {})]}


# (kind, definition, the message naming the offending part)
NUL_DEFINITIONS = [
    ("rule", rule_with(trait={"value": NUL}), f"all[0].value: {NUL_PROBLEM}"),
    ("rule", rule_with(trait={"op": "in", "value": ["a", NUL]}), f"all[0].value[1]: {NUL_PROBLEM}"),
    ("rule", rule_with(trait={"trait": NUL}), f"all[0].trait: {NUL_PROBLEM}"),
    ("rule", rule_with(event={"event": NUL}), f"all[1].event: {NUL_PROBLEM}"),
    (
        "rule",
        rule_with(event={"where": [{"property": "plan", "op": "eq", "value": NUL}]}),
        f"all[1].where[0].value: {NUL_PROBLEM}",
    ),
    ("rule", {"all": [TRAIT, {NUL: 1}]}, f"all[1]: a key {NUL_PROBLEM}"),
    ("static", {"user_ids": ["a", NUL]}, f"definition.user_ids[1]: {NUL_PROBLEM}"),
    ("rfm", {"event": NUL}, f"definition.event: {NUL_PROBLEM}"),
    (
        "rfm",
        {"event": "Order", "monetary_property": NUL},
        f"definition.monetary_property: {NUL_PROBLEM}",
    ),
    ("external", {"source": NUL}, f"definition.source: {NUL_PROBLEM}"),
    (
        "cluster",
        {"features": [{"event": "Logged In"}, {"event": NUL}]},
        f"definition.features[1].event: {NUL_PROBLEM}",
    ),
]


def post_json(api, url: str, body: object):
    # json.dumps escapes a lone surrogate as \ud800; the test client would refuse to encode it.
    return api.post(url, json.dumps(body), content_type="application/json")


def expected_error(message: str) -> dict:
    return {"error": message, "detail": {"definition": [message]}}


@pytest.mark.parametrize("kind,definition,message", NUL_DEFINITIONS)
def test_create_refuses_text_a_database_cannot_store(api, workspace, kind, definition, message):
    body = {"name": "Hostile", "kind": kind, "definition": definition}
    response = post_json(api, "/api/v1/segments/", body)
    assert (response.status_code, response.json()) == (400, expected_error(message))
    assert not Segment.objects.filter(workspace=workspace).exists()


@pytest.mark.parametrize(
    "kind,definition,message", [case for case in NUL_DEFINITIONS if case[0] != "external"]
)
def test_preview_refuses_text_a_database_cannot_store(api, kind, definition, message):
    body = {"kind": kind, "definition": definition}
    response = post_json(api, "/api/v1/segments/preview", body)
    assert (response.status_code, response.json()) == (400, expected_error(message))


@pytest.mark.parametrize("url", ["/api/v1/segments/", "/api/v1/segments/preview"])
def test_a_lone_surrogate_is_refused_by_the_parser_with_its_path(api, workspace, url):
    body = {"name": "Hostile", "kind": "rule", "definition": rule_with(trait={"value": SURROGATE})}
    response = post_json(api, url, body)
    message = f"JSON parse error - definition.all[0].value: {SURROGATE_PROBLEM}"
    assert response.status_code == 400
    assert response.json() == {"error": message, "detail": {"code": "parse_error"}}
    assert not Segment.objects.filter(workspace=workspace).exists()


def test_update_refuses_a_nul_and_keeps_the_old_definition(api, workspace):
    segment = SegmentFactory(workspace=workspace, definition=TRAIT)
    response = api.patch(
        f"/api/v1/segments/{segment.pk}/",
        {"definition": rule_with(trait={"value": NUL})},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"] == f"all[0].value: {NUL_PROBLEM}"
    segment.refresh_from_db()
    assert segment.definition == TRAIT


@pytest.mark.parametrize("field", ["add", "remove"])
def test_member_push_refuses_nul_ids(api, workspace, field):
    segment = SegmentFactory(workspace=workspace, kind="external", definition={})
    response = api.post(
        f"/api/v1/segments/{segment.pk}/members", {field: ["a", NUL]}, format="json"
    )
    assert response.status_code == 400
    assert not Person.objects.filter(workspace=workspace).exists()


AS_OF_MESSAGE = "as_of: must be between 1970-01-01T00:00:00Z and 2999-12-31T23:59:59Z."


@pytest.mark.parametrize(
    "as_of", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"]
)
@pytest.mark.parametrize(
    "kind,definition",
    [
        ("rule", {"event": "Order Completed", "within_days": 30}),
        ("rule", {"event": "Order Completed", "agg": "days_since_last", "value": {"lt": 3}}),
        ("rfm", {"event": "Order Completed"}),
        ("static", {"user_ids": ["a"]}),
    ],
)
def test_preview_refuses_an_as_of_out_of_range(api, workspace, as_of, kind, definition):
    EventFactory(workspace=workspace, name="Order Completed")
    body = {"kind": kind, "definition": definition, "as_of": as_of}
    response = api.post("/api/v1/segments/preview", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": AS_OF_MESSAGE, "detail": {"as_of": [AS_OF_MESSAGE]}}


@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
@pytest.mark.parametrize(
    "kind,definition",
    [
        ("rule", {"event": "Order Completed", "within_days": 30}),
        ("rfm", {"event": "Order Completed"}),
        ("cluster", {"features": [{"event": "Order Completed", "within_days": 30}]}),
    ],
)
def test_compute_refuses_an_as_of_out_of_range(api, workspace, as_of, kind, definition):
    EventFactory(workspace=workspace, name="Order Completed")
    segment = SegmentFactory(workspace=workspace, kind=kind, definition=definition)
    response = api.post(f"/api/v1/segments/{segment.pk}/compute", {"as_of": as_of}, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": AS_OF_MESSAGE, "detail": {"as_of": [AS_OF_MESSAGE]}}
    assert not SegmentMembership.objects.filter(segment=segment).exists()


def test_the_edges_of_the_as_of_range_compute(api, workspace):
    segment = SegmentFactory(workspace=workspace, definition={"event": "X", "within_days": 36_500})
    for as_of in ("1970-01-01T00:00:00Z", "2999-12-31T23:59:59Z"):
        response = api.post(
            f"/api/v1/segments/{segment.pk}/compute", {"as_of": as_of}, format="json"
        )
        assert response.status_code == 200, response.json()


def test_deeply_nested_json_is_a_400(api, workspace):
    body = "[" * 10_000 + "]" * 10_000
    response = api.post("/api/v1/segments/preview", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("JSON parse error")


# --- the signed inbound webhook ------------------------------------------------------


@pytest.fixture
def external(workspace):
    return SegmentFactory(
        workspace=workspace, kind="external", definition={}, webhook_secret="whsec_test"
    )


def deliver(client, segment, body: bytes, query: str = ""):
    now = int(time.time())
    return client.post(
        reverse("segment-webhook", kwargs={"pk": segment.pk}) + query,
        body,
        content_type="application/json",
        HTTP_X_MOTIVE_TIMESTAMP=str(now),
        HTTP_X_MOTIVE_SIGNATURE=sign(secret=segment.webhook_secret, timestamp=now, body=body),
    )


@pytest.mark.parametrize(
    "payload,query",
    [
        ({"add": ["a", NUL]}, ""),
        ({"remove": [NUL]}, ""),
        ({"properties": {"user_id": {"value": NUL}}}, ""),
        ([{"user_id": "a"}, {"user_id": NUL}], "?action=remove"),
    ],
)
def test_webhook_refuses_nul_ids_and_records_nothing(client, workspace, external, payload, query):
    response = deliver(client, external, json.dumps(payload).encode(), query)
    assert response.status_code == 400
    assert NUL_PROBLEM in response.json()["error"]
    assert not InboundDelivery.objects.exists()
    assert not Person.objects.filter(workspace=workspace).exists()


def test_webhook_refuses_a_nul_action(client, workspace, external):
    response = deliver(client, external, b'{"add": ["a"]}', "?action=add%00")
    assert response.status_code == 400
    assert response.json()["error"] == 'action must be "add" or "remove".'
    assert not InboundDelivery.objects.exists()


def test_webhook_refuses_deep_nesting(client, workspace, external):
    response = deliver(client, external, b"[" * 10_000 + b"]" * 10_000)
    assert response.status_code == 400
    assert response.json()["error"].startswith("The body is not valid JSON")
    assert not InboundDelivery.objects.exists()


def test_webhook_refuses_a_non_ascii_signature(client, external):
    response = client.post(
        reverse("segment-webhook", kwargs={"pk": external.pk}),
        b"{}",
        content_type="application/json",
        HTTP_X_MOTIVE_TIMESTAMP=str(int(time.time())),
        HTTP_X_MOTIVE_SIGNATURE="sha256=²",
    )
    assert response.status_code == 401


# --- the web pages -----------------------------------------------------------------------


@pytest.fixture
def browser(client, owner):
    client.force_login(owner)
    return client


def test_builder_refuses_a_nul_in_the_definition(browser, workspace):
    definition = json.dumps(rule_with(trait={"value": NUL}))
    response = browser.post(
        reverse("segments:new"), {"name": "Hostile", "definition_json": definition}
    )
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    assert not Segment.objects.filter(workspace=workspace).exists()


@pytest.mark.parametrize(
    "text,words",
    [
        (json.dumps(rule_with(trait={"value": NUL})), "NUL character"),
        (json.dumps(rule_with(trait={"value": SURROGATE})), "contains a lone surrogate"),
        ("[" * 10_000, "nested deeper than"),
    ],
)
def test_builder_preview_explains_hostile_definitions(browser, text, words):
    response = browser.post(reverse("segments:preview"), {"definition_json": text})
    assert response.status_code == 200
    assert words in response.content.decode()


@pytest.mark.parametrize("segment_id", ["²", "٣", "9" * 30])
def test_builder_preview_ignores_a_segment_id_that_is_not_one(browser, segment_id):
    text = json.dumps({"event": "X"})
    response = browser.post(
        reverse("segments:preview"), {"definition_json": text, "segment_id": segment_id}
    )
    assert response.status_code == 200


def test_rfm_wizard_refuses_a_nul_event_escape(browser, workspace):
    PersonFactory(workspace=workspace)
    response = browser.post(
        reverse("segments:new-rfm"),
        {
            "name": "RFM",
            "event": "Order\u0000",
            "monetary_property": "amount",
            "window_days": 365,
            "bins": 5,
        },
    )
    assert response.status_code == 400
    assert not Segment.objects.filter(workspace=workspace).exists()
