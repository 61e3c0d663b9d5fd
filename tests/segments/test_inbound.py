"""Inbound webhook signatures (HMAC over timestamp.body, 5-minute tolerance) and payload mapping."""

from __future__ import annotations

import pytest

from segments.inbound import SignatureError, changes_from_payload, sign, verify
from workspaces.services import ServiceError

SECRET = "whsec_test"
BODY = b'{"add": ["u_1"]}'
NOW = 1_800_000_000


def test_a_fresh_correct_signature_verifies():
    signature = sign(secret=SECRET, timestamp=NOW, body=BODY)
    assert signature.startswith("sha256=") and len(signature) == 71
    assert (
        verify(secret=SECRET, timestamp=str(NOW), signature=signature, body=BODY, now=NOW + 299)
        == NOW
    )


@pytest.mark.parametrize(
    "timestamp,signature,now,message",
    [
        (None, "sha256=x", NOW, "Send the X-Motive-Timestamp"),
        ("yesterday", "sha256=x", NOW, "Unix time"),
        (str(NOW), sign(secret=SECRET, timestamp=NOW, body=BODY), NOW + 301, "more than 5 minutes"),
        (str(NOW), sign(secret=SECRET, timestamp=NOW, body=BODY), NOW - 301, "more than 5 minutes"),
        (str(NOW), sign(secret="other", timestamp=NOW, body=BODY), NOW, "Signature mismatch"),
        (str(NOW + 1), sign(secret=SECRET, timestamp=NOW, body=BODY), NOW, "Signature mismatch"),
    ],
)
def test_bad_signatures_are_refused(timestamp, signature, now, message):
    with pytest.raises(SignatureError, match=message):
        verify(secret=SECRET, timestamp=timestamp, signature=signature, body=BODY, now=now)


def test_a_changed_body_fails():
    signature = sign(secret=SECRET, timestamp=NOW, body=BODY)
    with pytest.raises(SignatureError):
        verify(secret=SECRET, timestamp=str(NOW), signature=signature, body=BODY + b" ", now=NOW)


@pytest.mark.parametrize(
    "payload,action,expected",
    [
        ({"add": ["a"], "remove": ["b"]}, "add", (["a"], ["b"])),
        ({"properties": {"user_id": {"value": "u_1"}}}, "add", (["u_1"], [])),
        ({"properties": {"user_id": "u_2"}}, "remove", ([], ["u_2"])),
        (
            [{"user_id": "u_3", "objectId": 9}, {"properties": {"user_id": 42}}],
            "add",
            (["u_3", "42"], []),
        ),
    ],
)
def test_payload_mapping(payload, action, expected):
    assert changes_from_payload(payload, action=action) == expected


def test_hubspot_contact_without_the_property_is_a_clear_error():
    with pytest.raises(ServiceError, match='Contact 1 has no "user_id" property'):
        changes_from_payload([{"user_id": "a"}, {"properties": {"email": "x@y.z"}}])


def test_custom_user_id_property():
    payload = {"properties": {"email": {"value": "ana@x.com"}}}
    assert changes_from_payload(payload, user_id_property="email") == (["ana@x.com"], [])
