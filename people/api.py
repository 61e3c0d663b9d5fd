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

from django.http import HttpRequest, JsonResponse

from people.ingestion import IngestResult, ingest_items
from people.ingestion.validation import MAX_BATCH_BYTES, MAX_ITEM_BYTES
from people.models import Event
from people.payloads import BodyError, batch_items, parse, read_body, single_item, write_key
from workspaces.authentication import KeyRefused, credential_from_header, ingest_key
from workspaces.models import ApiKey
from workspaces.scoping import ApiKeyView

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
