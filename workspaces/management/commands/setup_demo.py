"""Create (once) the demo workspace and login that `make demo` prints."""

from __future__ import annotations

import io
import json
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from workspaces import services
from workspaces.models import ApiKey, KeyScope, Membership

DEMO_EMAIL = "demo@motive.local"
DEMO_PASSWORD = "motive-demo"
DEMO_WORKSPACE = "Acme Analytics (demo)"


class Command(BaseCommand):
    help = "Create the demo workspace, owner and keys if missing; print the login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        owner = services.user_get_or_create(email=DEMO_EMAIL, password=DEMO_PASSWORD)
        membership = (
            Membership.objects.filter(user=owner, workspace__name=DEMO_WORKSPACE)
            .select_related("workspace")
            .first()
        )
        workspace = (
            membership.workspace
            if membership
            else services.workspace_create(name=DEMO_WORKSPACE, owner=owner)
        )
        # People, accounts and 120 days of events; a no-op once the workspace has people.
        call_command(
            "load_demo_data",
            workspace=workspace.pk,
            stdout=io.StringIO() if options["json"] else self.stdout,
        )
        # One example segment of each computed kind, with playbooks (once). By command
        # name, not import: workspaces sits upstream of segments in the data flow.
        call_command(
            "load_demo_segments",
            workspace=workspace.pk,
            stdout=io.StringIO() if options["json"] else self.stdout,
        )
        # Keys are shown once; the demo mints a fresh pair each run and revokes the old.
        for key in ApiKey.objects.filter(workspace=workspace, revoked_at__isnull=True):
            services.api_key_revoke(key=key)
        _, full = services.api_key_create(
            workspace=workspace, name="Demo full key", scope=KeyScope.FULL, created_by=owner
        )
        _, ingest = services.api_key_create(
            workspace=workspace, name="Demo ingest key", scope=KeyScope.INGEST, created_by=owner
        )
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
                    "  Motive demo is ready.",
                    "  Open      http://127.0.0.1:8000/",
                    f"  Log in    {DEMO_EMAIL} / {DEMO_PASSWORD}",
                    f"  API key   {full}",
                    f"  Ingest    {ingest}",
                    "  API docs  http://127.0.0.1:8000/api/v1/docs/",
                    "",
                ]
            )
        )
