"""Reports of continuous studies: the weekly view in the document (`reports.trends`).
Their throttled automatic regeneration is `reports.refresh`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils import timezone

from interviews.models import Interview
from reports import trends
from reports.analysis import Response, SegmentInfo
from reports.themes import Coding
from studies.models import Study, StudyMode


def is_continuous(study: Study) -> bool:
    return study.mode == StudyMode.CONTINUOUS


def completion_weeks(study: Study, interviews: Sequence[str]) -> dict[str, str]:
    """Each interview's ISO week of completion (interview id -> `2026-W48`)."""
    ids = [int(interview) for interview in interviews if interview.isdigit()]
    rows = Interview.objects.filter(workspace_id=study.workspace_id, study=study, pk__in=ids)
    weeks = {}
    for pk, completed_at in rows.values_list("pk", "completed_at").iterator(chunk_size=2000):
        if completed_at is not None:
            weeks[str(pk)] = trends.iso_week(timezone.localtime(completed_at))
    return weeks


def over_time(
    study: Study,
    questions: Sequence[Mapping[str, Any]],
    segments: Sequence[SegmentInfo],
    responses: Sequence[Response],
    codings: Sequence[Coding],
) -> dict[str, Any]:
    """`document["over_time"]` of a continuous study's report."""
    weeks = completion_weeks(study, [response.interview for response in responses])
    return trends.over_time(
        questions, [segment.id for segment in segments], responses, codings, weeks
    )
