"""Serve the app with a Celery worker and beat beside it; one Ctrl-C stops all three."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat together (the embedded demo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        # Ctrl-C and a plain `kill` both stop all three. Set explicitly: a process
        # started in the background of a non-interactive shell (a CI script, `cmd &`)
        # inherits SIGINT as ignored, and Python then never raises KeyboardInterrupt.
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "config"]
        queues = "default,ingest,segments,llm,webhooks"
        commands = {
            "web": [python, "manage.py", "runserver", options["addr"], "--noreload"],
            "worker": [
                *celery,
                "worker",
                "-Q",
                queues,
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "--without-mingle",
                "--without-gossip",
            ],
            "beat": [*celery, "beat", "--loglevel", "INFO"],
        }
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        processes = {
            name: subprocess.Popen(cmd, env=env, start_new_session=True)  # noqa: S603
            for name, cmd in commands.items()
        }
        self.stdout.write(
            f"Serving on http://{options['addr']}/ with worker and beat; Ctrl-C stops all."
        )
        try:
            while all(p.poll() is None for p in processes.values()):
                time.sleep(0.5)
            dead = [name for name, p in processes.items() if p.poll() is not None]
            self.stderr.write(f"{', '.join(dead)} stopped; stopping the rest.")
        except KeyboardInterrupt:
            self.stdout.write("Stopping…")
        finally:
            for p in processes.values():
                if p.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(p.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for p in processes.values():
                try:
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(p.pid, signal.SIGKILL)
                    p.wait(timeout=5)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
