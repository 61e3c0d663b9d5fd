"""The typed DRF request of a workspace-scoped API view."""

from __future__ import annotations

from rest_framework.request import Request

from workspaces.models import Workspace


class WorkspaceApiRequest(Request):
    """The DRF request of a workspace-scoped view (`workspaces.scoping.WorkspaceScoped`):
    the permission (`workspaces.permissions.IsWorkspaceMember`) sets the workspace and
    the caller's role before the view runs, so views and filters read them typed."""

    workspace: Workspace
    role: str
