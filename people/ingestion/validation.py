"""Per-item validation of Segment-spec messages (track, identify, group, page, screen, alias).

Everything that could make the database refuse a row is caught here, item by
item, with a message the sender can act on: PostgreSQL's jsonb rejects NUL
(`\\u0000`) and unpaired surrogates, text columns have lengths, and absurd
timestamps would poison every time window. An item that passes is a `Message`
the writer can store without further checks.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import isfinite as _isfinite
from typing import Any

MAX_ITEM_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_DEPTH = 8
MAX_ID_LENGTH = 255
MAX_EVENT_NAME_LENGTH = 200
# Historical imports reach back to the Unix epoch; nothing real happened before it.
EARLIEST_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)
MAX_CLOCK_AHEAD = timedelta(days=1)

TYPES = ("track", "identify", "group", "page", "screen", "alias")
# identify, group and alias calls are stored as events under these names, so that
# their messageId is de-duplicated like a track's and the person's timeline shows them.
IDENTIFY_EVENT = "$identify"
GROUP_EVENT = "$group"
ALIAS_EVENT = "$alias"
RESERVED_EVENT_NAMES = frozenset({IDENTIFY_EVENT, GROUP_EVENT, ALIAS_EVENT})
# page and screen calls are events under these names (Segment's own convention),
# with the call's name and category among their properties.
VIEWED_EVENTS = {"page": "Page Viewed", "screen": "Screen Viewed"}
# The call's `context` (library, ip, userAgent, locale, ...) is kept in the stored
# event's properties under this key.
CONTEXT_KEY = "$context"

# NUL and lone surrogates: PostgreSQL refuses both in jsonb and text.
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
# In a raw JSON body those characters can only arrive as these escapes, so a body
# without them needs no per-string scan.
BAD_ESCAPES = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


class ItemError(ValueError):
    """Why one item was rejected."""


@dataclass(slots=True)
class Message:
    """A validated item, ready to store."""

    index: int
    kind: str
    message_id: str
    timestamp: datetime
    user_id: str | None
    anonymous_id: str | None
    name: str
    payload: dict[str, Any]
    group_id: str | None = None
    # alias: the id (a userId or an anonymousId) whose person merges into user_id's.
    previous_id: str | None = None
    # The call's context, still to be added to the stored event: for identify, group
    # and alias, whose payload is not the event's properties (track, page and screen
    # carry it in their payload already).
    context: dict[str, Any] | None = None


def _bad_chars(value: str) -> bool:
    return _BAD_CHARS.search(value) is not None


def _identifier(value: Any, key: str, scan: bool) -> str | None:
    """An id may be a string or an integer (clients send both); empty means absent."""
    if type(value) is str:  # the common case first
        if not value:
            return None
        text = value
    elif value is None or value == "":
        return None
    elif isinstance(value, str):
        text = value
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        raise ItemError(f"{key} must be a string.")
    if len(text) > MAX_ID_LENGTH:
        raise ItemError(f"{key} is longer than {MAX_ID_LENGTH} characters.")
    if scan and _bad_chars(text):
        raise ItemError(f"{key} contains a NUL character or invalid Unicode.")
    return text


def _check_container(value: dict[str, Any] | list[Any], depth: int, scan: bool, field: str) -> None:
    """Walk a properties/traits value: depth, finite numbers, and (if scan) bad characters.

    Scalars are checked in the loop, by exact type (JSON parsers make no
    subclasses), containers by recursion: most values of most events are flat,
    and this runs for every item of every batch.
    """
    if depth >= MAX_DEPTH:
        raise ItemError(f"{field} is nested deeper than {MAX_DEPTH} levels.")
    if isinstance(value, dict):
        if scan and any(_bad_chars(key) for key in value):
            raise ItemError(f"{field} has a key with a NUL character or invalid Unicode.")
        values: Iterable[Any] = value.values()
    else:
        values = value
    for inner in values:
        kind = type(inner)
        if kind is str:
            if scan and _bad_chars(inner):
                raise ItemError(f"{field} has a value with a NUL character or invalid Unicode.")
        elif kind is float:
            if not _isfinite(inner):
                raise ItemError(f"{field} has a number out of range.")
        elif kind is dict or kind is list:
            _check_container(inner, depth + 1, scan, field)
        elif kind not in _PLAIN_SCALARS:
            _check_subclassed(inner, depth, scan, field)


# What a JSON parser makes besides str, float, dict and list: nothing to check.
_PLAIN_SCALARS = frozenset({int, bool, type(None)})


def _check_subclassed(value: Any, depth: int, scan: bool, field: str) -> None:
    """A value of a subclass (callers that build items in Python): checked by isinstance."""
    if isinstance(value, dict | list):
        _check_container(value, depth + 1, scan, field)
    elif isinstance(value, float) and not _isfinite(value):
        raise ItemError(f"{field} has a number out of range.")
    elif scan and isinstance(value, str) and _bad_chars(value):
        raise ItemError(f"{field} has a value with a NUL character or invalid Unicode.")


def _object(item: dict[str, Any], key: str, scan: bool) -> dict[str, Any]:
    value = item.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ItemError(f"{key} must be a JSON object.")
    if value:
        _check_container(value, 0, scan, key)
    return value


def parse_timestamp(value: Any, key: str) -> datetime:
    if not isinstance(value, str):
        raise ItemError(f"{key} must be an ISO 8601 string, e.g. 2026-11-01T10:00:00Z.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ItemError(
            f'{key} "{value[:40]}" is not ISO 8601, e.g. 2026-11-01T10:00:00Z.'
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _timestamp(item: dict[str, Any], received_at: datetime) -> datetime:
    """The event time, corrected for client clock skew as Segment does.

    With `sentAt`, the client's clock offset is `sentAt - receivedAt`, so the true
    time is `timestamp + (receivedAt - sentAt)`. Bounds apply after correction: a
    device whose clock says 1970 still reports usable times.
    """
    raw = item.get("timestamp")
    timestamp = received_at if raw is None else parse_timestamp(raw, "timestamp")
    sent_raw = item.get("sentAt")
    if sent_raw is not None:
        sent_at = parse_timestamp(sent_raw, "sentAt")
        try:
            timestamp = timestamp + (received_at - sent_at)
        except OverflowError:
            raise ItemError("timestamp and sentAt are too far apart.") from None
    if timestamp < EARLIEST_TIMESTAMP:
        raise ItemError("timestamp is before 1970-01-01; send the real event time.")
    if timestamp > received_at + MAX_CLOCK_AHEAD:
        raise ItemError("timestamp is more than a day in the future.")
    return timestamp


def _event_name(item: dict[str, Any], scan: bool) -> str:
    name = item.get("event")
    if not isinstance(name, str) or not name.strip():
        raise ItemError("event is required for track and must be a non-empty string.")
    if len(name) > MAX_EVENT_NAME_LENGTH:
        raise ItemError(f"event is longer than {MAX_EVENT_NAME_LENGTH} characters.")
    if scan and _bad_chars(name):
        raise ItemError("event contains a NUL character or invalid Unicode.")
    if name in RESERVED_EVENT_NAMES:
        raise ItemError(f'event "{name}" is reserved; use identify, group or alias.')
    return name


def _optional_text(item: dict[str, Any], key: str, scan: bool) -> str | None:
    value = item.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ItemError(f"{key} must be a string.")
    if len(value) > MAX_EVENT_NAME_LENGTH:
        raise ItemError(f"{key} is longer than {MAX_EVENT_NAME_LENGTH} characters.")
    if scan and _bad_chars(value):
        raise ItemError(f"{key} contains a NUL character or invalid Unicode.")
    return value


def _viewed_properties(item: dict[str, Any], scan: bool) -> dict[str, Any]:
    """page/screen: the properties, with the call's name and category added."""
    properties = _object(item, "properties", scan)
    extra = {key: _optional_text(item, key, scan) for key in ("name", "category")}
    present = {key: value for key, value in extra.items() if value is not None}
    return {**properties, **present} if present else properties


def _identify_traits(item: dict[str, Any], context: dict[str, Any], scan: bool) -> dict[str, Any]:
    """identify's traits; also those in `context.traits`, where RudderStack's SDKs put them.

    Keys at the root win over the same keys in the context.
    """
    traits = _object(item, "traits", scan)
    in_context = context.get("traits")
    if isinstance(in_context, dict) and in_context:
        return {**in_context, **traits}
    return traits


def _with_context(payload: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    return {**payload, CONTEXT_KEY: context} if context else payload


def validate_item(
    item: Any,
    *,
    index: int,
    received_at: datetime,
    kind: str | None = None,
    scan: bool = True,
) -> Message:
    """Validate one item; `kind` forces the type (single-item endpoints).

    page and screen calls become `track` messages of `Page Viewed` / `Screen
    Viewed`: stored like any event, on the same write path.
    `scan=False` skips the per-string NUL/surrogate scan (ids, event name,
    properties); only pass it when the raw JSON has been checked for those
    escapes as a whole (see BAD_ESCAPES): a JSON text can carry neither
    character any other way.
    Raises ItemError.
    """
    if not isinstance(item, dict):
        raise ItemError("Each item must be a JSON object.")
    kind = kind or item.get("type")
    if kind not in TYPES:
        shown = kind if isinstance(kind, str) else type(kind).__name__
        raise ItemError(
            f'Unknown type "{str(shown)[:40]}"; use track, identify, group, page, screen or alias.'
        )
    user_id = _identifier(item.get("userId"), "userId", scan)
    anonymous_id = _identifier(item.get("anonymousId"), "anonymousId", scan)
    if user_id is None and anonymous_id is None:
        raise ItemError("userId or anonymousId is required.")
    message_id = _identifier(item.get("messageId"), "messageId", scan) or str(uuid.uuid4())
    context = _object(item, "context", scan)
    group_id = previous_id = None
    event_context: dict[str, Any] | None = context or None
    if kind == "track":
        name = _event_name(item, scan)
        payload, event_context = _with_context(_object(item, "properties", scan), context), None
    elif kind in VIEWED_EVENTS:
        name = VIEWED_EVENTS[kind]
        payload, event_context = _with_context(_viewed_properties(item, scan), context), None
        kind = "track"
    elif kind == "identify":
        name = IDENTIFY_EVENT
        payload = _identify_traits(item, context, scan)
    elif kind == "group":
        group_id = _identifier(item.get("groupId"), "groupId", scan)
        if group_id is None:
            raise ItemError("groupId is required for group.")
        name = GROUP_EVENT
        payload = _object(item, "traits", scan)
    else:
        previous_id = _identifier(item.get("previousId"), "previousId", scan)
        if user_id is None or previous_id is None:
            raise ItemError("userId and previousId are required for alias.")
        name = ALIAS_EVENT
        payload = {"previousId": previous_id}
    return Message(
        index=index,
        kind=kind,
        message_id=message_id,
        timestamp=_timestamp(item, received_at),
        user_id=user_id,
        anonymous_id=anonymous_id,
        name=name,
        payload=payload,
        group_id=group_id,
        previous_id=previous_id,
        context=event_context,
    )
