"""createworkspace NAME --email E --password P → {"workspace", "api_key", "ingest_key"}."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from workspaces import services
from workspaces.models import KeyScope


class Command(BaseCommand):
    help = "Create a workspace, its owner, one full and one ingest API key; print them as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--time-zone", default="UTC")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                owner = services.user_get_or_create(
                    email=options["email"], password=options["password"]
                )
                workspace = services.workspace_create(
                    name=options["name"], owner=owner, time_zone=options["time_zone"]
                )
                _, full = services.api_key_create(
                    workspace=workspace, name="Full key", scope=KeyScope.FULL, created_by=owner
                )
                _, ingest = services.api_key_create(
                    workspace=workspace, name="Ingest key", scope=KeyScope.INGEST, created_by=owner
                )
        except services.ServiceError as exc:
            raise CommandError(exc.message) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            json.dumps({"workspace": workspace.pk, "api_key": full, "ingest_key": ingest})
        )
