"""Ingestion endpoints (Segment spec): thin — limits and JSON parsing, then `ingest_items`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import orjson
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from segments.ingestion import IngestResult, ingest_items
from segments.ingestion.validation import BAD_ESCAPES, MAX_BATCH_BYTES, MAX_ITEM_BYTES
from segments.models import Event
from segments.serializers import (
    BatchSerializer,
    ErrorSerializer,
    GroupItemSerializer,
    IdentifyItemSerializer,
    IngestResultSerializer,
    TrackItemSerializer,
)
from workspaces.scoping import WorkspaceAPIView


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 before it is read or parsed when over `limit`."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    what = "batch" if limit == MAX_BATCH_BYTES else "item"
    if declared > limit:
        raise PayloadTooLarge(f"The {what} is {declared} bytes; the limit is {limit // 1024} KB.")
    body: bytes = request.body
    if len(body) > limit:
        raise PayloadTooLarge(f"The {what} is {len(body)} bytes; the limit is {limit // 1024} KB.")
    return body


# A run of digits that could be an integer beyond 64 bits, which orjson would
# turn into a float (rounding it); JSON allows it and jsonb keeps it exact.
_LONG_DIGITS = re.compile(rb"\d{19}")


def _parse(body: bytes) -> Any:
    # orjson parses ~2x faster. What it refuses but JSON allows (numbers beyond a
    # double, lone surrogate escapes, deep nesting) and what it would round goes
    # to the standard library, which keeps the item-level errors and exact values.
    if _LONG_DIGITS.search(body) is None:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise exceptions.ParseError(f"Malformed JSON body: {exc}") from None


def _answer(result: IngestResult) -> Response:
    return Response(
        {
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": [{"index": i, "error": e} for i, e in result.rejected],
        }
    )


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Malformed JSON or wrong shape."),
    401: OpenApiResponse(ErrorSerializer, description="Missing or unknown API key."),
    413: OpenApiResponse(ErrorSerializer, description="Batch over 500 KB or item over 32 KB."),
}


class JsonOnlyNegotiation(BaseContentNegotiation):
    """Ingestion answers JSON whatever the client accepts: no Accept header parsing per call."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class IngestBatchApi(WorkspaceAPIView):
    """Store a Segment-spec batch; valid items are stored even when others are rejected."""

    # These views read request.body themselves (its size is checked before anything
    # parses it) and never touch request.data; the JSON parser stays for the schema.

    queryset = Event.objects.all()
    ingest_endpoint = True
    content_negotiation_class = JsonOnlyNegotiation

    @extend_schema(
        operation_id="ingest_batch",
        request=BatchSerializer,
        responses={200: IngestResultSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        body = _body(request, MAX_BATCH_BYTES)
        data = _parse(body)
        items = data.get("batch") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise exceptions.ValidationError(
                {"batch": ['Send a JSON object {"batch": [item, ...]}.']}
            )
        if len(body) > MAX_ITEM_BYTES:
            _check_item_sizes(items)
        sent_at = data.get("sentAt")
        if sent_at is not None:
            for item in items:
                if isinstance(item, dict) and "sentAt" not in item:
                    item["sentAt"] = sent_at
        result = ingest_items(
            workspace=self.workspace, items=items, scan=BAD_ESCAPES.search(body) is not None
        )
        return _answer(result)


def _check_item_sizes(items: list[Any]) -> None:
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for index, item in enumerate(items):
        size = len(encode(item).encode("utf-8", "surrogatepass"))
        if size > MAX_ITEM_BYTES:
            raise PayloadTooLarge(
                f"Item {index} is {size} bytes; the limit per item is {MAX_ITEM_BYTES // 1024} KB."
            )


class _SingleItemApi(WorkspaceAPIView):
    """One item; answers like the batch, or 400 with the reason when the item is invalid."""

    queryset = Event.objects.all()
    ingest_endpoint = True
    content_negotiation_class = JsonOnlyNegotiation
    kind = ""

    def post(self, request: Request) -> Response:
        body = _body(request, MAX_ITEM_BYTES)
        item = _parse(body)
        if not isinstance(item, dict):
            raise exceptions.ValidationError({"non_field_errors": ["Send one JSON object."]})
        result = ingest_items(
            workspace=self.workspace,
            items=[item],
            kind=self.kind,
            scan=BAD_ESCAPES.search(body) is not None,
        )
        if result.rejected:
            raise exceptions.ValidationError({"non_field_errors": [result.rejected[0][1]]})
        return _answer(result)


def _single_schema(kind: str, serializer: type) -> Any:
    return extend_schema(
        operation_id=f"ingest_{kind}",
        request=serializer,
        responses={200: IngestResultSerializer, **ERRORS},
    )


class IngestTrackApi(_SingleItemApi):
    """Record one event (Segment `track`); creates the person if unknown."""

    kind = "track"

    @_single_schema("track", TrackItemSerializer)
    def post(self, request: Request) -> Response:
        return super().post(request)


class IngestIdentifyApi(_SingleItemApi):
    """Upsert a person and merge traits, last write wins per key (Segment `identify`)."""

    kind = "identify"

    @_single_schema("identify", IdentifyItemSerializer)
    def post(self, request: Request) -> Response:
        return super().post(request)


class IngestGroupApi(_SingleItemApi):
    """Attach a person to an account and merge the account's traits (Segment `group`)."""

    kind = "group"

    @_single_schema("group", GroupItemSerializer)
    def post(self, request: Request) -> Response:
        return super().post(request)
