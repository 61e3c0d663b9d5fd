"""`manage.py seed_demo --people N --days D --seed S`: the demo's customers and their behavior."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from people.demo_data import DEFAULT_DAYS, DEFAULT_PEOPLE, DEFAULT_SEED, seed_demo_data
from workspaces.demo import demo_workspace_get_or_create
from workspaces.models import Workspace

MAX_PEOPLE = 1_000_000
MAX_DAYS = 3650


class Command(BaseCommand):
    help = (
        "Generate seeded, reproducible demo accounts, people and events (a B2B SaaS product) "
        "into an empty workspace (the demo workspace unless --workspace); does nothing if "
        "the workspace already has people."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", type=int, default=None, help="Workspace id.")
        parser.add_argument(
            "--people", type=int, default=DEFAULT_PEOPLE, help=f"People ({DEFAULT_PEOPLE})."
        )
        parser.add_argument(
            "--days", type=int, default=DEFAULT_DAYS, help=f"Days of usage ({DEFAULT_DAYS})."
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"Random seed ({DEFAULT_SEED})."
        )
        parser.add_argument(
            "--as-of",
            default=None,
            help="ISO 8601 time the data ends at (default: now); pin it for identical rows.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["people"] <= MAX_PEOPLE:
            raise CommandError(f"--people must be between 1 and {MAX_PEOPLE:,}.")
        if not 1 <= options["days"] <= MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_DAYS}.")
        as_of = None
        if options["as_of"]:
            as_of = parse_datetime(options["as_of"])
            if as_of is None or as_of.tzinfo is None:
                raise CommandError(
                    "--as-of must be an ISO 8601 time with a zone, e.g. 2026-11-01T12:00:00Z."
                )
        workspace = self._workspace(options["workspace"])
        started = time.monotonic()
        result = seed_demo_data(
            workspace=workspace,
            people=options["people"],
            days=options["days"],
            seed=options["seed"],
            now=as_of,
        )
        if not result.created:
            self.stdout.write(
                f"Workspace {workspace.pk} ({workspace.name}) already has people; "
                "no demo data generated."
            )
            return
        self.stdout.write(
            f"Generated {result.people:,} people, {result.accounts:,} accounts, "
            f"{result.events:,} events and {result.aliases:,} anonymous ids into workspace "
            f"{workspace.pk} in {time.monotonic() - started:.1f} s."
        )

    def _workspace(self, workspace_id: int | None) -> Workspace:
        if workspace_id is None:
            return demo_workspace_get_or_create()
        workspace = Workspace.objects.filter(pk=workspace_id).first()
        if workspace is None:
            raise CommandError(f"No workspace with id {workspace_id}.")
        return workspace
