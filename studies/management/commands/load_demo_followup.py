"""load_demo_followup --workspace ID: segments cut on one interview answer, and a study at them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from studies.demo_studies import create_followup_study
from workspaces.models import Workspace


class Command(BaseCommand):
    help = (
        "Once the demo's comparison study has answers: two segments on one answer's trait and "
        "a follow-up study at them, launched (once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(pk=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace with id {options['workspace']}.")
        study = create_followup_study(workspace=workspace)
        if study is None:
            self.stdout.write(
                "Nothing to do: the follow-up study exists, or nobody has answered both ways yet."
            )
            return
        self.stdout.write(f"  {study.title}: {study.status}, {study.invitations.count():,} invited")
