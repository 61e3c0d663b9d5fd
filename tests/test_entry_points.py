"""The production entry points: what a gunicorn worker loads as it boots, and what it serves."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from people.models import Event
from tests.worker import redis_url

BATCH = "/api/v1/ingest/batch"
ROOT = Path(__file__).resolve().parents[1]


def batch(*message_ids: str) -> dict:
    return {
        "batch": [
            {"type": "track", "userId": "u_1", "event": "Signed Up", "messageId": m}
            for m in message_ids
        ]
    }


@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi"])
def test_the_entry_points_load_the_urlconf_as_a_worker_boots(entry_point):
    """Not in the first request: that took a gunicorn worker ~4 s of CPU (scikit-learn, SciPy)."""
    probe = (
        f"import sys, {entry_point} as entry; "
        "print(sorted(m for m in ('config.urls', 'segments.api', 'sklearn') if m in sys.modules))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "['config.urls', 'segments.api', 'sklearn']"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(entry_point: str, settings: str) -> Iterator[int]:
    """gunicorn serving `entry_point` on a free loopback port, as production runs it."""
    db = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": settings,
        "SECRET_KEY": "test-only-not-a-secret-0123456789abcdef0123456789abcdef",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        # The debounced segment refresh after ingestion publishes to the broker.
        "REDIS_URL": redis_url(),
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), entry_point, "-w", "1",
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
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def send(port: int, head: str, body: bytes) -> tuple[bytes, bytes]:
    """One raw HTTP/1.1 request; the response's head and body."""
    request = f"{head}Host: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head_out, _, payload = raw.partition(b"\r\n\r\n")
    return head_out, payload


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the gunicorn process needs a database it can share (PostgreSQL)")


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_ingestion(ingest_key):
    """config.wsgi under gunicorn, as production runs it: Django answers, the rows land."""
    needs_postgresql()
    with gunicorn("config.wsgi", "config.settings.production") as port:
        body = json.dumps(batch("g-1", "g-2")).encode()
        head, payload = send(
            port,
            f"POST {BATCH} HTTP/1.1\r\nAuthorization: Bearer {ingest_key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n",
            body,
        )
    assert head.startswith(b"HTTP/1.1 200 OK"), head
    assert json.loads(payload) == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert b"X-Content-Type-Options: nosniff" in head
    assert set(Event.objects.values_list("message_id", flat=True)) == {"g-1", "g-2"}


def chunked(body: bytes, size: int = 1000) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


@pytest.mark.django_db(transaction=True)
def test_the_ingest_entry_point_under_gunicorn_stores_batches_and_serves_nothing_else(
    ingest_key,
):
    """config.ingest_wsgi: plain, gzipped and chunked batches stored; other paths 404."""
    needs_postgresql()
    auth = f"Authorization: Bearer {ingest_key}\r\nContent-Type: application/json\r\n"
    plain = json.dumps(batch("i-1")).encode()
    zipped = gzip.compress(json.dumps(batch("i-2")).encode())
    streamed = json.dumps(batch("i-3", "i-4")).encode()
    with gunicorn("config.ingest_wsgi", "config.settings.ingest") as port:
        answers = [
            send(port, f"POST {BATCH} HTTP/1.1\r\n{auth}Content-Length: {len(plain)}\r\n", plain),
            send(
                port,
                f"POST /v1/batch HTTP/1.1\r\n{auth}Content-Encoding: gzip\r\n"
                f"Content-Length: {len(zipped)}\r\n",
                zipped,
            ),
            send(
                port,
                f"POST /v1/batch/ HTTP/1.1\r\n{auth}Transfer-Encoding: chunked\r\n",
                chunked(streamed),
            ),
        ]
        missing = send(port, "GET /login/ HTTP/1.1\r\n", b"")
        schema = send(port, "GET /api/v1/schema/ HTTP/1.1\r\n", b"")
    for (head, payload), accepted in zip(answers, (1, 1, 2), strict=True):
        assert head.startswith(b"HTTP/1.1 200 OK"), head
        assert json.loads(payload) == {"accepted": accepted, "duplicates": 0, "rejected": []}
        assert b"X-Content-Type-Options: nosniff" in head
    for head, payload in (missing, schema):
        assert head.startswith(b"HTTP/1.1 404 Not Found"), head
        assert json.loads(payload) == {"error": "Not found.", "detail": {"code": "not_found"}}
    assert set(Event.objects.values_list("message_id", flat=True)) == {"i-1", "i-2", "i-3", "i-4"}


def test_the_ingest_settings_are_production_with_the_ingestion_middleware_only():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.ingest",
        "SECRET_KEY": "test-only-not-a-secret-0123456789abcdef0123456789abcdef",
        "ALLOWED_HOSTS": "ingest.example",
    }
    probe = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.ROOT_URLCONF, settings.WSGI_APPLICATION, settings.MIDDLEWARE,"
        " settings.DEBUG, settings.SECURE_SSL_REDIRECT, settings.ALLOWED_HOSTS]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    assert json.loads(done.stdout) == [
        "config.ingest_urls",
        "config.ingest_wsgi.application",
        [
            "django.middleware.security.SecurityMiddleware",
            "corsheaders.middleware.CorsMiddleware",
            "django.middleware.common.CommonMiddleware",
        ],
        False,
        True,
        ["ingest.example"],
    ]


@pytest.mark.urls("config.ingest_urls")
@pytest.mark.parametrize("url", [BATCH, "/api/v1/ingest/track/", "/v1/batch", "/v1/alias"])
def test_the_ingest_urlconf_serves_ingestion(ingest_key, url):
    body = batch("u-1") if url.endswith(("batch", "batch/")) else {
        "userId": "u_1", "event": "Signed Up", "previousId": "anon-1", "messageId": "u-1"
    }  # fmt: skip
    response = Client().post(
        url,
        body,
        content_type="application/json",
        headers={"authorization": f"Bearer {ingest_key}"},
    )
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert list(Event.objects.values_list("message_id", flat=True)) == ["u-1"]


@pytest.mark.urls("config.ingest_urls")
@pytest.mark.parametrize(
    "url", ["/", "/login/", "/admin/", "/api/v1/schema/", "/api/v1/workspace/", "/people/"]
)
def test_the_ingest_urlconf_404s_the_rest(api, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response.json() == {"error": "Not found.", "detail": {"code": "not_found"}}
