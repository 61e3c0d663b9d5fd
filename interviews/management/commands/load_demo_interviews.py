"""load_demo_interviews --workspace ID: simulated respondents answer the demo's live studies."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from interviews.demo_respondents import simulate_demo_interviews
from people.demo_data import DEFAULT_SEED
from workspaces.models import Workspace


class Command(BaseCommand):
    help = (
        "Walk the demo's invited people through their interviews in character, through the "
        "respondent API with the offline moderator (once per study)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", type=int, required=True)
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="The seed the people were made with."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(pk=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace with id {options['workspace']}.")
        result = simulate_demo_interviews(workspace=workspace, seed=options["seed"])
        if not result.started:
            self.stdout.write("Every live study has interviews already; nothing to do.")
            return
        self.stdout.write(
            f"  {result.completed:,} interviews completed of {result.started:,} started, "
            f"{result.followups:,} follow-ups answered, {result.low_quality:,} low quality"
        )
