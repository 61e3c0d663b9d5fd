"""Reads for tenancy, and the resolution of a request's workspace."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from workspaces.models import ApiKey, MemberInvite, Membership, Workspace

SESSION_WORKSPACE_KEY = "motive_workspace_id"


def memberships_for_user(*, user: Any) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("workspace")
        .order_by("workspace__name", "workspace_id")
    )


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership of the session's chosen workspace, else the user's first one."""
    if hasattr(request, "_motive_membership"):
        return request._motive_membership  # type: ignore[no-any-return]
    membership = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and getattr(user, "pk", None) is not None:
        memberships = memberships_for_user(user=user)
        chosen = request.session.get(SESSION_WORKSPACE_KEY)
        if chosen is not None:
            membership = memberships.filter(workspace_id=chosen).first()
        if membership is None:
            membership = memberships.first()
    request._motive_membership = membership  # type: ignore[attr-defined]
    return membership


def api_key_list(*, workspace: Workspace) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(workspace=workspace).select_related("created_by")


def member_list(*, workspace: Workspace) -> QuerySet[Membership]:
    return Membership.objects.filter(workspace=workspace).select_related("user")


def open_invite_list(*, workspace: Workspace) -> QuerySet[MemberInvite]:
    from django.utils import timezone

    return MemberInvite.objects.filter(
        workspace=workspace,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
