"""The one way API views reach data: every queryset filtered to the request's workspace.

Views subclass `WorkspaceAPIView` or `WorkspaceViewSet` and declare a
`queryset`; `get_queryset()` always adds the workspace filter (through
`workspace_lookup`, e.g. "segment__workspace_id", when the model reaches its workspace
through a relation),
so an object of another workspace is simply not found: 404, never 403. A
system check (`workspaces.checks`) refuses API views that bypass this.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework import generics, mixins, viewsets
from rest_framework.views import APIView

from workspaces.models import Workspace
from workspaces.requests import WorkspaceApiRequest


class WorkspaceScoped(APIView):
    """Base: `self.workspace`, and a get_queryset that cannot forget the workspace."""

    workspace_lookup: str = "workspace_id"
    request: WorkspaceApiRequest

    def initialize_request(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> WorkspaceApiRequest:
        # What DRF's does, in the typed class; a viewset's also sets `self.action`.
        super().initialize_request(request, *args, **kwargs)
        return WorkspaceApiRequest(
            request,
            parsers=self.get_parsers(),
            authenticators=self.get_authenticators(),
            negotiator=self.get_content_negotiator(),
            parser_context=self.get_parser_context(request),
        )

    @property
    def workspace(self) -> Workspace:
        return self.request.workspace

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Extra filtering or select_related; the workspace filter is applied regardless."""
        return queryset

    def get_queryset(self) -> QuerySet[Any]:
        base = super().get_queryset()  # type: ignore[misc]
        scoped = base.filter(**{self.workspace_lookup: self.workspace.pk})
        return self.scope_queryset(scoped)


class WorkspaceAPIView(WorkspaceScoped, generics.GenericAPIView):  # type: ignore[type-arg]
    pass


class WorkspaceViewSet(WorkspaceScoped, viewsets.GenericViewSet):  # type: ignore[type-arg]
    pass


class WorkspaceModelViewSet(
    WorkspaceScoped,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    pass


class WorkspaceExemptAPIView(APIView):
    """For the few endpoints whose credential is not a workspace member.

    Subclasses must say why in `workspace_exempt_reason` (e.g. the respondent's
    interview token is the credential) and scope their own lookups.
    """

    workspace_exempt_reason: str = ""


class ApiKeyView(View):
    """A plain Django view (no DRF per call) whose one credential is a workspace API key.

    For endpoints that take hundreds of calls a second (ingestion), where DRF's
    request wrapping, negotiation and rendering cost as much as the work. The
    subclass verifies the key itself and works in that key's workspace alone,
    so another workspace is unreachable by construction; `queryset` names what
    it writes (the tenant-isolation walk reads it). No CSRF: the credential is
    never a cookie, and a session is ignored.
    """

    queryset: QuerySet[Any] | None = None

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        return csrf_exempt(super().as_view(**initkwargs))


def model_of(view_class: type) -> type[Model] | None:
    queryset = getattr(view_class, "queryset", None)
    return queryset.model if queryset is not None else None
