"""load_demo_segments --workspace ID: the demo's example segments, created and computed once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from segments.demo_segments import create_demo_segments
from workspaces.models import Workspace


class Command(BaseCommand):
    help = "Create and compute one example segment of each computed kind (once per workspace)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(pk=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace with id {options['workspace']}.")
        created = create_demo_segments(workspace=workspace)
        if not created:
            self.stdout.write("The workspace already has segments; nothing to do.")
        for segment in created:
            self.stdout.write(f"  {segment.name}: {segment.size:,} people")
