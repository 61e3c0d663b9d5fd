"""`manage.py load_demo_data --workspace ID`: a believable SaaS product's people and events."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from people.demo_data import load_demo_data
from workspaces.models import Workspace


class Command(BaseCommand):
    help = (
        "Load seeded, reproducible demo people, accounts and 120 days of events into an "
        "empty workspace; does nothing if the workspace already has people."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", type=int, required=True, help="Workspace id.")
        parser.add_argument("--people", type=int, default=2000, help="How many people (2000).")
        parser.add_argument("--seed", type=int, default=7, help="Random seed (7).")
        parser.add_argument(
            "--as-of",
            default=None,
            help="ISO 8601 time the data ends at (default: now); pin it for identical rows.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(pk=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace with id {options['workspace']}.")
        if options["people"] < 1:
            raise CommandError("--people must be at least 1.")
        as_of = None
        if options["as_of"]:
            as_of = parse_datetime(options["as_of"])
            if as_of is None or as_of.tzinfo is None:
                raise CommandError(
                    "--as-of must be an ISO 8601 time with a zone, e.g. 2026-11-01T12:00:00Z."
                )
        started = time.monotonic()
        result = load_demo_data(
            workspace=workspace, people=options["people"], seed=options["seed"], now=as_of
        )
        if not result.created:
            self.stdout.write(
                f"Workspace {workspace.pk} ({workspace.name}) already has people; "
                "no demo data loaded."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {result.people:,} people, {result.accounts:,} accounts, "
                f"{result.events:,} events and {result.aliases:,} anonymous ids into workspace "
                f"{workspace.pk} in {time.monotonic() - started:.1f} s."
            )
        )
