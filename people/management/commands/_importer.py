"""Shared body of import_people / import_events: open the file, run, print the summary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from people.importing import ImportResult
from workspaces.models import Workspace


class ImportCommand(BaseCommand):
    noun = "rows"
    importer: Callable[..., ImportResult]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A UTF-8 CSV file with a header line.")
        parser.add_argument("--workspace", type=int, required=True, help="Workspace id.")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(pk=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace with id {options['workspace']}.")
        try:
            # Undecodable bytes become lone surrogates, which validation rejects on
            # their own line instead of the whole read failing.
            handle: TextIO = open(  # noqa: SIM115
                options["file"], encoding="utf-8-sig", errors="surrogateescape", newline=""
            )
        except OSError as exc:
            raise CommandError(f"Cannot open {options['file']}: {exc.strerror}.") from exc
        with handle:
            result = type(self).importer(workspace=workspace, file=handle)
        self.stdout.write(
            f"Imported {result.imported} {self.noun}, {result.duplicates} duplicates, "
            f"{result.error_count} bad rows."
        )
        for line, reason in result.errors:
            self.stdout.write(f"line {line}: {reason}")
        if result.error_count > len(result.errors):
            self.stdout.write(f"... and {result.error_count - len(result.errors)} more bad rows.")
