"""Ingestion request bodies: read within the limits, gunzipped, parsed into items.

Every limit applies to the JSON as sent before compression: a body is read in
pieces of READ_PIECE bytes and refused (413) as soon as it passes its limit,
and a gzip body is inflated piece by piece with its output capped at the limit,
so neither a large upload nor a decompression bomb is ever held in memory.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from typing import Any, Protocol

import orjson
from django.http import HttpRequest

from people.ingestion.validation import BAD_ESCAPES, MAX_BATCH_BYTES, MAX_ITEM_BYTES

READ_PIECE = 64 * 1024
_GZIP = 16 + zlib.MAX_WBITS  # zlib's window bits for a gzip header and trailer


class BodyError(Exception):
    """A request the endpoint refuses as a whole: status, code, message and detail."""

    def __init__(
        self, status: int, code: str, message: str, detail: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.detail = detail if detail is not None else {"code": code}


def _too_large(message: str) -> BodyError:
    return BodyError(413, "payload_too_large", message)


def _malformed(message: str) -> BodyError:
    return BodyError(400, "parse_error", message)


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def _what(limit: int) -> str:
    return "batch" if limit == MAX_BATCH_BYTES else "item"


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META["CONTENT_LENGTH"])
    except (KeyError, ValueError):
        return None


def _stream(request: HttpRequest) -> _Readable:
    """Where the body comes from.

    Django reads a WSGI body only up to its Content-Length, so a chunked body
    (no Content-Length) would read as empty; a server that marks its input as
    ending with the body (`wsgi.input_terminated`, as gunicorn does) is read
    directly instead. Under ASGI the request's stream holds the whole body.
    """
    if _declared_length(request) is None and request.META.get("wsgi.input_terminated"):
        return request.META["wsgi.input"]  # type: ignore[no-any-return]
    return request


def _pieces(stream: _Readable, limit: int) -> Iterator[bytes]:
    """The raw body in pieces; 413 once more than `limit` bytes have come."""
    total = 0
    while piece := stream.read(READ_PIECE):
        total += len(piece)
        if total > limit:
            raise _too_large(f"The {_what(limit)} is over the {limit // 1024} KB limit.")
        yield piece


def _inflate(pieces: Iterator[bytes], limit: int) -> bytes:
    """Gunzip piece by piece, never producing more than `limit` + 1 bytes."""
    out = bytearray()
    inflater = zlib.decompressobj(_GZIP)
    for piece in pieces:
        data = piece
        while data:
            if inflater.eof:  # another gzip member follows: members concatenate
                inflater = zlib.decompressobj(_GZIP)
            try:
                out += inflater.decompress(data, limit + 1 - len(out))
            except zlib.error as exc:
                raise _malformed(f"The gzip body is corrupt: {exc}") from None
            if len(out) > limit:
                raise _too_large(
                    f"The {_what(limit)} is over the {limit // 1024} KB limit once decompressed."
                )
            data = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
    if not inflater.eof:
        raise _malformed("The gzip body is corrupt: it ends before its end.")
    return bytes(out)


def read_body(request: HttpRequest, limit: int) -> bytes:
    """The body as JSON bytes, decompressed, at most `limit` bytes; BodyError otherwise."""
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ("", "identity", "gzip"):
        raise BodyError(
            415, "unsupported_encoding", f'Content-Encoding "{encoding[:40]}"; send gzip or none.'
        )
    declared = _declared_length(request)
    if declared is not None and declared > limit:
        # Refused before reading: gzip never shrinks a body below its own size minus
        # a few bytes a block, so this one is over the limit either way.
        raise _too_large(
            f"The {_what(limit)} is {declared} bytes; the limit is {limit // 1024} KB."
        )
    pieces = _pieces(_stream(request), limit)
    if encoding == "gzip":
        return _inflate(pieces, limit)
    return b"".join(pieces)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


# A run of 19 digits could be an integer beyond 64 bits, which orjson would turn
# into a float (rounding it); JSON allows it and jsonb keeps it exact. Found as
# 19 zeros once every digit reads as one (a C-speed scan; a regex took 170 us
# for a 15 KB batch, four times orjson's parse).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGIT_RUN = b"0" * 19


def parse(body: bytes) -> Any:
    """The JSON value of the body; BodyError (400) when it is not JSON."""
    # orjson parses ~2x faster. What it refuses but JSON allows (numbers beyond a
    # double, lone surrogate escapes, deep nesting) and what it would round goes
    # to the standard library, which keeps the item-level errors and exact values.
    if _LONG_DIGIT_RUN not in body.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _malformed(f"Malformed JSON body: {exc}") from None


class Items(list[Any]):
    """Parsed items, and whether their raw JSON needs the per-string NUL/surrogate scan."""

    scan = True


def _has_bad_escapes(body: bytes) -> bool:
    """Whether the raw JSON may encode a NUL or a lone surrogate (see validate_item's scan)."""
    # Most bodies have no \u escape at all: a C-speed substring test first.
    return b"\\u" in body and BAD_ESCAPES.search(body) is not None


def batch_items(data: Any, body: bytes) -> Items:
    """The items of a `{"batch": [...]}` body, with the batch's sentAt and context applied."""
    items = data.get("batch") if isinstance(data, dict) else None
    if not isinstance(items, list):
        message = 'Send a JSON object {"batch": [item, ...]}.'
        raise BodyError(400, "invalid", f"batch: {message}", {"batch": [message]})
    if len(body) > MAX_ITEM_BYTES:
        _check_item_sizes(items)
    _apply_batch_fields(data, items)
    parsed = Items(items)
    parsed.scan = _has_bad_escapes(body)
    return parsed


def _apply_batch_fields(data: dict[str, Any], items: list[Any]) -> None:
    """What a batch says for all its items: `sentAt`, and `context` (an item's own keys win).

    analytics.js and the mobile SDKs send the library, device and locale once
    per batch rather than in every item.
    """
    sent_at = data.get("sentAt")
    context = data.get("context")
    if sent_at is None and not (isinstance(context, dict) and context):
        return
    for item in items:
        if not isinstance(item, dict):
            continue  # reported by validation, by index
        if sent_at is not None and "sentAt" not in item:
            item["sentAt"] = sent_at
        if isinstance(context, dict) and context:
            own = item.get("context")
            if own is None:
                item["context"] = context
            elif isinstance(own, dict):
                item["context"] = {**context, **own}


def single_item(data: Any, body: bytes) -> Items:
    if not isinstance(data, dict):
        message = "Send one JSON object."
        raise BodyError(400, "invalid", message, {"non_field_errors": [message]})
    parsed = Items([data])
    parsed.scan = _has_bad_escapes(body)
    return parsed


def _check_item_sizes(items: list[Any]) -> None:
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for index, item in enumerate(items):
        size = len(encode(item).encode("utf-8", "surrogatepass"))
        if size > MAX_ITEM_BYTES:
            raise _too_large(
                f"Item {index} is {size} bytes; the limit per item is {MAX_ITEM_BYTES // 1024} KB."
            )


def write_key(data: Any) -> str | None:
    """The `writeKey` a body may carry instead of an Authorization header."""
    key = data.get("writeKey") if isinstance(data, dict) else None
    return key if isinstance(key, str) and key else None
