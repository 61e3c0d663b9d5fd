"""Ingestion endpoints (Segment's HTTP tracking API): plain Django views, one path.

The same view serves `/api/v1/ingest/<call>` and, at the site root, the
`/v1/<call>` routes that existing SDKs append to their host (sdk_urls.py), in
the main deployable and in the ingest-only one (config/ingest_urls.py). No DRF
machinery runs per call: ingestion takes hundreds of calls a second, and DRF's
request wrapping, negotiation and rendering cost about as much as storing a
single event. The OpenAPI schema describes these views through people/openapi.py.

Thin: credentials (workspaces.authentication), body (payloads.py), then
`ingest_items`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from people import selectors as person_selectors
from people import services as person_services
from people.filters import PersonFilterSet, person_filterset
from people.ingestion import IngestResult, ingest_items
from people.ingestion.validation import MAX_BATCH_BYTES, MAX_ITEM_BYTES
from people.models import Event, Person
from people.payloads import BodyError, batch_items, parse, read_body, single_item, write_key
from people.serializers import (
    ErrorSerializer,
    PersonDetailSerializer,
    PersonEventSerializer,
    PersonSerializer,
)
from workspaces.authentication import KeyRefused, credential_from_header, ingest_key
from workspaces.models import ApiKey
from workspaces.scoping import ApiKeyView, WorkspaceViewSet

# The calls, in the order the schema and the URLconfs list them.
SINGLE_CALLS = ("track", "identify", "group", "page", "screen", "alias")
CALLS = ("batch", *SINGLE_CALLS)

NO_CREDENTIALS = (
    "Authentication required: send `Authorization: Bearer <api key>`, HTTP Basic with the "
    "key as user name, or `writeKey` in the body."
)


def error_response(
    status: int, code: str, message: str, detail: dict[str, Any] | None = None
) -> JsonResponse:
    """The API's error shape, plus the top-level `code` and `message` SDKs log."""
    body = {
        "error": message,
        "detail": detail if detail is not None else {"code": code},
        "code": code,
        "message": message,
    }
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _result_body(result: IngestResult) -> dict[str, Any]:
    return {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "rejected": [{"index": i, "error": e} for i, e in result.rejected],
    }


class IngestView(ApiKeyView):
    """Store one call (`kind`) or a batch of calls (`kind` None) for the key's workspace."""

    kind: str | None = None
    queryset = Event.objects.all()
    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> JsonResponse:
        try:
            return self._ingest(request)
        except KeyRefused as exc:
            return error_response(401, "authentication_failed", str(exc))
        except BodyError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.detail)

    def _ingest(self, request: HttpRequest) -> JsonResponse:
        # A key in the header is checked before the body is read; one in the body
        # (`writeKey`) once it is parsed.
        header_key = credential_from_header(request.headers.get("Authorization", ""))
        key: ApiKey | None = ingest_key(header_key) if header_key else None
        body = read_body(request, MAX_ITEM_BYTES if self.kind else MAX_BATCH_BYTES)
        data = parse(body)
        items = single_item(data, body) if self.kind else batch_items(data, body)
        if key is None:
            raw = write_key(data)
            if raw is None:
                return error_response(401, "not_authenticated", NO_CREDENTIALS)
            key = ingest_key(raw)
        result = ingest_items(workspace=key.workspace, items=items, kind=self.kind, scan=items.scan)
        if self.kind and result.rejected:
            reason = result.rejected[0][1]
            return error_response(400, "invalid", reason, {"non_field_errors": [reason]})
        return JsonResponse(_result_body(result))

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> JsonResponse:
        response = error_response(
            405, "method_not_allowed", f'Method "{request.method}" not allowed.'
        )
        response["Allow"] = ", ".join(m.upper() for m in self.http_method_names)
        return response


def ingest_view(kind: str) -> Any:
    """The view of one call (`batch` or a single call's type)."""
    return IngestView.as_view(kind=None if kind == "batch" else kind)


# --- The people API: list, detail, timeline, erasure (DRF; thin over selectors/services) ---

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
