"""A test client whose calls go through the ingestion route (segments.wsgi) first.

`RoutedClient` is DRF's APIClient with its handler put behind `IngestionRoute`,
as config/wsgi.py puts Django's handler: a call the route serves comes back as
an HttpResponse built from the route's WSGI answer (`response.routed` is True),
any other goes on to Django's test handler unchanged. Like Django's test
handler, it keeps `close_old_connections` off the request signals for the
call, so a test's transaction survives them.
"""

from __future__ import annotations

from typing import Any

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse
from django.test.client import ClientHandler
from rest_framework.test import APIClient

from segments.wsgi import IngestionRoute


class _Declined(list[bytes]):
    """What the route's inner application returns: Django's test handler served the call."""


class RoutedHandler(ClientHandler):
    def __init__(self, enforce_csrf_checks: bool = False) -> None:
        super().__init__(enforce_csrf_checks)
        self.route = IngestionRoute(self._django)
        self.response: Any = None
        # Ingestion calls Django answered 200 although the route could have served them.
        self.declined_successes: list[str] = []

    def _django(self, environ: dict[str, Any], start_response: Any) -> _Declined:
        self.response = super().__call__(environ)
        self.response.routed = False
        return _Declined()

    def __call__(self, environ: dict[str, Any]) -> Any:
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            started.update(status=status, headers=headers)

        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            answer = self.route(environ, start_response)
            if isinstance(answer, _Declined):
                path = environ.get("PATH_INFO", "")
                if (
                    self.response.status_code == 200
                    and environ.get("REQUEST_METHOD") == "POST"
                    and path in self.route.routes()
                ):
                    self.declined_successes.append(path)
                return self.response
            try:
                body = b"".join(answer)
            finally:
                answer.close()  # type: ignore[attr-defined]
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        response = HttpResponse(body, status=int(started["status"].split()[0]))
        for name in list(response.headers):
            del response.headers[name]
        for name, value in started["headers"]:
            response.headers[name] = value
        response.routed = True  # type: ignore[attr-defined]
        response.wsgi_request = None  # type: ignore[attr-defined]
        response.status_line = started["status"]  # type: ignore[attr-defined]
        return response


class RoutedClient(APIClient):
    def __init__(self, enforce_csrf_checks: bool = False, **defaults: Any) -> None:
        super().__init__(enforce_csrf_checks=enforce_csrf_checks, **defaults)
        self.handler = RoutedHandler(enforce_csrf_checks)


def routed_bearer_client(raw_key: str) -> RoutedClient:
    client = RoutedClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client
