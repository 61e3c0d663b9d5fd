"""load_demo_studies --workspace ID: the demo's comparison and listening studies, launched once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from studies.demo_studies import create_demo_studies
from workspaces.models import Workspace


class Command(BaseCommand):
    help = "Create and launch the demo's comparison study and continuous study (once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(pk=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace with id {options['workspace']}.")
        created = create_demo_studies(workspace=workspace)
        if not created:
            self.stdout.write("The workspace already has studies (or lacks the demo segments).")
        for study in created:
            invited = study.invitations.count()
            self.stdout.write(f"  {study.title}: {study.status}, {invited:,} invited")
