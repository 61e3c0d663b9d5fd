"""Helpers for the web UI: the member-only and POST-only view decorators."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django_htmx.middleware import HtmxDetails

from workspaces.models import WRITE_ROLES, Membership, Role, Workspace
from workspaces.selectors import current_membership

View = Callable[..., HttpResponseBase]


class WorkspaceRequest(HttpRequest):
    """A request `member_required` let through: the member's workspace and membership.

    Views behind the decorator take this type, so `request.workspace` is checked."""

    workspace: Workspace
    membership: Membership
    htmx: HtmxDetails  # set by django_htmx's middleware on every request


def member_required(*, write: bool = False, owner: bool = False) -> Callable[[View], View]:
    """Log in, resolve the current workspace; `write`/`owner` demand that role for POSTs."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = current_membership(request)
            if membership is None:
                return render(request, "workspaces/no_workspace.html", status=403)
            resolved = cast(WorkspaceRequest, request)
            resolved.membership = membership
            resolved.workspace = membership.workspace
            if request.method == "POST":
                allowed = (
                    membership.role == Role.OWNER
                    if owner
                    else (membership.role in WRITE_ROLES if write else True)
                )
                if not allowed:
                    return render(
                        request,
                        "workspaces/forbidden.html",
                        {"needed": "owner" if owner else "researcher"},
                        status=403,
                    )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def post_only(page: str, *forwarded: str) -> Callable[[View], View]:
    """A URL that changes something: POST does it; a GET or HEAD (a refresh after a
    redirect, a bookmark, a pasted link) goes to the page it belongs to instead of a
    blank 405. `forwarded` names the URL arguments that page takes too."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method in {"GET", "HEAD"}:
                return redirect(page, **{name: kwargs[name] for name in forwarded})
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
