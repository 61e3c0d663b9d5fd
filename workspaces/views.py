"""Web UI for the workspace: home, settings (keys, members), switcher, invites."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from workspaces import selectors, services, signin_throttle
from workspaces.forms import (
    AcceptInviteForm,
    ApiKeyForm,
    InviteForm,
    NewWorkspaceForm,
    WorkspaceForm,
)
from workspaces.models import ApiKey, MemberInvite
from workspaces.untrusted import parse_id
from workspaces.web import member_required


@member_required()
def home(request: HttpRequest) -> HttpResponse:
    return redirect("segments:list")


def _settings_context(request: HttpRequest, **extra: object) -> dict[str, object]:
    workspace = request.workspace  # type: ignore[attr-defined]
    context: dict[str, object] = {
        "workspace_form": WorkspaceForm(instance=workspace),
        "key_form": ApiKeyForm(),
        "invite_form": InviteForm(),
        "api_keys": selectors.api_key_list(workspace=workspace),
        "members": selectors.member_list(workspace=workspace),
        "invites": selectors.open_invite_list(workspace=workspace),
        "is_owner": request.membership.role == "owner",  # type: ignore[attr-defined]
    }
    context.update(extra)
    return context


@member_required(owner=True)
def settings_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = WorkspaceForm(request.POST, instance=request.workspace)  # type: ignore[attr-defined]
        if form.is_valid():
            form.save()
            messages.success(request, "Workspace settings saved.")
            return redirect("settings")
        return render(
            request,
            "workspaces/settings.html",
            _settings_context(request, workspace_form=form),
            status=400,
        )
    return render(request, "workspaces/settings.html", _settings_context(request))


@require_POST
@member_required(owner=True)
def api_key_create(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "workspaces/settings.html",
            _settings_context(request, key_form=form),
            status=400,
        )
    key, raw = services.api_key_create(
        workspace=request.workspace,  # type: ignore[attr-defined]
        name=form.cleaned_data["name"],
        scope=form.cleaned_data["scope"],
        created_by=request.user,  # type: ignore[arg-type]
    )
    return render(
        request,
        "workspaces/settings.html",
        _settings_context(request, new_key=raw, new_key_obj=key),
    )


@require_POST
@member_required(owner=True)
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=key_id, workspace=request.workspace)  # type: ignore[attr-defined]
    services.api_key_revoke(key=key)
    messages.success(request, f"Key {key.prefix}… revoked. Requests using it now get 401.")
    return redirect("settings")


@require_POST
@member_required(owner=True)
def member_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            services.member_invite(
                workspace=request.workspace,  # type: ignore[attr-defined]
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,  # type: ignore[arg-type]
            )
        except services.ServiceError as exc:
            form.add_error("email", exc.message)
    if form.errors:
        return render(
            request,
            "workspaces/settings.html",
            _settings_context(request, invite_form=form),
            status=400,
        )
    messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
    return redirect("settings")


@require_POST
@member_required(owner=True)
def member_invite_revoke(request: HttpRequest, invite_id: int) -> HttpResponse:
    invite = get_object_or_404(MemberInvite, pk=invite_id, workspace=request.workspace)  # type: ignore[attr-defined]
    services.member_invite_revoke(invite=invite)
    messages.success(request, f"Invitation to {invite.email} withdrawn.")
    return redirect("settings")


@require_POST
@login_required
def workspace_switch(request: HttpRequest) -> HttpResponse:
    workspace_id = parse_id(request.POST.get("workspace"))
    memberships = selectors.memberships_for_user(user=request.user)
    membership = (
        memberships.filter(workspace_id=workspace_id).first() if workspace_id is not None else None
    )
    if membership is None:
        messages.error(request, "You are not a member of that workspace.")
    else:
        request.session[selectors.SESSION_WORKSPACE_KEY] = membership.workspace_id
    return redirect("home")


@login_required
def workspace_new(request: HttpRequest) -> HttpResponse:
    form = NewWorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = services.workspace_create(name=form.cleaned_data["name"], owner=request.user)  # type: ignore[arg-type]
        request.session[selectors.SESSION_WORKSPACE_KEY] = workspace.pk
        messages.success(request, f"Workspace “{workspace.name}” created.")
        return redirect("home")
    return render(
        request, "workspaces/workspace_new.html", {"form": form}, status=400 if form.errors else 200
    )


def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Join through an emailed link: the invited person accepts; newcomers set a password.

    Someone signed in under another email is told to sign out first: the link
    was sent to one address, and forwarding it must not let another account in."""
    invite = services.member_invite_find(token=token)
    if invite is None:
        return render(request, "workspaces/invite_invalid.html", status=404)
    if request.user.is_authenticated and not services.invite_is_for(
        invite=invite,
        user=request.user,  # type: ignore[arg-type]
    ):
        return render(request, "workspaces/invite_other_user.html", {"invite": invite}, status=403)
    existing = User.objects.filter(email__iexact=invite.email).first()
    form = AcceptInviteForm(request.POST or None)
    if request.method == "POST":
        user: User | None = None
        if request.user.is_authenticated:
            user = request.user  # type: ignore[assignment]
        elif existing is None and form.is_valid():
            user = services.user_get_or_create(
                email=invite.email, password=form.cleaned_data["password"]
            )
            login(request, user, backend="workspaces.auth_backends.EmailBackend")
        if user is not None:
            try:
                membership = services.member_invite_accept(token=token, user=user)
            except services.ServiceError as exc:
                messages.error(request, exc.message)
                return redirect("home")
            request.session[selectors.SESSION_WORKSPACE_KEY] = membership.workspace_id
            messages.success(request, f"Welcome to {invite.workspace.name}.")
            return redirect("home")
    return render(
        request,
        "workspaces/invite_accept.html",
        {"invite": invite, "form": form, "existing_user": existing},
    )


class SignInView(LoginView):
    """Django's login, throttled per account and per client (workspaces/signin_throttle.py).

    While a wait is due the credentials are not even checked, and the answer is
    the same whether or not the account exists: 429 with a plain message."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = str(request.POST.get("username", ""))
        wait = signin_throttle.wait_seconds(
            email=email, address=signin_throttle.client_address(request)
        )
        if wait:
            form = self.get_form_class()(request, initial={"username": email})
            context = self.get_context_data(form=form, wait_seconds=wait)
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        signin_throttle.record_success(
            email=str(form.cleaned_data.get("username", "")),
            address=signin_throttle.client_address(self.request),
        )
        return super().form_valid(form)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        signin_throttle.record_failure(
            email=str(self.request.POST.get("username", "")),
            address=signin_throttle.client_address(self.request),
        )
        return super().form_invalid(form)
