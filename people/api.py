"""Ingestion endpoints (Segment spec): thin — limits and JSON parsing, then `ingest_items`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from people import selectors as person_selectors
from people import services as person_services
from people.filters import PersonFilterSet, person_filterset
from people.ingestion import IngestResult, ingest_items
from people.ingestion.validation import BAD_ESCAPES, MAX_BATCH_BYTES, MAX_ITEM_BYTES
from people.models import Event, Person
from people.serializers import (
    BatchSerializer,
    ErrorSerializer,
    GroupItemSerializer,
    IdentifyItemSerializer,
    IngestResultSerializer,
    PersonDetailSerializer,
    PersonEventSerializer,
    PersonSerializer,
    TrackItemSerializer,
)
from workspaces.authentication import ingest_key
from workspaces.models import ApiKey
from workspaces.scoping import WorkspaceAPIView, WorkspaceViewSet


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 before it is read or parsed when over `limit`."""
    declared = declared_size(request.META)
    what = "batch" if limit == MAX_BATCH_BYTES else "item"
    if declared > limit:
        raise PayloadTooLarge(f"The {what} is {declared} bytes; the limit is {limit // 1024} KB.")
    body: bytes = request.body
    if len(body) > limit:
        raise PayloadTooLarge(f"The {what} is {len(body)} bytes; the limit is {limit // 1024} KB.")
    return body


# A run of 19 digits could be an integer beyond 64 bits, which orjson would turn
# into a float (rounding it); JSON allows it and jsonb keeps it exact. Found as
# 19 zeros once every digit reads as one (a C-speed scan; a regex took 170 us
# for a 15 KB batch, four times orjson's parse).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGIT_RUN = b"0" * 19


def _has_bad_escapes(body: bytes) -> bool:
    """Whether the raw JSON may encode a NUL or a lone surrogate (see validate_item's scan)."""
    # Most bodies have no \u escape at all: a C-speed substring test first.
    return b"\\u" in body and BAD_ESCAPES.search(body) is not None


def _parse(body: bytes) -> Any:
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
        raise exceptions.ParseError(f"Malformed JSON body: {exc}") from None


def _answer(result: IngestResult) -> Response:
    return Response(_result_body(result))


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
        items = _batch_items(_body(request, MAX_BATCH_BYTES))
        return _answer(ingest_items(workspace=self.workspace, items=items, scan=items.scan))


class _Items(list[Any]):
    """Parsed items, and whether their raw JSON needs the per-string NUL/surrogate scan."""

    scan = True


def _batch_items(body: bytes) -> _Items:
    data = _parse(body)
    items = data.get("batch") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise exceptions.ValidationError({"batch": ['Send a JSON object {"batch": [item, ...]}.']})
    if len(body) > MAX_ITEM_BYTES:
        _check_item_sizes(items)
    sent_at = data.get("sentAt")
    if sent_at is not None:
        for item in items:
            if isinstance(item, dict) and "sentAt" not in item:
                item["sentAt"] = sent_at
    parsed = _Items(items)
    parsed.scan = _has_bad_escapes(body)
    return parsed


def _single_item(body: bytes) -> _Items:
    item = _parse(body)
    if not isinstance(item, dict):
        raise exceptions.ValidationError({"non_field_errors": ["Send one JSON object."]})
    parsed = _Items([item])
    parsed.scan = _has_bad_escapes(body)
    return parsed


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
        items = _single_item(_body(request, MAX_ITEM_BYTES))
        result = ingest_items(
            workspace=self.workspace, items=items, kind=self.kind, scan=items.scan
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


def _result_body(result: IngestResult) -> dict[str, Any]:
    return {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "rejected": [{"index": i, "error": e} for i, e in result.rejected],
    }


class DirectIngestion:
    """The common ingestion call, stored and answered without DRF's machinery.

    Ingestion is the one path that takes hundreds of calls a second, and DRF's
    request wrapping, authentication, permission and rendering cost about as
    much CPU as the ingestion itself on a single event. A POST with a usable
    API key (`ingest_key`) and a body that parses into the expected shape is
    therefore stored and answered by `answer`, with the same functions the DRF
    view calls. Anything else — another method, no or a bad key, a session, an
    oversized or malformed body, a rejected single item (nothing is stored
    then) — `answer` declines (None) and the unchanged DRF view serves, which
    gives the documented error. Two callers: the URL's view (`ingest_view`)
    and, below Django's middleware, the WSGI route (segments/wsgi.py).
    """

    headers = (("Allow", "POST, OPTIONS"), ("Vary", "Accept"))

    def __init__(self, view_class: type[IngestBatchApi] | type[_SingleItemApi]) -> None:
        self.kind = getattr(view_class, "kind", None) or None
        self.limit = MAX_ITEM_BYTES if self.kind else MAX_BATCH_BYTES

    def key(self, authorization: str, size: int) -> ApiKey | None:
        """The call's usable ingest key, if its declared size is within the limit."""
        if size > self.limit:
            return None
        return ingest_key(authorization)

    def answer(self, key: ApiKey, body: bytes) -> bytes | None:
        """The JSON answer once the items are stored, or None to leave the call to DRF."""
        if len(body) > self.limit:
            return None
        try:
            items = _single_item(body) if self.kind else _batch_items(body)
        except exceptions.APIException:
            return None
        result = ingest_items(workspace=key.workspace, items=items, kind=self.kind, scan=items.scan)
        if self.kind and result.rejected:
            return None
        return orjson.dumps(_result_body(result))


def ingest_view(view_class: type[IngestBatchApi] | type[_SingleItemApi]) -> Callable[..., Any]:
    """The URL's view: `DirectIngestion` for the common call, the DRF view for the rest.

    The DRF view also stays what the OpenAPI schema and the URL checks see.
    """
    drf_view = view_class.as_view()
    direct = DirectIngestion(view_class)

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST":
            key = direct.key(request.headers.get("Authorization", ""), declared_size(request.META))
            if key is not None:
                answer = direct.answer(key, request.body)
                if answer is not None:
                    return HttpResponse(
                        answer, content_type="application/json", headers=dict(direct.headers)
                    )
        return drf_view(request, *args, **kwargs)

    view.cls = drf_view.cls  # type: ignore[attr-defined]
    view.initkwargs = drf_view.initkwargs  # type: ignore[attr-defined]
    view.view_class = drf_view.view_class  # type: ignore[attr-defined]
    view.view_initkwargs = drf_view.view_initkwargs  # type: ignore[attr-defined]
    view.direct = direct  # type: ignore[attr-defined]
    view.__doc__ = drf_view.__doc__
    return csrf_exempt(view)


def declared_size(environ: Mapping[str, Any]) -> int:
    """The request's Content-Length (0 when absent or not a number)."""
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


# === The people API: list, detail, timeline, erasure =====================================
# (Kept apart from the ingestion views above; thin over people.selectors/services.)

PERSON_ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="Missing or unknown API key."),
    403: OpenApiResponse(ErrorSerializer, description="An ingest key, or a viewer writing."),
    404: OpenApiResponse(ErrorSerializer, description="No such person in this workspace."),
}


@extend_schema_view(
    list=extend_schema(
        summary="List people",
        description=(
            "People of the workspace, most recently seen first, paginated (`?page=`, "
            "`?page_size=`). Filters combine (all must match): `user_id`, `trait` (repeatable) "
            "and `segment`."
        ),
        responses={200: PersonSerializer(many=True), 400: ErrorSerializer, **PERSON_ERRORS},
    ),
    retrieve=extend_schema(
        summary="Get a person",
        description=(
            "The person with their anonymous ids, account and current segments. Another "
            "workspace's person is a 404."
        ),
        responses={200: PersonDetailSerializer, **PERSON_ERRORS},
    ),
    destroy=extend_schema(
        summary="Erase a person",
        description=(
            "Erases the person and everything that is theirs: their events, anonymous ids and "
            "segment memberships (and, as later apps add them, their interview answers). An "
            "audit entry records who erased whom and when, with a keyed hash of the userId "
            "instead of the userId; nothing of the person's data is kept. Their account stays. "
            "Irreversible. New data sent later under the same userId makes a new person."
        ),
        responses={204: None, **PERSON_ERRORS},
    ),
)
class PersonViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """People of the workspace: list with filters, one person, their events, erasure."""

    queryset = Person.objects.all()
    serializer_class = PersonSerializer

    @property
    def filterset_class(self) -> type[PersonFilterSet]:
        return person_filterset()

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("account").order_by("-last_seen", "-id")

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The filters are the list's; a person's own routes ignore the query string.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        detail = person_selectors.person_detail(person=self.get_object())
        return Response(PersonDetailSerializer(detail).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        erased = person_services.person_erase(
            person=self.get_object(),
            api_key=request.auth if isinstance(request.auth, ApiKey) else None,
            user=None if isinstance(request.auth, ApiKey) else request.user,  # type: ignore[arg-type]
        )
        if erased is None:
            raise exceptions.NotFound("Not found.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="A person's events",
        description="The person's events, newest first, paginated (`?page=`, `?page_size=`).",
        responses={200: PersonEventSerializer(many=True), **PERSON_ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="events", filter_backends=[])
    def events(self, request: Request, pk: str | None = None) -> Response:
        events = person_selectors.person_events(person=self.get_object())
        page = self.paginate_queryset(events)
        return self.get_paginated_response(PersonEventSerializer(page, many=True).data)
