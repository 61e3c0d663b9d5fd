"""The ingestion endpoints in the OpenAPI schema.

They are plain Django views (people/api.py), which drf-spectacular does not
see. The DRF views here describe them and are never routed:
`ingestion_endpoints`, a preprocessing hook (SPECTACULAR_SETTINGS), adds them to
the endpoints the generator found, one per /api/v1/ingest/<call> route. The
site-root /v1/<call> routes are the same views and are named in the
descriptions rather than listed twice.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from people import api
from people.serializers import (
    AliasItemSerializer,
    BatchSerializer,
    GroupItemSerializer,
    IdentifyItemSerializer,
    IngestErrorSerializer,
    IngestResultSerializer,
    PageItemSerializer,
    ScreenItemSerializer,
    TrackItemSerializer,
)
from workspaces.authentication import ApiKeyAuthentication

ERRORS = {
    400: OpenApiResponse(
        IngestErrorSerializer,
        description="Malformed JSON or gzip, wrong shape, or (one call) an invalid item.",
    ),
    401: OpenApiResponse(IngestErrorSerializer, description="Missing, unknown or revoked key."),
    413: OpenApiResponse(
        IngestErrorSerializer,
        description="Body over 500 KB or an item over 32 KB (after gunzipping).",
    ),
    415: OpenApiResponse(IngestErrorSerializer, description="A Content-Encoding besides gzip."),
}

DESCRIPTIONS = {
    "batch": "Store a Segment-spec batch; valid items are stored even when others are rejected.",
    "track": "Record one event (Segment `track`); creates the person if unknown.",
    "identify": "Upsert a person and merge traits, last write wins per key (Segment `identify`).",
    "group": "Attach a person to an account and merge the account's traits (Segment `group`).",
    "page": "Record a page view as the event `Page Viewed`, with `name` and `category` "
    "among its properties (Segment `page`).",
    "screen": "Record a screen view as the event `Screen Viewed`, with `name` and `category` "
    "among its properties (Segment `screen`).",
    "alias": "Merge the person `previousId` names (by userId or anonymousId) into the person "
    "of `userId`: events, traits and aliases move (Segment `alias`).",
}
SDK_NOTE = (
    " Also served at `/v1/{call}` at the site root, for existing Segment and RudderStack "
    "SDKs; the key may also come as HTTP Basic (user name, empty password) or `writeKey` in "
    "the body, and the body may be gzipped (`Content-Encoding: gzip`)."
)
REQUESTS = {
    "batch": BatchSerializer,
    "track": TrackItemSerializer,
    "identify": IdentifyItemSerializer,
    "group": GroupItemSerializer,
    "page": PageItemSerializer,
    "screen": ScreenItemSerializer,
    "alias": AliasItemSerializer,
}


class SdkBasicAuthentication(BaseAuthentication):
    """Schema only: the HTTP Basic form of an ingestion key (people/api.py checks it)."""

    def authenticate(self, request: Request) -> None:
        return None


class SdkBasicAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "people.openapi.SdkBasicAuthentication"
    name = "SdkBasicAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "basic",
            "description": "Ingestion only: the API key as user name and an empty password.",
        }


def _schema_view(call: str) -> Any:
    @extend_schema(
        operation_id=f"ingest_{call}",
        description=DESCRIPTIONS[call] + SDK_NOTE.format(call=call),
        request=REQUESTS[call],
        responses={200: IngestResultSerializer, **ERRORS},
    )
    def post(self: APIView, request: Request) -> Response:
        raise NotImplementedError("schema only; people.api.IngestView serves this route")

    attrs = {
        "post": post,
        "authentication_classes": [ApiKeyAuthentication, SdkBasicAuthentication],
        "permission_classes": [IsAuthenticated],
        "__doc__": DESCRIPTIONS[call],
    }
    view_class: type[APIView] = type(f"Ingest{call.title()}Schema", (APIView,), attrs)
    return view_class.as_view()


SCHEMA_VIEWS = {call: _schema_view(call) for call in api.CALLS}


def ingestion_endpoints(endpoints: list[tuple[str, str, str, Any]]) -> list[Any]:
    """drf-spectacular preprocessing hook: the ingestion routes, described by the views above."""
    added = [
        (f"/api/v1/ingest/{call}", f"^api/v1/ingest/{call}$", "POST", view)
        for call, view in SCHEMA_VIEWS.items()
    ]
    return [*added, *endpoints]
