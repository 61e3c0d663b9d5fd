"""What a report's themes teach segmentation: each person's coded themes as a trait.

After a report is generated, every counted respondent gets the trait
`motive.<study key>.themes` (DESIGN.md), the sorted labels of the themes coded in
what they said (an empty list when none), so a researcher can define a segment
on it ("said price was the trigger"). The write goes through the people app's
identify path like any trait, one messageId per report generation and interview,
so a redelivered task stores nothing twice; a person known only by anonymous ids
is written through their first anonymous id; one erased since is skipped.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Final

from django.utils import timezone

from interviews.models import Interview
from people.ingestion import ingest_items
from people.models import PersonAlias
from reports.models import Report
from reports.themes import Coding

logger = logging.getLogger(__name__)

CHUNK: Final = 500


def theme_trait(study_key: str) -> str:
    return f"motive.{study_key}.themes"


def themes_by_interview(
    interviews: Iterable[str], codings: Sequence[Coding]
) -> dict[str, list[str]]:
    labels: dict[str, set[str]] = defaultdict(set)
    for coding in codings:
        labels[coding.interview].add(coding.theme)
    return {interview: sorted(labels.get(interview, ())) for interview in interviews}


def themes_write_back(*, report: Report, themes: dict[str, list[str]]) -> int:
    """Write each interview's themes to its person; returns how many were accepted."""
    key = theme_trait(report.study.key)
    now = timezone.now().isoformat()
    people = list(
        Interview.objects.filter(
            workspace_id=report.workspace_id,
            pk__in=[int(interview) for interview in themes],
            person__isnull=False,
        ).values_list("pk", "person_id", "person__user_id")
    )
    # A person known only by anonymous ids is identified by their first one, as
    # interviews.traits does for the structured answers.
    aliases = first_aliases([person for _, person, user_id in people if not user_id])
    items: list[dict[str, Any]] = []
    for pk, person, user_id in people:
        ids = {"userId": user_id} if user_id else {"anonymousId": aliases.get(person)}
        if not next(iter(ids.values())):
            continue
        items.append(
            {
                "type": "identify",
                **ids,
                "traits": {key: themes[str(pk)]},
                "timestamp": now,
                "messageId": f"motive-report-{report.pk}-{report.generation}-{pk}",
            }
        )
    accepted = 0
    for start in range(0, len(items), CHUNK):
        result = ingest_items(workspace=report.workspace, items=items[start : start + CHUNK])
        accepted += result.accepted
        for index, error in result.rejected:
            logger.warning("report %s: theme trait %d refused: %s", report.pk, index, error)
    return accepted


def first_aliases(people: Sequence[int]) -> dict[int, str]:
    """Each person's oldest anonymous id (the one a write to them goes through)."""
    found: dict[int, str] = {}
    rows = PersonAlias.objects.filter(person_id__in=people).order_by("person_id", "pk")
    for person, anonymous_id in rows.values_list("person_id", "anonymous_id"):
        found.setdefault(person, anonymous_id)
    return found
