"""load_demo_reports --workspace ID: the demo's comparison reports, generated once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.demo_reports import create_demo_reports
from workspaces.models import Workspace


class Command(BaseCommand):
    help = "Generate the demo's comparison report and its report cut by an answer (once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(pk=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace with id {options['workspace']}.")
        created = create_demo_reports(workspace=workspace)
        if not created:
            self.stdout.write("The demo's reports exist already; nothing to do.")
        for report in created:
            self.stdout.write(f"  Report on {report.study.title}: {report.status}")
