"""Segments API: CRUD, preview, compute, members, overlap and the signed inbound webhook."""

from __future__ import annotations

import json
from typing import Any

from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from segments import overlap, selectors, services
from segments.models import Segment, SegmentKind
from segments.serializers import (
    ComputeResultSerializer,
    ComputeSerializer,
    MembersPushSerializer,
    MembersQuerySerializer,
    OverlapSerializer,
    PreviewResultSerializer,
    PreviewSerializer,
    SegmentCreatedSerializer,
    SegmentCreateSerializer,
    SegmentMemberSerializer,
    SegmentSerializer,
    SegmentUpdateSerializer,
)
from workspaces.scoping import WorkspaceExemptAPIView, WorkspaceViewSet
from workspaces.services import ServiceError
from workspaces.spreadsheets import streaming_csv_response


def _diff(diff: Any) -> dict[str, int]:
    return {"size": diff.size, "entered": diff.entered, "exited": diff.exited}


class MembersCsvRenderer(BaseRenderer):
    """Lets `?format=csv` (or `Accept: text/csv`) choose the streamed members download."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        # Errors reach here as data; the download itself is a streamed response.
        return json.dumps(data).encode() if data is not None else b""


class SegmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, WorkspaceViewSet
):
    """Behavioral segments of the workspace."""

    queryset = Segment.objects.all().order_by("name", "id")
    serializer_class = SegmentSerializer
    filterset_fields = ["kind", "is_active", "parent"]

    def perform_destroy(self, instance: Segment) -> None:
        # Refused, naming them, while something depends on it (segments.dependents).
        services.segment_delete(segment=instance)

    @extend_schema(request=SegmentCreateSerializer, responses={201: SegmentCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = SegmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        segment = services.segment_create(workspace=self.workspace, **data.validated_data)
        body = SegmentCreatedSerializer(segment).data
        if segment.kind != SegmentKind.EXTERNAL:
            body["webhook_secret"] = None
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=SegmentUpdateSerializer, responses={200: SegmentSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        segment = self.get_object()
        data = SegmentUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        segment = services.segment_update(segment=segment, **data.validated_data)
        return Response(SegmentSerializer(segment).data)

    @extend_schema(request=SegmentUpdateSerializer, responses={200: SegmentSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=PreviewSerializer, responses={200: PreviewResultSerializer})
    @action(detail=False, methods=["post"], url_path="preview")
    def preview(self, request: Request) -> Response:
        """Size and a sample of members of a definition, without saving anything."""
        data = PreviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind, definition = data.validated_data["kind"], data.validated_data["definition"]
        services.validate_as_of(data.validated_data["as_of"])
        definition = services.validate_segment_definition(
            workspace=self.workspace, kind=kind, definition=definition
        )
        result = selectors.segment_preview(
            workspace=self.workspace,
            kind=kind,
            definition=definition,
            as_of=data.validated_data["as_of"],
        )
        return Response(result)

    @extend_schema(request=ComputeSerializer, responses={200: ComputeResultSerializer})
    @action(detail=True, methods=["post"], url_path="compute")
    def compute(self, request: Request, pk: str | None = None) -> Response:
        """Recompute membership now, or as of `as_of`; says who entered and exited."""
        segment = self.get_object()
        data = ComputeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        diff = services.segment_compute(segment=segment, as_of=data.validated_data["as_of"])
        return Response(_diff(diff))

    @extend_schema(
        methods=["GET"],
        parameters=[
            MembersQuerySerializer,
            OpenApiParameter(
                "format",
                str,
                enum=["json", "csv"],
                description="csv: every matching member as a streamed CSV download.",
            ),
        ],
        responses={
            (200, "application/json"): SegmentMemberSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
        },
        description="Current members (paginated), searched by user id, name or email and "
        "sorted by a column; RFM members carry their scores. `?format=csv` streams them all "
        "as CSV (user id, name, email, entered at, traits, and the scores, cluster or "
        "qualifying values of the segment's kind), formula cells escaped.",
    )
    @extend_schema(
        methods=["POST"],
        request=MembersPushSerializer,
        responses={(200, "application/json"): ComputeResultSerializer},
        description="External segments: add and remove members by user id.",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="members",
        renderer_classes=[JSONRenderer, MembersCsvRenderer],
    )
    def members(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        segment = self.get_object()
        if request.method == "POST":
            data = MembersPushSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            diff = services.segment_members_push(segment=segment, **data.validated_data)
            return Response(_diff(diff))
        query = MembersQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        search, sort = query.validated_data["search"], query.validated_data["sort"]
        if sort and selectors.member_sort_or_default(segment, sort) != sort:
            raise ServiceError(
                f'sort: "{sort}" is not a column of this list; use one of '
                f"{', '.join(selectors.member_sorts(segment))} (prefix - for descending).",
                field="sort",
            )
        sort = sort or selectors.DEFAULT_MEMBER_SORT
        if request.accepted_renderer.format == "csv":
            return streaming_csv_response(
                f"segment-{segment.pk}-members.csv",
                selectors.member_export_header(segment),
                selectors.member_export_rows(segment=segment, search=search, sort=sort),
            )
        rows = selectors.segment_member_rows(segment=segment, search=search, sort=sort)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SegmentMemberSerializer(page, many=True).data)

    @extend_schema(request=None, responses={200: SegmentCreatedSerializer})
    @action(detail=True, methods=["post"], url_path="webhook-secret")
    def webhook_secret(self, request: Request, pk: str | None = None) -> Response:
        """External segments: issue a new webhook secret (the old one stops working)."""
        segment = self.get_object()
        secret = services.segment_webhook_secret_rotate(segment=segment)
        return Response({**SegmentSerializer(segment).data, "webhook_secret": secret})

    @extend_schema(responses={200: OverlapSerializer})
    @action(detail=False, methods=["get"], url_path="overlap", pagination_class=None)
    def overlap(self, request: Request) -> Response:
        """Pairwise Jaccard overlap of active segments, with merge and playbook warnings."""
        return Response(overlap.overlap(workspace_id=self.workspace.pk))


class RawBodyParser(BaseParser):
    """Leaves the body as bytes: the signature covers the exact bytes sent."""

    media_type = "*/*"

    # The body stays bytes on purpose, hence the narrower return type.
    def parse(  # type: ignore[override]
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> bytes:
        return stream.read() if stream is not None else b""


class SegmentWebhookApi(WorkspaceExemptAPIView):
    """Signed inbound webhook of an external segment (HMAC-SHA256 over `timestamp.body`)."""

    workspace_exempt_reason = (
        "The segment's webhook secret is the credential; see segments/inbound.py."
    )
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    parser_classes = [RawBodyParser]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={200: ComputeResultSerializer},
        parameters=[
            OpenApiParameter("X-Motive-Timestamp", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(
                "X-Motive-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description='"sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>"',
            ),
            OpenApiParameter(
                "action",
                str,
                enum=["add", "remove"],
                description="HubSpot payloads: what the contacts are for.",
            ),
            OpenApiParameter(
                "user_id_property",
                str,
                description="HubSpot payloads: the contact property with the user id.",
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        segment = (
            Segment.objects.filter(pk=pk, kind=SegmentKind.EXTERNAL)
            .exclude(webhook_secret="")
            .first()
        )
        if segment is None:
            raise exceptions.NotFound("Not found.")
        try:
            diff = services.segment_webhook_receive(
                segment=segment,
                timestamp=request.headers.get("X-Motive-Timestamp"),
                signature=request.headers.get("X-Motive-Signature"),
                body=request.data if isinstance(request.data, bytes) else b"",
                action=request.query_params.get("action", "add"),
                user_id_property=request.query_params.get("user_id_property", "user_id"),
            )
        except services.ReplayError as exc:
            return Response({"error": exc.message, "detail": {"code": "replay"}}, status=409)
        except services.inbound.SignatureError as exc:
            return Response({"error": exc.message, "detail": {"code": "bad_signature"}}, status=401)
        return Response(_diff(diff))
