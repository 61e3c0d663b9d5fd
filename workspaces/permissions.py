"""Who may call an API view: resolves the request's workspace and role."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from workspaces.models import WRITE_ROLES, ApiKey, KeyScope, Role
from workspaces.requests import WorkspaceApiRequest
from workspaces.selectors import current_membership


def resolve_workspace(request: Request) -> str:
    """The caller's role in the request's workspace, from the key or the session; a
    workspace-scoped view's request (`WorkspaceApiRequest`) also carries both."""
    role: str
    if isinstance(request.auth, ApiKey):
        workspace, role = request.auth.workspace, Role.RESEARCHER
    else:
        membership = current_membership(request._request)
        if membership is None:
            raise exceptions.PermissionDenied("You are not a member of any workspace.")
        workspace, role = membership.workspace, membership.role
    if isinstance(request, WorkspaceApiRequest):
        request.workspace, request.role = workspace, role
    return role


class IsWorkspaceMember(permissions.BasePermission):
    """Members read; owners, researchers and full keys write; ingest keys only ingest."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated(
                "Authentication required: send `Authorization: Bearer <api key>` or log in."
            )
        ingest_only = isinstance(request.auth, ApiKey) and request.auth.scope == KeyScope.INGEST
        # The ingestion endpoints are plain Django views (people/api.py): no DRF view
        # takes an ingest key.
        if ingest_only:
            raise exceptions.PermissionDenied(
                "This API key has the ingest scope and may only call /api/v1/ingest/ "
                "endpoints. Use a key with the full scope."
            )
        role = resolve_workspace(request)
        if request.method not in permissions.SAFE_METHODS:
            self.check_write(request, role)
        return True

    def check_write(self, request: Request, role: str) -> None:
        if role not in WRITE_ROLES:
            raise exceptions.PermissionDenied("Viewers can read this workspace but not change it.")


class IsWorkspaceOwner(IsWorkspaceMember):
    """Owners only for writes (keys, members); reads as for any member."""

    def check_write(self, request: Request, role: str) -> None:
        super().check_write(request, role)
        if isinstance(request.auth, ApiKey):
            raise exceptions.PermissionDenied(
                "API keys cannot manage keys or members; a workspace owner does this in Settings."
            )
        if role != Role.OWNER:
            raise exceptions.PermissionDenied("Only workspace owners can do this.")
