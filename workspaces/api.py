"""REST endpoints for the workspace itself, its API keys and members."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from workspaces import services
from workspaces.models import ApiKey, Membership, Workspace
from workspaces.permissions import IsWorkspaceOwner
from workspaces.scoping import WorkspaceAPIView, WorkspaceViewSet
from workspaces.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    MemberSerializer,
    WorkspaceSerializer,
)


class CurrentWorkspaceApi(WorkspaceAPIView):
    """The workspace this key or session acts in, and the caller's role."""

    queryset = Workspace.objects.all()
    workspace_lookup = "pk"
    serializer_class = WorkspaceSerializer

    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(self.get_queryset().get()).data)


class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    """API keys: listed for members; created and revoked by owners. DELETE revokes."""

    queryset = ApiKey.objects.all()
    serializer_class = ApiKeySerializer
    permission_classes = [IsWorkspaceOwner]

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key, raw = services.api_key_create(
            workspace=self.workspace,
            name=data.validated_data["name"],
            scope=data.validated_data["scope"],
            created_by=request.user if getattr(request.user, "pk", None) else None,  # type: ignore[arg-type]
        )
        key.key = raw  # type: ignore[attr-defined]
        return Response(ApiKeyCreatedSerializer(key).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ApiKeySerializer})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = services.api_key_revoke(key=self.get_object())
        return Response(ApiKeySerializer(key).data)


class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    queryset = Membership.objects.select_related("user")
    serializer_class = MemberSerializer
