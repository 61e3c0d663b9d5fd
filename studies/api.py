"""Studies API: CRUD with nested questions, lifecycle actions, invitations, revisions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from studies import exports, guides, selectors, services
from studies.models import InvitationStatus, Study
from studies.serializers import (
    AccountCoverageSerializer,
    DraftRequestSerializer,
    DraftSerializer,
    InvitationCreatedSerializer,
    InvitationCreateSerializer,
    InvitationFilterSerializer,
    InvitationSerializer,
    LaunchResultSerializer,
    QuestionRevisionSerializer,
    StudyDetailSerializer,
    StudySerializer,
    StudyTemplateSerializer,
    StudyWriteSerializer,
)
from workspaces.scoping import WorkspaceViewSet


class InvitationCSVRenderer(BaseRenderer):
    """`?format=csv` (or `Accept: text/csv`) on the invitation list: the view streams the
    CSV itself (studies.exports); this renderer only makes the format negotiable."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return str(data).encode(self.charset)


class StudyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, WorkspaceViewSet
):
    """Interview studies of the workspace."""

    queryset = Study.objects.all().order_by("-created_at", "-id")
    serializer_class = StudySerializer
    filterset_fields = ["status", "mode"]

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The list's filters only: `?status=` on the invitations route means the
        # invitations' status, not the study's.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.prefetch_related(*selectors.study_prefetches())

    def get_renderers(self) -> list[BaseRenderer]:
        if self.action == "invitations" and self.request.method == "GET":
            return [JSONRenderer(), InvitationCSVRenderer()]
        return super().get_renderers()

    def handle_exception(self, exc: Exception) -> Response:
        # Errors are JSON whatever format was asked for (DESIGN.md).
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def _detail(self, study: Study, code: int = status.HTTP_200_OK) -> Response:
        study = selectors.study_get(workspace=self.workspace, pk=study.pk) or study
        context = {"progress": selectors.study_progress(study=study)}
        return Response(StudyDetailSerializer(study, context=context).data, status=code)

    @extend_schema(responses={200: StudyDetailSerializer})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The study with its questions and per-segment progress."""
        return self._detail(self.get_object())

    @extend_schema(request=StudyWriteSerializer, responses={201: StudyDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = StudyWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        study = services.study_create(workspace=self.workspace, **data.validated_data)
        return self._detail(study, status.HTTP_201_CREATED)

    @extend_schema(request=StudyWriteSerializer, responses={200: StudyDetailSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change fields; `questions`, when given, is the whole new list (matched by key)."""
        study = self.get_object()
        data = StudyWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        study = services.study_update(study=study, **data.validated_data)
        return self._detail(study)

    @extend_schema(request=StudyWriteSerializer, responses={200: StudyDetailSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def perform_destroy(self, instance: Study) -> None:
        services.study_delete(study=instance)

    @extend_schema(
        responses={200: StudyTemplateSerializer(many=True)},
        description="Study templates for the common segment questions, each with an "
        "objective and a question guide ready to POST (not paginated: a short catalog).",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="templates",
        filter_backends=[],
        pagination_class=None,
    )
    def templates(self, request: Request) -> Response:
        return Response(StudyTemplateSerializer(guides.template_list(), many=True).data)

    @extend_schema(
        request=DraftRequestSerializer,
        responses={200: DraftSerializer},
        description="Draft a study for an objective and segments, not saved: the "
        "configured language model writes the question guide; without one, or when its "
        "guide is not valid, the best-matching template fills it (`source`, `reason`).",
    )
    @action(detail=False, methods=["post"], url_path="draft", filter_backends=[])
    def draft(self, request: Request) -> Response:
        data = DraftRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        segments = guides.draft_segments(
            workspace=self.workspace, segment_ids=data.validated_data["segments"]
        )
        draft = guides.draft_guide(objective=data.validated_data["objective"], segments=segments)
        return Response(DraftSerializer(draft).data)

    @extend_schema(request=None, responses={200: LaunchResultSerializer})
    @action(detail=True, methods=["post"], url_path="launch")
    def launch(self, request: Request, pk: str | None = None) -> Response:
        """Invite the current members of the target segments (quota, recontact, opt-outs)."""
        result = services.study_launch(study=self.get_object())
        study = selectors.study_get(workspace=self.workspace, pk=result.study.pk)
        body = {"study": study, "invited": result.invited, "segments": result.segments}
        return Response(LaunchResultSerializer(body).data)

    @extend_schema(request=None, responses={200: StudyDetailSerializer})
    @action(detail=True, methods=["post"], url_path="pause")
    def pause(self, request: Request, pk: str | None = None) -> Response:
        return self._detail(services.study_pause(study=self.get_object()))

    @extend_schema(request=None, responses={200: StudyDetailSerializer})
    @action(detail=True, methods=["post"], url_path="resume")
    def resume(self, request: Request, pk: str | None = None) -> Response:
        return self._detail(services.study_resume(study=self.get_object()))

    @extend_schema(request=None, responses={200: StudyDetailSerializer})
    @action(detail=True, methods=["post"], url_path="close")
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._detail(services.study_close(study=self.get_object()))

    @extend_schema(
        methods=["GET"],
        parameters=[
            OpenApiParameter("status", str, enum=InvitationStatus.values),
            OpenApiParameter("segment", int),
            OpenApiParameter(
                "format",
                str,
                enum=["json", "csv"],
                description="csv: every matching invitation (not paginated) as a CSV "
                "download, columns user_id, email, segment, url, status, expires_at.",
            ),
        ],
        responses={
            (200, "application/json"): InvitationSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="The invitation links, for a CRM."
            ),
        },
        description="The study's invitations (paginated), oldest first; with "
        "`?format=csv` (or `Accept: text/csv`), all of them as CSV, streamed, with cells "
        "escaped against spreadsheet formulas.",
    )
    @extend_schema(
        methods=["POST"],
        request=InvitationCreateSerializer,
        responses={201: InvitationCreatedSerializer},
        description="On a live study: invite the given people; those not invited are "
        "listed in `skipped` with a reason.",
    )
    @action(detail=True, methods=["get", "post"], url_path="invitations")
    def invitations(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        study = self.get_object()
        if request.method == "POST":
            data = InvitationCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            outcome = services.invitations_create(
                study=study,
                user_ids=data.validated_data["user_ids"],
                segment_id=data.validated_data.get("segment"),
                create_unknown=data.validated_data["create_unknown"],
            )
            body = {"invitations": outcome.invitations, "skipped": outcome.skipped}
            return Response(InvitationCreatedSerializer(body).data, status=status.HTTP_201_CREATED)
        filters = InvitationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        chosen = {
            "status": filters.validated_data.get("status"),
            "segment_id": filters.validated_data.get("segment"),
        }
        if request.accepted_renderer.format == InvitationCSVRenderer.format:
            return self._invitations_csv(study, **chosen)
        rows = selectors.invitation_list(study=study, **chosen)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(InvitationSerializer(page, many=True).data)

    def _invitations_csv(self, study: Study, **chosen: Any) -> StreamingHttpResponse:
        response = StreamingHttpResponse(
            exports.invitation_csv(study=study, **chosen), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{exports.csv_filename(study)}"'
        return response

    @extend_schema(
        responses={200: AccountCoverageSerializer(many=True)},
        description="Buying committees: the accounts with at least one completed interview "
        "(paginated, most completed first), with the roles their respondents cover.",
    )
    @action(detail=True, methods=["get"], url_path="coverage", filter_backends=[])
    def coverage(self, request: Request, pk: str | None = None) -> Response:
        study = self.get_object()
        page = self.paginate_queryset(selectors.coverage_accounts(study=study))
        rows = selectors.coverage(study=study, accounts=page or [])
        return self.get_paginated_response(AccountCoverageSerializer(rows, many=True).data)

    @extend_schema(responses={200: QuestionRevisionSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="revisions")
    def revisions(self, request: Request, pk: str | None = None) -> Response:
        """Wording changes made to the study's questions after launch, oldest first."""
        page = self.paginate_queryset(selectors.question_revisions(study=self.get_object()))
        return self.get_paginated_response(QuestionRevisionSerializer(page, many=True).data)
