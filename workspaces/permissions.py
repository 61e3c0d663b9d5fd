"""Who may call an API view: resolves the request's workspace and role."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from workspaces.models import WRITE_ROLES, ApiKey, KeyScope, Role
from workspaces.selectors import current_membership


def resolve_workspace(request: Request) -> None:
    """Set request.workspace and request.role from the key or the session."""
    if isinstance(request.auth, ApiKey):
        request.workspace = request.auth.workspace  # type: ignore[attr-defined]
        request.role = Role.RESEARCHER  # type: ignore[attr-defined]
        return
    membership = current_membership(request._request)
    if membership is None:
        raise exceptions.PermissionDenied("You are not a member of any workspace.")
    request.workspace = membership.workspace  # type: ignore[attr-defined]
    request.role = membership.role  # type: ignore[attr-defined]


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
        resolve_workspace(request)
        if request.method not in permissions.SAFE_METHODS and request.role not in WRITE_ROLES:  # type: ignore[attr-defined]
            raise exceptions.PermissionDenied("Viewers can read this workspace but not change it.")
        return True


class IsWorkspaceOwner(IsWorkspaceMember):
    """Owners only for writes (keys, members); reads as for any member."""

    def has_permission(self, request: Request, view: Any) -> bool:
        super().has_permission(request, view)
        if request.method in permissions.SAFE_METHODS:
            return True
        if isinstance(request.auth, ApiKey):
            raise exceptions.PermissionDenied(
                "API keys cannot manage keys or members; a workspace owner does this in Settings."
            )
        if request.role != Role.OWNER:  # type: ignore[attr-defined]
            raise exceptions.PermissionDenied("Only workspace owners can do this.")
        return True
