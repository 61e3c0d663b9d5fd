"""Workspace-scoped API views get a typed request (`WorkspaceApiRequest`) that carries the
workspace and the caller's role, set by the permission before the view runs."""

from __future__ import annotations

import pytest
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from workspaces.models import Role, Workspace
from workspaces.requests import WorkspaceApiRequest
from workspaces.scoping import WorkspaceAPIView, WorkspaceViewSet


class ProbeView(WorkspaceAPIView):
    queryset = Workspace.objects.all()

    def get(self, request: Request) -> Response:
        return Response(_seen(self.request))


class ProbeViewSet(WorkspaceViewSet):
    queryset = Workspace.objects.all()

    def list(self, request: Request) -> Response:
        return Response({**_seen(self.request), "action": self.action})


def _seen(request: WorkspaceApiRequest) -> dict[str, object]:
    return {"type": type(request).__name__, "workspace": request.workspace.pk, "role": request.role}


@pytest.mark.parametrize(
    "view,extra",
    [(ProbeView.as_view(), {}), (ProbeViewSet.as_view({"get": "list"}), {"action": "list"})],
)
def test_a_scoped_view_reads_the_workspace_and_role_from_its_typed_request(
    workspace, full_key, view, extra
):
    request = APIRequestFactory().get("/probe", HTTP_AUTHORIZATION=f"Bearer {full_key}")

    response = view(request)

    assert response.status_code == 200
    assert response.data == {
        "type": "WorkspaceApiRequest",
        "workspace": workspace.pk,
        "role": Role.RESEARCHER,
        **extra,
    }


def test_a_session_member_gets_their_role(workspace, owner):
    request = APIRequestFactory().get("/probe")
    request.session = {}  # no workspace chosen: the member's first
    force_authenticate(request, user=owner)

    response = ProbeView.as_view()(request)

    assert response.data["role"] == Role.OWNER
    assert response.data["workspace"] == workspace.pk
