"""Serve the app with a Celery worker and beat beside it; one Ctrl-C stops all three.

The three run in sessions of their own, so the terminal's Ctrl-C reaches only this
command, which stops them. When run from a terminal (`make demo`), this command also
takes the terminal's foreground for its own process group while it runs: `make`
then never sees the Ctrl-C and prints no "Interrupt" error line.

Their start-up banners and INFO logs are held back; the URL and the login are the
last lines printed, once the web server answers and the worker and beat have said
they are ready. Warnings, errors and the console email backend's mails still show.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from typing import IO, Any, Final

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workspaces.demo import DEMO_EMAIL, DEMO_PASSWORD

QUEUES: Final = "default,ingest,segments,llm,webhooks"
START_TIMEOUT: Final = 120
# A child's line that says it is up (the web server is probed over HTTP instead).
READY: Final = {"worker": re.compile(r"celery@\S+ ready\."), "beat": re.compile(r"beat: Starting")}
# Routine lines, not shown once running: Celery's INFO/DEBUG logs, successful requests,
# and kombu's warning that the embedded broker's URL names no host (it needs none).
ROUTINE: Final = re.compile(
    r"^\[\d{4}-\d\d-\d\d [\d:,]+: (INFO|DEBUG)/"
    r'|^\[\d\d/\w{3}/\d{4} [\d:]+\] "[A-Z]+ \S+ HTTP/[\d.]+" [123]\d\d '
    r"|No hostname was supplied\. Reverting to default 'localhost'"
)


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
        terminal = _Foreground()
        children = _Children(self._commands(options["addr"]))
        try:
            try:
                children.wait_until_ready(f"http://{options['addr']}/login/")
            except CommandError as error:
                self.stderr.write(str(error))
                return
            self.stdout.write(
                "\n".join(
                    [
                        "Motive demo is running (web server, worker and beat). Ctrl-C stops all.",
                        f"  Open     http://{options['addr']}/",
                        f"  Log in   {DEMO_EMAIL} / {DEMO_PASSWORD}",
                    ]
                )
            )
            dead = children.wait_for_one_to_stop()
            self.stderr.write(f"{dead} stopped; stopping the rest.")
        except KeyboardInterrupt:
            self.stdout.write("Stopping…")
        finally:
            children.stop()
            terminal.restore()
        self.stdout.write("Stopped.")

    def _commands(self, addr: str) -> dict[str, list[str]]:
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "config"]
        return {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": [
                *celery,
                "worker",
                "-Q",
                QUEUES,
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "--without-mingle",
                "--without-gossip",
            ],
            "beat": [*celery, "beat", "--loglevel", "INFO"],
        }


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class _Foreground:
    """Make this process group the terminal's foreground group while the demo runs."""

    def __init__(self) -> None:
        self.tty: int | None = None
        self.previous = 0
        if not sys.stdin.isatty():
            return
        with contextlib.suppress(OSError):
            tty = sys.stdin.fileno()
            previous = os.tcgetpgrp(tty)
            if previous == os.getpgrp() and os.getpid() == os.getpgrp():
                return  # already a foreground group leader (run straight from a shell)
            os.setpgid(0, 0)
            self._set(tty, os.getpgrp())
            self.tty, self.previous = tty, previous

    def restore(self) -> None:
        if self.tty is not None:
            with contextlib.suppress(OSError):
                self._set(self.tty, self.previous)

    @staticmethod
    def _set(tty: int, group: int) -> None:
        # A background group that changes the foreground gets SIGTTOU unless it ignores it.
        old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        try:
            os.tcsetpgrp(tty, group)
        finally:
            signal.signal(signal.SIGTTOU, old)


class _Children:
    """The web server, worker and beat, each in its own session, their output filtered."""

    def __init__(self, commands: dict[str, list[str]]) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.ready = {name: threading.Event() for name in READY}
        self.running = threading.Event()
        self.recent: dict[str, collections.deque[str]] = {}
        self.processes: dict[str, subprocess.Popen[str]] = {}
        self.readers = []
        for name, command in commands.items():
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
            self.processes[name] = process
            self.recent[name] = collections.deque(maxlen=40)
            reader = threading.Thread(target=self._relay, args=(name, process.stdout), daemon=True)
            reader.start()
            self.readers.append(reader)

    def _relay(self, name: str, stream: IO[str] | None) -> None:
        """Hold back a child's banner and routine logs; pass on what a person should see."""
        if stream is None:
            return
        for line in stream:
            self.recent[name].append(line)
            pattern = READY.get(name)
            if pattern is not None and pattern.search(line):
                self.ready[name].set()
            if self.running.is_set() and not ROUTINE.search(line):
                sys.stdout.write(line)
                sys.stdout.flush()

    def wait_until_ready(self, url: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        web = False
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise CommandError(
                        f"The {name} stopped while starting:\n" + "".join(self.recent[name])
                    )
            web = web or _answers(url)
            if web and all(event.is_set() for event in self.ready.values()):
                self.running.set()
                return
            time.sleep(0.3)
        waiting = [n for n, e in self.ready.items() if not e.is_set()] + ([] if web else ["web"])
        raise CommandError(f"Still waiting for {', '.join(waiting)} after {START_TIMEOUT} s.")

    def wait_for_one_to_stop(self) -> str:
        while True:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    return name
            time.sleep(0.5)

    def stop(self) -> None:
        self.running.clear()  # their shutdown chatter is not news
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        for reader in self.readers:
            reader.join(timeout=2)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own server
            return bool(response.status == 200)
    except OSError:
        return False
