"""`make demo`'s steps on the embedded default: SQLite, the filesystem broker, a real worker.

Runs the same commands the Makefile runs, in a temporary var/ folder, serves on
a free loopback port, checks the login page, sends a task through the embedded
broker to the worker, and stops everything with one Ctrl-C (SIGINT).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A small demo: the full-size one is timed by hand (README), not on every test run.
SMALL = ("--people", "300", "--days", "60")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def demo_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        MOTIVE_VAR_DIR=str(tmp_path / "var"),
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str, timeout: int = 180) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_demo_serves_login_and_runs_tasks_on_the_embedded_broker(demo_env):
    manage(demo_env, "migrate", "--noinput")
    setup = json.loads(manage(demo_env, "setup_demo", "--json", *SMALL).strip().splitlines()[-1])
    assert setup["email"] == "demo@motive.local"
    assert (Path(demo_env["MOTIVE_VAR_DIR"]) / "motive.sqlite3").exists()
    # Running setup again keeps the same workspace (idempotent).
    again = json.loads(manage(demo_env, "setup_demo", "--json", *SMALL).strip().splitlines()[-1])
    assert again["workspace"] == setup["workspace"]

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "rundemo", "--addr", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=demo_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(server.stdout), daemon=True)
    reader.start()
    try:
        body = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as resp:
                    body = resp.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert "Log in to Motive" in body, "".join(output)[-3000:]
        # The URL and the login come once worker and beat are up, and are the last lines;
        # the children's banners and start-up logs are held back.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "Log in " not in "".join(output):
            time.sleep(0.3)
        started = "".join(output)
        assert started.splitlines()[-3:] == [
            "Motive demo is running (web server, worker and beat). Ctrl-C stops all.",
            f"  Open     http://127.0.0.1:{port}/",
            "  Log in   demo@motive.local / motive-demo",
        ], started[-3000:]
        for banner in ("-------------- celery@", "Starting development server", "LocalTime"):
            assert banner not in started

        # A task through the embedded (filesystem) broker reaches the worker.
        manage(
            demo_env,
            "shell",
            "-c",
            "from workspaces import services; from workspaces.models import Workspace; "
            f"services.member_invite(workspace=Workspace.objects.get(pk={setup['workspace']}), "
            "email='guest@example.com', role='viewer', invited_by=None)",
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "You are invited to" not in "".join(output):
            time.sleep(0.5)
        assert "You are invited to" in "".join(output), "".join(output)[-3000:]
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            # rundemo gives its children 10 s, then kills them.
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
            pytest.fail("rundemo did not stop on Ctrl-C:\n" + "".join(output)[-3000:])
        reader.join(timeout=10)
        server.stdout.close()
    assert server.returncode == 0
    # One Ctrl-C, no error lines.
    stopped = "".join(output)
    assert stopped.rstrip().endswith("Stopping…\nStopped."), stopped[-3000:]
    for noise in ("Traceback", "ERROR", "Error", "stopped; stopping the rest"):
        assert noise not in stopped, stopped[-3000:]
    # Worker, beat and web server all stopped with the one Ctrl-C.
    time.sleep(0.5)
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    assert f"127.0.0.1:{port}" not in ps
    assert demo_env["MOTIVE_VAR_DIR"] not in ps
