"""Reports API: list (per study), the report with its document, exports. Thin."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from reports import exports
from reports.models import Report, ReportStatus
from reports.serializers import (
    ReportDetailSchema,
    ReportDetailSerializer,
    ReportListFilterSerializer,
    ReportSerializer,
)
from workspaces.scoping import WorkspaceViewSet
from workspaces.services import ServiceError
from workspaces.spreadsheets import streaming_csv_response


class ReportNotReady(ServiceError):
    status_code = 409


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    """Segment comparison reports of the workspace."""

    queryset = Report.objects.all()
    serializer_class = ReportSerializer

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = queryset.select_related("study").prefetch_related("links__segment")
        if self.action == "list":
            data = ReportListFilterSerializer(data=self.request.query_params)
            data.is_valid(raise_exception=True)
            if data.validated_data.get("study"):
                queryset = queryset.filter(study_id=data.validated_data["study"])
        return queryset.order_by("-created_at", "-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("study", OpenApiTypes.INT, description="Only this study's reports.")
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Reports across studies, newest first; `?study=` keeps one study's."""
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: ReportDetailSchema})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Status and progress; when ready, the document's keys as well."""
        return Response(ReportDetailSerializer(self.get_object()).data)

    def _document(self) -> tuple[Report, dict[str, Any]]:
        report = self.get_object()
        if report.status != ReportStatus.READY or not report.document:
            raise ReportNotReady("The report is not ready yet; follow its progress and retry.")
        return report, report.document

    @extend_schema(
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
            409: OpenApiResponse(description="Not ready yet."),
        }
    )
    @action(detail=True, methods=["get"], url_path="export.json")
    def export_json(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        """The report's document as a JSON download."""
        report, document = self._document()
        response = HttpResponse(
            json.dumps(document, ensure_ascii=False), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="report-{report.pk}.json"'
        return response

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="Long format: segment, question, measure, value; formula-escaped.",
            ),
            409: OpenApiResponse(description="Not ready yet."),
        }
    )
    @action(detail=True, methods=["get"], url_path="export.csv")
    def export_csv(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        """The report in long format as a CSV download, streamed."""
        report, document = self._document()
        return streaming_csv_response(
            f"report-{report.pk}.csv", exports.HEADER, exports.csv_rows(document)
        )
