"""Create (once) the demo workspace, fill it, and print its login and API keys.

Each stage is the command of the app that owns it, called by name: workspaces sits
upstream of every product app in the data flow, so it imports none of them. Every
stage is a no-op on a workspace that already has its data, so `make demo` reuses
what an earlier run made; `--reset` deletes the demo workspace first.
"""

from __future__ import annotations

import io
import json
import logging
import time
from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandParser

from workspaces import services
from workspaces.demo import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    demo_workspace_find,
    demo_workspace_get_or_create,
)
from workspaces.models import ApiKey, KeyScope, Membership, Workspace

# (command, what it makes), in data-flow order; a stage whose app is not installed is skipped.
STAGES = (
    ("seed_demo", "people and events"),
    ("load_demo_segments", "segments"),
    ("load_demo_studies", "studies"),
    ("load_demo_interviews", "interviews"),
    ("load_demo_followup", "a study cut by one answer"),
    ("load_demo_interviews", "its interviews"),
    ("load_demo_reports", "reports"),
)


class Command(BaseCommand):
    help = "Create and fill the demo workspace if missing (or --reset it); print the login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--reset", action="store_true", help="Delete the demo first.")
        parser.add_argument("--people", type=int, default=None, help="seed_demo --people.")
        parser.add_argument("--days", type=int, default=None, help="seed_demo --days.")
        parser.add_argument("--seed", type=int, default=None, help="seed_demo --seed.")

    def handle(self, *args: Any, **options: Any) -> None:
        out = io.StringIO() if options["json"] else self.stdout
        if options["reset"]:
            self._reset(out)
        workspace = demo_workspace_get_or_create()
        generator = {k: options[k] for k in ("people", "days", "seed") if options[k] is not None}
        available = get_commands()
        # Queuing a task on the embedded broker makes kombu warn that its URL names no
        # host (it needs none); the demo's output is for the person who ran it.
        logging.getLogger("kombu.connection").setLevel(logging.ERROR)
        for command, what in STAGES:
            if command not in available:
                continue
            started = time.monotonic()
            extra = generator if command == "seed_demo" else {}
            call_command(command, workspace=workspace.pk, stdout=out, **extra)
            out.write(f"  ({what}: {time.monotonic() - started:.1f} s)\n")
        full, ingest = self._fresh_keys(workspace)
        result = {
            "workspace": workspace.pk,
            "email": DEMO_EMAIL,
            "password": DEMO_PASSWORD,
            "api_key": full,
            "ingest_key": ingest,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"  Demo workspace {workspace.pk} is ready.",
                    f"  API key   {full}",
                    f"  Ingest    {ingest}",
                    "",
                ]
            )
        )

    def _reset(self, out: Any) -> None:
        workspace = demo_workspace_find()
        if workspace is None:
            return
        started = time.monotonic()
        workspace.delete()
        out.write(f"Deleted the demo workspace in {time.monotonic() - started:.1f} s.\n")

    def _fresh_keys(self, workspace: Workspace) -> tuple[str, str]:
        """Keys are shown once: each run mints a fresh pair and revokes the old ones."""
        owner = Membership.objects.get(workspace=workspace, user__email=DEMO_EMAIL).user
        for key in ApiKey.objects.filter(workspace=workspace, revoked_at__isnull=True):
            services.api_key_revoke(key=key)
        _, full = services.api_key_create(
            workspace=workspace, name="Demo full key", scope=KeyScope.FULL, created_by=owner
        )
        _, ingest = services.api_key_create(
            workspace=workspace, name="Demo ingest key", scope=KeyScope.INGEST, created_by=owner
        )
        return full, ingest
