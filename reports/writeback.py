"""Themes written back: each respondent of a report gets the trait
`motive.<study key>.themes`, the labels of the themes coded in their interview (sorted;
[] when none was), so segments can be built on what people said.

The write goes through the people app's identify path, like the structured answers an
interview writes on completion (`interviews.services.trait_key` names the trait). A
person with several interviews in the report gets the themes of their latest. The
messageId names the report and its generation, so writing the same generation again
stores nothing twice. Runs after the report is saved ready: a failure here is logged and
leaves the report as it is.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from django.utils import timezone

from interviews.models import Interview
from interviews.services import trait_key
from people.ingestion import ingest_items
from people.models import PersonAlias
from reports.models import Report
from reports.themes import Coding

logger = logging.getLogger(__name__)

THEMES_QUESTION: Final = "themes"
CHUNK: Final = 500


@dataclass
class Coded:
    """What a generation coded: the interviews it read and the codings of reported themes."""

    interviews: list[str] = field(default_factory=list)
    codings: list[Coding] = field(default_factory=list)


def themes_trait(study_key: str) -> str:
    """`motive.<study key>.themes`."""
    return trait_key(study_key, THEMES_QUESTION)


def themes_by_interview(
    interviews: Iterable[str], codings: Iterable[Coding]
) -> dict[str, list[str]]:
    """Each interview's coded theme labels, sorted; [] for an interview with none."""
    found: dict[str, set[str]] = {interview: set() for interview in interviews}
    for coding in codings:
        found.setdefault(coding.interview, set()).add(coding.theme)
    return {interview: sorted(labels) for interview, labels in found.items()}


def write_themes(*, report: Report, coded: Coded) -> int:
    """Write each respondent's themes as a trait; returns how many people were written."""
    labels = themes_by_interview(coded.interviews, coded.codings)
    ids = [int(interview) for interview in labels if interview.isdigit()]
    if not ids:
        return 0
    key = themes_trait(report.study.key)
    latest: dict[int, tuple[Any, int]] = {}
    users: dict[int, str | None] = {}
    rows = (
        Interview.objects.filter(workspace_id=report.workspace_id, pk__in=ids, person__isnull=False)
        .values_list("pk", "person_id", "person__user_id", "completed_at")
        .iterator(chunk_size=CHUNK)
    )
    for pk, person_id, user_id, completed_at in rows:
        users[person_id] = user_id
        if person_id not in latest or (completed_at, pk) > latest[person_id]:
            latest[person_id] = (completed_at, pk)
    aliases = _first_aliases([person for person, user in users.items() if not user])
    now = timezone.now()
    items = []
    for person_id, (_, interview) in latest.items():
        item: dict[str, Any] = {
            "type": "identify",
            "traits": {key: labels[str(interview)]},
            "timestamp": now.isoformat(),
            "messageId": f"motive-report-{report.pk}-{report.generation}-{person_id}",
        }
        if users[person_id]:
            item["userId"] = users[person_id]
        elif person_id in aliases:
            item["anonymousId"] = aliases[person_id]
        else:
            continue
        items.append(item)
    written = 0
    for start in range(0, len(items), CHUNK):
        result = ingest_items(workspace=report.workspace, items=items[start : start + CHUNK])
        written += result.accepted + result.duplicates
        for index, error in result.rejected:
            logger.warning("report %s: themes refused (%s): %s", report.pk, index, error)
    return written


def _first_aliases(people: Sequence[int]) -> dict[int, str]:
    first: dict[int, str] = {}
    aliases: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, person_id, anonymous_id in PersonAlias.objects.filter(person_id__in=people).values_list(
        "pk", "person_id", "anonymous_id"
    ):
        aliases[person_id].append((pk, anonymous_id))
    for person_id, found in aliases.items():
        first[person_id] = min(found)[1]
    return first
