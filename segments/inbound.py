"""Signed inbound webhooks that push members into external segments.

A CRM or analytics tool POSTs to `/api/v1/segments/{id}/webhook` with

    X-Motive-Timestamp: <unix seconds>
    X-Motive-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the
                        segment's webhook secret>

The signature must match (compared in constant time), the timestamp must be
within 5 minutes of our clock, and each signature is accepted once (the
delivery is recorded, so a captured request cannot be replayed inside the
tolerance window either).

Bodies: Motive's own `{"add": [...], "remove": [...]}`, or a HubSpot workflow
webhook ("Send a webhook" action) carrying one contact or a list of contacts.
For HubSpot the action is the `?action=add|remove` query parameter of the
webhook URL (one workflow enrols, another un-enrols), and the user id is read
from the contact property named by `?user_id_property=` (default `user_id`), in
any of HubSpot's shapes:

    {"properties": {"user_id": {"value": "u_1"}}}     (legacy contact payload)
    {"properties": {"user_id": "u_1"}}                (CRM object payload)
    {"user_id": "u_1", "objectId": 123}               (flattened selected properties)
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from workspaces.services import ServiceError

TOLERANCE_SECONDS = 300


class SignatureError(ServiceError):
    """The request is not a fresh, correctly signed delivery."""


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(
    *, secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> int:
    """Check the signature and freshness; returns the timestamp as an int."""
    if not timestamp or not signature:
        raise SignatureError("Send the X-Motive-Timestamp and X-Motive-Signature headers.")
    try:
        sent = int(timestamp)
    except ValueError as exc:
        raise SignatureError("X-Motive-Timestamp must be Unix time in seconds.") from exc
    if abs(now - sent) > TOLERANCE_SECONDS:
        raise SignatureError(
            "X-Motive-Timestamp is more than 5 minutes from our clock; sign each request "
            "when you send it."
        )
    expected = sign(secret=secret, timestamp=sent, body=body)
    # Bytes: compare_digest refuses str with non-ASCII characters (a TypeError).
    sent_signature = signature.strip().encode("utf-8", "backslashreplace")
    if not hmac.compare_digest(expected.encode(), sent_signature):
        raise SignatureError('Signature mismatch: sign "<timestamp>.<raw body>" with HMAC-SHA256.')
    return sent


def _contact_user_id(contact: Any, key: str) -> str | None:
    if not isinstance(contact, dict):
        return None
    properties = contact.get("properties")
    value = properties.get(key) if isinstance(properties, dict) else None
    if isinstance(value, dict):
        value = value.get("value")
    if value is None:
        value = contact.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and value else None


def changes_from_payload(
    payload: Any, *, action: str = "add", user_id_property: str = "user_id"
) -> tuple[list[str], list[str]]:
    """The (add, remove) user id lists a webhook body asks for."""
    # Checked for every body: the action also keys the delivery record against replays.
    if action not in {"add", "remove"}:
        raise ServiceError('action must be "add" or "remove".')
    if isinstance(payload, dict) and ("add" in payload or "remove" in payload):
        add, remove = payload.get("add", []), payload.get("remove", [])
        if not isinstance(add, list) or not isinstance(remove, list):
            raise ServiceError("add and remove must be lists of user ids.")
        return add, remove
    contacts = payload if isinstance(payload, list) else [payload]
    user_ids = [_contact_user_id(c, user_id_property) for c in contacts]
    missing = [i for i, u in enumerate(user_ids) if u is None]
    if missing:
        raise ServiceError(
            f'Contact {missing[0]} has no "{user_id_property}" property; map your user id into '
            "that contact property, or set ?user_id_property= on the webhook URL."
        )
    ids = [u for u in user_ids if u is not None]
    return (ids, []) if action == "add" else ([], ids)
