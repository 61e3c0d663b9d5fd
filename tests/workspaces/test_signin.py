"""Sign-in throttling, the admin switch and the proxy header switch."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from workspaces import signin_throttle

PASSWORD = "correct-horse-battery"
ROOT = Path(__file__).resolve().parents[2]


def _attempt(client: Client, email: str, password: str, **extra: str):
    return client.post("/login/", {"username": email, "password": password}, **extra)


def _fail(client: Client, email: str, times: int, **extra: str) -> None:
    for _ in range(times):
        assert _attempt(client, email, "wrong-password", **extra).status_code == 200


def _page(response, email: str) -> str:
    """The page with the typed email and the CSRF tokens (random per request) blanked."""
    return re.sub(r"[A-Za-z0-9]{64}", "T", response.content.decode().replace(email, "E"))


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by hand."""
    now = [1_000_000.0]
    monkeypatch.setattr(signin_throttle.time, "time", lambda: now[0])
    return now


def test_delays_grow_after_the_free_failures():
    free = signin_throttle.FREE_FAILURES_PER_ACCOUNT
    delays = [signin_throttle.delay_after(n, free) for n in range(free + 12)]
    assert delays[:free] == [0] * free
    assert delays[free : free + 4] == [2, 4, 8, 16]
    assert delays[-1] == signin_throttle.MAX_DELAY_SECONDS


def test_account_is_throttled_after_five_failures_even_with_the_right_password(
    workspace, owner, clock
):
    client = Client()
    _fail(client, owner.email, 5)
    response = _attempt(client, owner.email, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "2"
    assert "Too many sign-in attempts" in response.content.decode()
    assert "Wait 2 seconds" in response.content.decode()
    assert "_auth_user_id" not in client.session

    clock[0] += 2
    assert _attempt(client, owner.email, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_each_further_failure_doubles_the_wait(workspace, owner, clock):
    client = Client()
    _fail(client, owner.email, 5)
    clock[0] += 2
    _fail(client, owner.email, 1)
    response = _attempt(client, owner.email, PASSWORD)
    assert response.status_code == 429 and response["Retry-After"] == "4"
    clock[0] += 3
    assert _attempt(client, owner.email, PASSWORD).status_code == 429
    clock[0] += 1
    assert _attempt(client, owner.email, PASSWORD).status_code == 302


def test_a_success_clears_the_account_count(workspace, owner, clock):
    client = Client()
    _fail(client, owner.email, 4)
    assert _attempt(client, owner.email, PASSWORD).status_code == 302
    client.logout()
    _fail(client, owner.email, 4)
    assert _attempt(client, owner.email, PASSWORD).status_code == 302


def test_throttled_answer_is_the_same_for_an_unknown_account(workspace, owner, clock):
    known, unknown = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    _fail(known, owner.email, 5)
    _fail(unknown, "nobody@example.com", 5)
    a = _attempt(known, owner.email, "wrong-password")
    b = _attempt(unknown, "nobody@example.com", "wrong-password")
    assert (a.status_code, a["Retry-After"]) == (b.status_code, b["Retry-After"]) == (429, "2")
    assert _page(a, owner.email) == _page(b, "nobody@example.com")


def test_one_client_trying_many_accounts_is_throttled(workspace, owner, clock):
    client = Client(REMOTE_ADDR="10.0.0.9")
    for n in range(signin_throttle.FREE_FAILURES_PER_CLIENT):
        _fail(client, f"guess{n}@example.com", 1)
    assert _attempt(client, owner.email, PASSWORD).status_code == 429
    # Another client signs in to that account untouched.
    assert _attempt(Client(REMOTE_ADDR="10.0.0.10"), owner.email, PASSWORD).status_code == 302


@pytest.mark.parametrize("behind_proxy,throttled", [(False, True), (True, False)])
def test_forwarded_for_is_read_only_behind_a_proxy(
    workspace, owner, clock, behind_proxy, throttled
):
    with override_settings(MOTIVE_BEHIND_PROXY=behind_proxy):
        for n in range(signin_throttle.FREE_FAILURES_PER_CLIENT):
            _fail(Client(), f"guess{n}@example.com", 1, HTTP_X_FORWARDED_FOR=f"10.1.0.{n}")
        response = _attempt(Client(), owner.email, PASSWORD, HTTP_X_FORWARDED_FOR="10.2.0.1")
    assert (response.status_code == 429) is throttled


def test_hostile_email_is_a_plain_failure(db, clock):
    response = _attempt(Client(), "a\x00b@example.com", "x")
    assert response.status_code == 200
    assert "Your email or password is not right" in response.content.decode()


def test_admin_is_on_outside_production(db):
    assert Client().get("/admin/").status_code == 302


def _production(tmp_path: Path, **env: str) -> dict[str, object]:
    """Production settings as a fresh process reads them from the environment."""
    code = (
        "import json, django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.urls import Resolver404, resolve\n"
        "try:\n    resolve('/admin/'); admin = True\n"
        "except Resolver404:\n    admin = False\n"
        "print(json.dumps({'admin': admin, "
        "'proxy_header': getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)}))\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MOTIVE_", "DJANGO_"))}
    clean.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "x" * 50,
            "MOTIVE_VAR_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_production_defaults_trust_no_proxy_and_have_no_admin(tmp_path):
    assert _production(tmp_path) == {"admin": False, "proxy_header": None}


def test_production_switches_turn_on_the_admin_and_the_proxy_header(tmp_path):
    assert _production(tmp_path, MOTIVE_ADMIN_ENABLED="1", MOTIVE_BEHIND_PROXY="1") == {
        "admin": True,
        "proxy_header": ["HTTP_X_FORWARDED_PROTO", "https"],
    }
