"""The ingestion route: the common ingestion call served below Django's request handler.

Ingestion takes hundreds of calls a second and each does little: for a single
`/ingest/track` event, Django's handler and middleware (request object, nine
middlewares, URL resolution, response object) cost about as much CPU as the
ingestion itself. `IngestionRoute` wraps the WSGI application and serves a
POST to one of the ingestion URLs directly, through `DirectIngestion` (the
same code the URL's view runs), when nothing Django's stack would do differs
for it:

- the Host is one ALLOWED_HOSTS accepts (Django's own `get_host()`);
- no redirect applies (SECURE_SSL_REDIRECT on a plain-HTTP request, PREPEND_WWW);
- the call carries no cookie (so the session, CSRF, auth and message middleware
  have nothing to read or write) and no user agent DISALLOWED_USER_AGENTS names;
- the declared size is within the endpoint's limit, the key is a usable
  ingest key, and the body parses into the expected shape.

Its answer carries the headers the middleware would add: they are made by
Django's own SecurityMiddleware and XFrameOptionsMiddleware, once per setting
of `is_secure()`. Every other call, and every error answer, goes to
Django unchanged (the body already read is handed on). The route switches
itself off when MIDDLEWARE holds a middleware it does not know (system check
segments.W001 says which), or when requests are atomic (ATOMIC_REQUESTS).
request_started/request_finished are sent as Django sends them, so database
connections are checked and recycled the same way. An exception while storing
is answered by Django's `response_for_exception` (logging, handler500).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import request_finished, request_started, setting_changed
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import get_resolver, resolve, reverse

from segments.api import DirectIngestion, declared_size

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# Middleware whose response headers the route adds (made by the middleware itself).
HEADER_MIDDLEWARE: dict[str, type[SecurityMiddleware] | type[XFrameOptionsMiddleware]] = {
    "django.middleware.security.SecurityMiddleware": SecurityMiddleware,
    "django.middleware.clickjacking.XFrameOptionsMiddleware": XFrameOptionsMiddleware,
}
# Middleware that does nothing to a routed call: a cookie-less, csrf-exempt POST
# to an API URL that is not a static file, on a host with no redirect.
INERT_MIDDLEWARE = {
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
}
INGESTION_URL_NAMES = ("ingest-batch", "ingest-track", "ingest-identify", "ingest-group")


def unknown_middleware() -> list[str]:
    """MIDDLEWARE entries the route cannot vouch for (it stays off while there are any)."""
    return [
        path
        for path in settings.MIDDLEWARE
        if path not in HEADER_MIDDLEWARE and path not in INERT_MIDDLEWARE
    ]


@checks.register(checks.Tags.compatibility)
def check_ingestion_route(**kwargs: Any) -> list[checks.CheckMessage]:
    unknown = unknown_middleware()
    if not unknown:
        return []
    return [
        checks.Warning(
            "The ingestion route (segments.wsgi) is off: it does not know what "
            f"{', '.join(unknown)} would do to an ingestion call.",
            hint="Ingestion still works, through Django's full stack and a little slower. "
            "If the middleware does nothing to a cookie-less API POST, add it to "
            "segments.wsgi.INERT_MIDDLEWARE.",
            id="segments.W001",
        )
    ]


class _EnvironRequest(HttpRequest):
    """A bare request over a WSGI environ: Django's own answers to `get_host()` and
    `is_secure()` (proxy headers, forwarded host and port included), without the rest
    of WSGIRequest (path decoding, body stream)."""

    def __init__(self, environ: dict[str, Any]) -> None:
        super().__init__()
        self.META = environ

    def _get_scheme(self) -> str:
        return str(self.META.get("wsgi.url_scheme", "http"))

    def host_allowed(self) -> bool:
        try:
            self.get_host()
        except DisallowedHost:
            return False
        return True


def _never_called(request: Any) -> HttpResponse:
    raise AssertionError("only the middleware's process_response is used")


@cache
def middleware_headers(secure: bool) -> tuple[tuple[str, str], ...]:
    """The headers MIDDLEWARE's header middleware adds to an answer (made by them)."""
    response = HttpResponse(content_type="application/json")
    probe = _EnvironRequest({"wsgi.url_scheme": "https" if secure else "http"})
    for path in settings.MIDDLEWARE:
        middleware = HEADER_MIDDLEWARE.get(path)
        if middleware is not None:
            response = middleware(_never_called).process_response(probe, response)
    return tuple((name, value) for name, value in response.items() if name != "Content-Type")


def _clear_caches(**kwargs: Any) -> None:
    middleware_headers.cache_clear()


setting_changed.connect(_clear_caches)


def _plain(request: _EnvironRequest, path: str) -> bool:
    """Nothing in Django's stack would redirect, refuse or read the call: see the module."""
    if request.META.get("HTTP_COOKIE") or not request.host_allowed():
        return False
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        exempt = path.lstrip("/")
        if not any(re.search(pattern, exempt) for pattern in settings.SECURE_REDIRECT_EXEMPT):
            return False
    if settings.PREPEND_WWW and not request.get_host().startswith("www."):
        return False
    if settings.DISALLOWED_USER_AGENTS:
        return False
    return not any(db.get("ATOMIC_REQUESTS") for db in connections.settings.values())


class _Answer:
    """The answer's body; closing it ends the request as Django's response does."""

    def __init__(self, body: bytes, sender: type) -> None:
        self.body, self.sender = body, sender

    def __iter__(self) -> Iterator[bytes]:
        yield self.body

    def close(self) -> None:
        request_finished.send(sender=self.sender)


class IngestionRoute:
    """WSGI middleware in front of Django's handler for the ingestion calls (see the module)."""

    def __init__(self, application: WSGIApp) -> None:
        self.application = application
        self._routes: dict[str, DirectIngestion] | None = None

    def routes(self) -> dict[str, DirectIngestion]:
        """PATH_INFO -> the endpoint's DirectIngestion; empty while the route is off."""
        if self._routes is None:
            routes = {}
            # (Under STATIC_URL, WhiteNoise would look for a file first.)
            static = urlsplit(settings.STATIC_URL or "/static/").path
            if not unknown_middleware():
                for name in INGESTION_URL_NAMES:
                    path = reverse(name)
                    if not path.startswith(static):
                        routes[path] = resolve(path).func.direct  # type: ignore[attr-defined]
            self._routes = routes
        return self._routes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            path = environ.get("PATH_INFO", "")
            direct = self.routes().get(path)
            if direct is not None:
                request = _EnvironRequest(environ)
                if _plain(request, path):
                    answer = self._serve(direct, request, start_response)
                    if answer is not None:
                        return answer
        return self.application(environ, start_response)

    def _serve(
        self, direct: DirectIngestion, request: _EnvironRequest, start_response: StartResponse
    ) -> Iterable[bytes] | None:
        environ = request.META
        size = declared_size(environ)
        most = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if most is not None and size > most:
            return None  # Django refuses it (RequestDataTooBig)
        request_started.send(sender=type(self), environ=environ)
        body = b""
        try:
            key = direct.key(environ.get("HTTP_AUTHORIZATION", ""), size)
            if key is not None:
                body = environ["wsgi.input"].read(size)
                answer = direct.answer(key, body)
                if answer is not None:
                    start_response(
                        "200 OK",
                        [
                            ("Content-Type", "application/json"),
                            ("Content-Length", str(len(answer))),
                            *direct.headers,
                            *middleware_headers(request.is_secure()),
                        ],
                    )
                    return _Answer(answer, type(self))
        except Exception as exc:  # answered as Django answers any view's error
            _hand_on(environ, body)
            return self._error(exc, environ, start_response)
        # Declined: Django serves the call, as a request of its own.
        request_finished.send(sender=type(self))
        if key is not None:
            _hand_on(environ, body)
        return None

    def _error(
        self, exc: Exception, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        request = WSGIRequest(environ)
        response: HttpResponseBase = response_for_exception(request, exc)
        for name, value in middleware_headers(request.is_secure()):
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Length", str(len(getattr(response, "content", b""))))
        response._handler_class = type(self)  # type: ignore[attr-defined]
        start_response(
            f"{response.status_code} {response.reason_phrase}",
            [
                *response.items(),
                *(("Set-Cookie", c.output(header="")) for c in response.cookies.values()),
            ],
        )
        return response  # type: ignore[return-value]


def load_urlconf(route: IngestionRoute | None = None) -> None:
    """Import the URLconf, and with it every view module, now rather than in the first request.

    Django loads the URLconf lazily, in a process's first request, and the views
    import scikit-learn and SciPy (segment clusters and statistics): ~4 s of CPU
    for the first call each gunicorn worker served (py-spy, 2026-11-29). The
    entry points call this as a worker boots, so a restart no longer costs the
    first callers of each worker seconds, and an import error fails the boot
    instead of that request. With `route`, its route table is built too.
    """
    get_resolver().url_patterns  # noqa: B018 - evaluating it imports the URLconf
    if route is not None:
        route.routes()


def _hand_on(environ: dict[str, Any], body: bytes) -> None:
    """Give Django the body the route read, as if it were still unread."""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
