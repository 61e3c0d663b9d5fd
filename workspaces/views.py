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
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from workspaces import key_examples, selectors, services, signin_throttle
from workspaces.forms import (
    AcceptInviteForm,
    ApiKeyForm,
    InviteForm,
    NewWorkspaceForm,
    WorkspaceForm,
)
from workspaces.models import ApiKey, MemberInvite, Role
from workspaces.untrusted import parse_id
from workspaces.web import WorkspaceRequest, member_required, post_only


@member_required()
def home(request: WorkspaceRequest) -> HttpResponse:
    return redirect("segments:list")


# The raw key of a key just created, kept in the session for the one page view
# after the redirect that shows it (popped there): a refresh never mints another.
NEW_KEY_SESSION = "motive_new_api_key"


def _settings_context(request: WorkspaceRequest, **extra: object) -> dict[str, object]:
    workspace = request.workspace
    context: dict[str, object] = {
        "nav": "settings",
        "workspace_form": WorkspaceForm(instance=workspace, auto_id="workspace_%s"),
        "key_form": ApiKeyForm(auto_id="key_%s"),
        "invite_form": InviteForm(auto_id="invite_%s"),
        "api_keys": selectors.api_key_list(workspace=workspace),
        "members": selectors.member_list(workspace=workspace),
        "invites": selectors.open_invite_list(workspace=workspace),
        "is_owner": request.membership.role == "owner",
    }
    context.update(extra)
    return context


def _new_key_context(request: WorkspaceRequest) -> dict[str, object]:
    """The key created just before the redirect here, with its curl example; shown once."""
    new = request.session.pop(NEW_KEY_SESSION, None)
    if not isinstance(new, dict):
        return {}
    key_id, raw = new.get("id"), new.get("raw")
    if not isinstance(key_id, int) or not isinstance(raw, str):
        return {}
    key = ApiKey.objects.filter(pk=key_id, workspace=request.workspace).first()
    if key is None:
        return {}
    return {
        "new_key": raw,
        "new_key_obj": key,
        "new_key_curl": key_examples.curl_example(
            base_url=request.build_absolute_uri("/"), scope=key.scope, raw_key=raw
        ),
    }


@member_required(owner=True)
def settings_page(request: WorkspaceRequest) -> HttpResponse:
    if request.method == "POST":
        form = WorkspaceForm(request.POST, instance=request.workspace, auto_id="workspace_%s")
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
    shown = _new_key_context(request)
    response = render(request, "workspaces/settings.html", _settings_context(request, **shown))
    if shown:
        # The page holding a secret is not kept by the browser or any cache.
        add_never_cache_headers(response)
        response["Cache-Control"] += ", no-store"
    return response


@post_only("settings")
@member_required(owner=True)
def api_key_create(request: WorkspaceRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST, auto_id="key_%s")
    if not form.is_valid():
        return render(
            request,
            "workspaces/settings.html",
            _settings_context(request, key_form=form),
            status=400,
        )
    key, raw = services.api_key_create(
        workspace=request.workspace,
        name=form.cleaned_data["name"],
        scope=form.cleaned_data["scope"],
        created_by=request.user,  # type: ignore[arg-type]
    )
    request.session[NEW_KEY_SESSION] = {"id": key.pk, "raw": raw}
    return redirect(reverse("settings") + "#new-key")


@member_required(owner=True)
def api_key_revoke(request: WorkspaceRequest, key_id: int) -> HttpResponse:
    """GET: what revoking this key means, and a confirmation; POST: revoke it."""
    key = get_object_or_404(ApiKey, pk=key_id, workspace=request.workspace)
    if request.method == "POST":
        services.api_key_revoke(key=key)
        messages.success(request, f"Key {key.prefix}… revoked. Requests using it now get 401.")
        return redirect("settings")
    if request.membership.role != Role.OWNER:
        # The decorator guards the POST; the question is not worth asking a non-owner.
        return render(request, "workspaces/forbidden.html", {"needed": "owner"}, status=403)
    if not key.is_active:
        messages.info(request, f"Key {key.prefix}… is already revoked.")
        return redirect("settings")
    return render(request, "workspaces/key_revoke.html", {"key": key, "nav": "settings"})


@post_only("settings")
@member_required(owner=True)
def member_invite(request: WorkspaceRequest) -> HttpResponse:
    form = InviteForm(request.POST, auto_id="invite_%s")
    if form.is_valid():
        try:
            services.member_invite(
                workspace=request.workspace,
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


@post_only("settings")
@member_required(owner=True)
def member_invite_revoke(request: WorkspaceRequest, invite_id: int) -> HttpResponse:
    invite = get_object_or_404(MemberInvite, pk=invite_id, workspace=request.workspace)
    services.member_invite_revoke(invite=invite)
    messages.success(request, f"Invitation to {invite.email} withdrawn.")
    return redirect("settings")


@post_only("home")
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
