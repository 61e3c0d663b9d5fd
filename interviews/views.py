"""The respondent's page `/i/<token>/`: consent, then one step at a time, then thanks.

Plain forms that POST and redirect (no JavaScript needed); with htmx the form swaps
the conversation in place and focus moves to the new question. The token is the
credential, so the posts are not CSRF-checked by token but by origin: a post whose
`Origin` (or, without one, `Referer`) is another site's is refused with a page that
says why. The page is in the study's language.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from interviews import forms, messages, ratelimit, selectors, services
from interviews.models import Interview
from interviews.state import Screen, interview_state, screen_of
from workspaces.untrusted import MAX_ID


def allowed_origins(request: HttpRequest) -> set[str]:
    """This site as the browser sees it, and the configured public and base addresses."""
    origins = {f"{request.scheme}://{request.get_host()}"}
    for url in (
        settings.MOTIVE_PUBLIC_URL,
        settings.MOTIVE_BASE_URL,
        *settings.CSRF_TRUSTED_ORIGINS,
    ):
        parts = urlsplit(url)
        if parts.scheme and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return origins


def foreign_origin(request: HttpRequest) -> bool:
    """Whether a browser says this post comes from another site's page."""
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        referer = request.META.get("HTTP_REFERER")
        if not referer:
            return False  # not a browser's cross-site post (browsers send Origin on POST)
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin not in allowed_origins(request)


def _headers(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    # The URL holds the credential, so no other site may see it; but "no-referrer" also
    # makes browsers send `Origin: null` with the page's own form posts, which the
    # origin check must refuse. "same-origin" keeps the address at home and the origin.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


def _unavailable(
    request: HttpRequest, code: str, status: int, *, language: str | None = None, **extra: Any
) -> HttpResponse:
    with translation.override(language or "en"):
        response = render(
            request, "interviews/unavailable.html", {"code": code, **extra}, status=status
        )
    if getattr(request, "htmx", False):
        # htmx swaps only 2xx answers: reload the whole page, which says what happened.
        response["HX-Refresh"] = "true"
    return _headers(response)


def _language_of(token: str) -> str | None:
    invitation = selectors.invitation_by_token(token=token)
    return invitation.study.language if invitation is not None else None


def _refused(request: HttpRequest, token: str) -> HttpResponse | None:
    """The response when this request may not go on: rate limited or foreign origin."""
    limited = ratelimit.check(request, token)
    if limited is not None:
        response = _unavailable(
            request,
            "rate_limited",
            429,
            language=_language_of(token),
            retry_after=limited.retry_after,
        )
        response["Retry-After"] = str(limited.retry_after)
        return response
    if request.method == "POST" and foreign_origin(request):
        return _unavailable(request, "foreign_origin", 403, language=_language_of(token))
    return None


def _open(request: HttpRequest, token: str) -> Interview | HttpResponse:
    try:
        return services.interview_open(token=token)
    except services.InterviewError as exc:
        return _unavailable(request, exc.code, exc.status_code, language=_language_of(token))


def render_screen(
    request: HttpRequest,
    screen: Screen,
    *,
    post_url: str,
    error: str = "",
    submitted: dict[str, Any] | None = None,
    status: int = 200,
    preview: bool = False,
    restart_url: str = "",
) -> HttpResponse:
    """The conversation (the whole page, or the swapped part for htmx)."""
    context = {
        "screen": screen,
        "post_url": post_url,
        "error": error,
        "submitted": submitted or {},
        "preview": preview,
        "restart_url": restart_url,
    }
    template = "interviews/_conversation.html" if request.htmx else "interviews/respond.html"  # type: ignore[attr-defined]
    with translation.override(screen.language):
        # htmx swaps only 2xx responses: a form error is shown with 200 there.
        code = 200 if request.htmx and status == 400 else status  # type: ignore[attr-defined]
        response = render(request, template, context, status=code)
    return _headers(response)


@csrf_exempt  # the token is the credential; cross-site posts are refused by Origin
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    refused = _refused(request, token)
    if refused is not None:
        return refused
    opened = _open(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    interview = opened
    post_url = reverse("interviews:respond", kwargs={"token": token})
    if interview.consented_at is None and not interview.is_completed:
        with translation.override(interview.study.language):
            response = render(
                request,
                "interviews/consent.html",
                {
                    "study": interview.study,
                    "consent_url": reverse("interviews:consent", kwargs={"token": token}),
                },
            )
        return _headers(response)
    if request.method == "POST":
        return _answer(request, token, interview, post_url)
    return render_screen(request, screen_of(interview_state(interview)), post_url=post_url)


def _answer(request: HttpRequest, token: str, interview: Interview, post_url: str) -> HttpResponse:
    state = interview_state(interview)
    step = state.step
    if step is None:
        return redirect(post_url)  # completed: the thank-you page
    with translation.override(interview.study.language):
        step_id = _step_id(request.POST.get("step", ""), default=step.pk)
        try:
            value = forms.value_from_form(
                kind=step.kind, spec=step.question.as_spec(), data=request.POST
            )
            state = services.answer(token=token, step_id=step_id, value=value)
        except services.InvalidAnswer as exc:
            return render_screen(
                request,
                screen_of(state),
                post_url=post_url,
                error=messages.translated(exc.message),
                submitted=_submitted(request),
                status=400,
            )
        except services.InterviewConflict as exc:
            if exc.code != "answered":
                return _unavailable(
                    request, exc.code, exc.status_code, language=interview.study.language
                )
            interview.refresh_from_db()
            state = interview_state(interview)
        except services.InterviewError as exc:
            if exc.code != "unknown_step":  # a stale tab: show the current step
                return _unavailable(
                    request, exc.code, exc.status_code, language=interview.study.language
                )
    if request.htmx:  # type: ignore[attr-defined]
        return render_screen(request, screen_of(state), post_url=post_url)
    return redirect(post_url)


def _step_id(raw: str, *, default: int) -> int:
    """The step the form answers (the current one when the field is not an id)."""
    try:
        step_id = int(raw)
    except ValueError:
        return default
    return step_id if 0 < step_id <= MAX_ID else default


def _submitted(request: HttpRequest) -> dict[str, Any]:
    """What the respondent sent, to show again beside the error."""
    return {
        "text": request.POST.get("text", ""),
        "choice": request.POST.getlist("choice"),
        "other": request.POST.get("other", ""),
        "value": request.POST.get("value", ""),
    }


@csrf_exempt  # see respond
@require_http_methods(["POST"])
def consent(request: HttpRequest, token: str) -> HttpResponse:
    refused = _refused(request, token)
    if refused is not None:
        return refused
    opened = _open(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    services.interview_consent(interview=opened)
    return redirect(reverse("interviews:respond", kwargs={"token": token}))
