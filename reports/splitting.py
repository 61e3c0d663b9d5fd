"""“Split this segment”: when a report finds that a segment's respondents tell distinct
stories (`document["subgroups"]`, reports.stories), the researcher can turn the stories
into segments of their own, one per story, defined on the themes written back to people
(`motive.<study key>.themes`, reports.writeback):

    {"all": [{"segment": <the split segment>},
             {"any": [{"trait": "motive.<key>.themes", "op": "contains", "value": <theme>},
                      ...one per theme of the story]}]}

so each new segment holds the members of the original who said any of that story's
themes, and stays current as reports write themes back. They are saved like any segment
made in the UI (a compute job is queued).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from reports.models import Report, ReportStatus
from reports.writeback import theme_trait
from segments import services as segment_services
from segments.models import Segment
from workspaces.services import ServiceError

MAX_NAME_THEMES = 2


@dataclass(frozen=True)
class Story:
    name: str
    definition: dict[str, Any]


def stories_of(report: Report, segment: Segment) -> list[Story]:
    """The segments a split of `segment` would make, from the report's subgroups."""
    if report.status != ReportStatus.READY or not report.document:
        raise ServiceError("This report is not ready yet.")
    groups = (report.document.get("subgroups") or {}).get(str(segment.pk)) or []
    groups = [group for group in groups if group.get("themes")]
    if len(groups) < 2:
        raise ServiceError(
            f"The report found one story in “{segment.name}”: there is nothing to split.",
            field="segment",
        )
    key = theme_trait(report.study.key)
    stories = []
    for group in groups:
        themes = [str(theme) for theme in group["themes"]]
        shown = "; ".join(themes[:MAX_NAME_THEMES]) + ("…" if len(themes) > MAX_NAME_THEMES else "")
        stories.append(
            Story(
                name=f"{segment.name}: {shown}",
                definition={
                    "all": [
                        {"segment": segment.pk},
                        {
                            "any": [
                                {"trait": key, "op": "contains", "value": theme} for theme in themes
                            ]
                        },
                    ]
                },
            )
        )
    return stories


@transaction.atomic
def split_segment(
    *, report: Report, segment_id: int, requested_by: User | None = None
) -> list[Segment]:
    """Make one rule segment per story the report found in `segment_id`."""
    segment = next((s for s in report.ordered_segments() if s.pk == segment_id), None)
    if segment is None:
        raise ServiceError("That segment is not one this report compares.", field="segment")
    made = []
    for story in stories_of(report, segment):
        saved = segment_services.segment_save(
            workspace=report.workspace,
            name=story.name,
            kind="rule",
            definition=story.definition,
            playbook=(
                f"Split from “{segment.name}” by report {report.pk} of “{report.study.title}”: "
                "the members who said any of this story's themes."
            ),
            requested_by=requested_by,
        )
        made.append(saved.segment)
    return made
