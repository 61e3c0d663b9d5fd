"""The ingestion route (segments.wsgi): served below Django's handler, answering as Django would.

test_ingestion_api.py runs every ingestion test through the route as well (its
`client` fixture), and checks there that the route served every good call.
These tests are about the route's own edges: the headers its answers carry,
the calls it must leave to Django, errors, signals and the production entry
point under gunicorn.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core import checks
from django.core.signals import request_finished, request_started
from django.db import connection
from django.test import override_settings

from segments.models import Event
from segments.wsgi import IngestionRoute, check_ingestion_route
from tests.conftest import bearer_client
from tests.routing import routed_bearer_client
from tests.worker import redis_url

pytestmark = pytest.mark.django_db
BATCH = "/api/v1/ingest/batch"
TRACK = "/api/v1/ingest/track"
ROOT = Path(__file__).resolve().parents[2]
BAD_BOTS = [re.compile(r"^BadBot")]


def batch(*message_ids: str) -> dict:
    return {
        "batch": [
            {"type": "track", "userId": "u_1", "event": "Signed Up", "messageId": m}
            for m in message_ids
        ]
    }


def both(ingest_key: str, path: str, body: dict, **extra):
    """The same call through Django's handler and through the route (fresh messageIds)."""
    django = bearer_client(ingest_key).post(path, body, format="json", **extra)
    renamed = json.loads(json.dumps(body).replace('"m-', '"r-'))
    routed = routed_bearer_client(ingest_key).post(path, renamed, format="json", **extra)
    return django, routed


def headers(response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.items()}


@pytest.mark.parametrize(
    "extra",
    [{}, {"HTTP_X_FORWARDED_PROTO": "https"}, {"HTTP_X_FORWARDED_PROTO": "http"}],
    ids=["plain", "https-behind-proxy", "http-behind-proxy"],
)
@override_settings(
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_HSTS_SECONDS=3600,
    SECURE_HSTS_PRELOAD=True,
    SECURE_REFERRER_POLICY="same-origin",
    X_FRAME_OPTIONS="DENY",
)
def test_the_route_answers_with_django_s_status_body_and_headers(ingest_key, extra):
    django, routed = both(ingest_key, BATCH, batch("m-1", "m-2"), **extra)
    assert (routed.routed, django.routed if hasattr(django, "routed") else False) == (True, False)
    assert routed.status_code == django.status_code == 200
    assert routed.json() == django.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert headers(routed) == headers(django)
    secure = extra.get("HTTP_X_FORWARDED_PROTO") == "https"
    assert ("strict-transport-security" in headers(routed)) is secure
    assert headers(routed)["x-content-type-options"] == "nosniff"
    assert Event.objects.count() == 4


def test_single_item_endpoints_are_routed_too(ingest_key):
    client = routed_bearer_client(ingest_key)
    item = {"userId": "u_1", "event": "Signed Up", "messageId": "t-1"}
    response = client.post(TRACK, item, format="json")
    assert response.routed and response.json()["accepted"] == 1
    response = client.post(
        "/api/v1/ingest/identify", {"userId": "u_1", "traits": {"plan": "pro"}}, format="json"
    )
    assert response.routed and response.json()["accepted"] == 1


@pytest.mark.parametrize(
    ("settings_", "extra", "status"),
    [
        # A call carrying a cookie: the session/CSRF middleware may have work to do.
        ({}, {"HTTP_COOKIE": "sessionid=abc"}, 200),
        # A host ALLOWED_HOSTS refuses: Django answers 400 (and logs it as a security event).
        ({}, {"HTTP_HOST": "evil.example"}, 400),
        # HTTPS required and the call came over plain HTTP: Django redirects.
        ({"SECURE_SSL_REDIRECT": True}, {}, 301),
        ({"PREPEND_WWW": True}, {}, 301),
        (
            {"DISALLOWED_USER_AGENTS": [re.compile(r"^BadBot")]},
            {"HTTP_USER_AGENT": "BadBot/1"},
            403,
        ),
        # Django refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE before the view reads them.
        ({"DATA_UPLOAD_MAX_MEMORY_SIZE": 50}, {}, 400),
    ],
    ids=["cookie", "host", "ssl-redirect", "prepend-www", "user-agent", "upload-limit"],
)
def test_calls_django_s_stack_would_treat_otherwise_go_to_django(
    ingest_key, settings_, extra, status
):
    with override_settings(**settings_):
        response = routed_bearer_client(ingest_key).post(
            BATCH, batch("m-1"), format="json", **extra
        )
    assert response.routed is False
    assert response.status_code == status
    assert Event.objects.count() == (1 if status == 200 else 0)


def test_with_atomic_requests_django_serves_the_call(ingest_key, monkeypatch):
    # Django would run the view in a transaction; the route leaves it to Django.
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    response = routed_bearer_client(ingest_key).post(BATCH, batch("m-1"), format="json")
    assert (response.routed, response.status_code) == (False, 200)
    assert Event.objects.count() == 1


@override_settings(
    SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
def test_with_https_required_a_call_over_https_is_routed(ingest_key):
    response = routed_bearer_client(ingest_key).post(
        BATCH, batch("m-1"), format="json", HTTP_X_FORWARDED_PROTO="https"
    )
    assert response.routed and response.status_code == 200


def test_a_declined_call_reaches_django_with_its_body_intact(ingest_key):
    # The route reads the body (good key, size within limits), the item is rejected:
    # Django must see the same bytes to explain why.
    client = routed_bearer_client(ingest_key)
    response = client.post(TRACK, {"userId": "u_1", "messageId": "t-1"}, format="json")
    assert (response.routed, response.status_code) == (False, 400)
    assert "event" in response.json()["error"]
    response = client.post(BATCH, b'{"batch": [', content_type="application/json")
    assert (response.routed, response.status_code) == (False, 400)
    assert "Malformed JSON" in response.json()["error"]
    assert Event.objects.count() == 0


def test_an_unknown_middleware_turns_the_route_off(ingest_key, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.segments.test_ingestion_route.Stamp"]
    assert [m.id for m in check_ingestion_route()] == ["segments.W001"]
    client = routed_bearer_client(ingest_key)
    response = client.post(BATCH, batch("m-1"), format="json")
    assert response.routed is False
    assert (response.status_code, response["X-Stamp"]) == (200, "yes")


def test_the_check_is_quiet_with_the_project_s_middleware():
    assert check_ingestion_route() == []
    assert not [m for m in checks.run_checks() if m.id == "segments.W001"]


class Stamp:
    """A middleware the route knows nothing about."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Stamp"] = "yes"
        return response


def test_an_error_while_storing_is_answered_as_django_answers_it(ingest_key, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("segments.api.ingest_items", broken)
    answers = []
    for client in (bearer_client(ingest_key), routed_bearer_client(ingest_key)):
        client.raise_request_exception = False
        with caplog.at_level("ERROR", logger="django.request"):
            answers.append(client.post(BATCH, batch("m-1"), format="json"))
    django, routed = answers
    assert getattr(routed, "routed", None) is True
    assert routed.status_code == django.status_code == 500
    assert routed.json() == django.json()
    assert headers(routed)["x-frame-options"] == "DENY"
    assert headers(routed)["x-content-type-options"] == "nosniff"
    # Logged on django.request with the traceback, once per call.
    logged = [r for r in caplog.records if r.name == "django.request"]
    assert len(logged) == 2 and all(r.exc_info for r in logged)


def test_request_signals_are_sent_once_per_call(ingest_key):
    seen: list[str] = []

    def started(**kwargs):
        seen.append("started")

    def finished(**kwargs):
        seen.append("finished")

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        client = routed_bearer_client(ingest_key)
        assert client.post(BATCH, batch("m-1"), format="json").routed
        assert seen == ["started", "finished"]
        seen.clear()
        # Declined after reading the body: the route's own request ends, Django's begins.
        response = client.post(TRACK, {"userId": "u_1"}, format="json")
        assert response.routed is False
        assert seen == ["started", "finished", "started", "finished"]
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)


def test_other_methods_and_urls_pass_through(ingest_key, full_key):
    client = routed_bearer_client(ingest_key)
    assert client.get(BATCH).routed is False
    assert routed_bearer_client(full_key).get("/api/v1/workspace/").status_code == 200
    route = IngestionRoute(lambda environ, start_response: [])
    assert set(route.routes()) == {
        "/api/v1/ingest/batch",
        "/api/v1/ingest/track",
        "/api/v1/ingest/identify",
        "/api/v1/ingest/group",
    }


def test_the_production_entry_point_is_the_route_in_front_of_django():
    from django.core.handlers.wsgi import WSGIHandler

    from config import wsgi

    assert isinstance(wsgi.application, IngestionRoute)
    assert isinstance(wsgi.application.application, WSGIHandler)


@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi"])
def test_the_entry_points_load_the_urlconf_as_a_worker_boots(entry_point):
    """Not in the first request: that took a gunicorn worker ~4 s of CPU (scikit-learn, SciPy)."""
    probe = (
        f"import sys, {entry_point} as entry; "
        "route = getattr(entry.application, '_routes', 'no route'); "
        "print(sorted(m for m in ('config.urls', 'segments.segment_api', 'sklearn') "
        "if m in sys.modules), route if route == 'no route' else sorted(route or {}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    loaded, routes = done.stdout.strip().split("] ", 1)
    assert loaded == "['config.urls', 'segments.segment_api', 'sklearn'"
    if entry_point == "config.wsgi":
        assert routes == str(
            sorted([BATCH, TRACK, "/api/v1/ingest/identify", "/api/v1/ingest/group"])
        )
    else:
        assert routes == "no route"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_ingestion_through_the_route(ingest_key):
    """config.wsgi under gunicorn, as production runs it: the route answers, the rows land."""
    if connection.vendor != "postgresql":
        pytest.skip("the gunicorn process needs a database it can share (PostgreSQL)")
    db = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "test-only-not-a-secret-0123456789abcdef0123456789abcdef",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        # The debounced segment refresh after ingestion publishes to the broker.
        "REDIS_URL": redis_url(),
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-w", "1",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "no gunicorn"
                time.sleep(0.2)
        body = json.dumps(batch("g-1", "g-2")).encode()
        request = (
            f"POST {BATCH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {ingest_key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(request)
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
        head, _, payload = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK"), raw[:300]
        assert json.loads(payload) == {"accepted": 2, "duplicates": 0, "rejected": []}
        assert b"X-Content-Type-Options: nosniff" in head
        assert set(Event.objects.values_list("message_id", flat=True)) == {"g-1", "g-2"}
    finally:
        server.terminate()
        server.wait(timeout=30)
