"""The production entry points: what a gunicorn worker loads as it boots, and what it serves."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

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


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_ingestion(ingest_key):
    """config.wsgi under gunicorn, as production runs it: Django answers, the rows land."""
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
