"""Ingestion: Segment-spec messages in, people, accounts and events out.

`ingest_items` is the one entry point for the API and the CSV importers:
validate every item (validation.py), then store the valid ones in one round
of bulk statements (writer.py, people.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from people import hooks
from people.ingestion.validation import ItemError, Message, validate_item
from people.ingestion.writer import write_messages
from workspaces.models import Workspace

__all__ = [
    "IngestResult",
    "ItemError",
    "Message",
    "ingest_items",
    "validate_item",
]


@dataclass(slots=True)
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def ingest_items(
    *,
    workspace: Workspace,
    items: Sequence[Any],
    received_at: datetime | None = None,
    kind: str | None = None,
    scan: bool = True,
) -> IngestResult:
    """Validate and store Segment-spec items; invalid ones are reported by index.

    `kind` forces the type of every item (the single-item endpoints); `scan=False`
    is only for callers that checked the raw JSON for NUL/surrogate escapes.
    """
    received_at = received_at or timezone.now()
    result = IngestResult()
    messages: list[Message] = []
    for index, item in enumerate(items):
        try:
            messages.append(
                validate_item(item, index=index, received_at=received_at, kind=kind, scan=scan)
            )
        except ItemError as exc:
            result.rejected.append((index, str(exc)))
    if messages:
        written = write_messages(
            workspace_id=workspace.pk, messages=messages, received_at=received_at
        )
        result.accepted, result.duplicates = written.accepted, written.duplicates
    if result.accepted:
        hooks.events_ingested.send(
            sender=Workspace, workspace_id=workspace.pk, received_at=received_at
        )
    return result
