"""Error pages: JSON under /api/, the product's own pages elsewhere, each with a way back."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme

from workspaces.errors import json_bad_request, json_not_found, json_server_error


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _back_url(request: HttpRequest) -> str | None:
    """The page the visitor came from, if it is one of ours (and not this one)."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer or referer == request.build_absolute_uri():
        return None
    allowed = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if allowed else None


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_bad_request(request, exception)
    # Without the request's context: a bad Host header is one way to get here.
    return HttpResponse(loader.render_to_string("400.html"), status=400)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_not_found(request, exception)
    return render(request, "404.html", {"back_url": _back_url(request)}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return json_server_error(request)
    # Without the request's context (the workspace switcher queries the database,
    # which may be what failed).
    return HttpResponse(loader.render_to_string("500.html"), status=500)
