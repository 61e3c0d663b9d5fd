"""What a report reads: a study's completed interviews, as the analysis's plain data.

A respondent's segment is the one recorded on their invitation (copied to the
interview), so a person in two compared segments counts once, where they were
invited. An interview counts when it is completed, in one of the report's
segments, and included: by default the researcher's choice, else not when
flagged low quality; `include_flagged` also takes the automatically flagged ones
(an explicit exclusion still holds). Answers are read in one ordered query,
streamed in chunks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from django.db.models import Count, Q

from interviews.models import Answer, Inclusion, Interview, InterviewStatus, StepKind, StepStatus
from reports.analysis import Response, SegmentInfo
from segments.models import Segment
from studies.models import Invitation, Study

CHUNK: Final = 2000


def question_specs(study: Study) -> list[dict[str, Any]]:
    """The study's questions as the analysis reads them (key, type and type fields)."""
    specs = []
    for question in study.questions.order_by("position"):
        spec = question.as_spec()
        specs.append({"key": spec.key, "type": spec.type, "prompt": spec.prompt, **spec.config})
    return specs


def _included(include_flagged: bool) -> Q:
    if include_flagged:
        return ~Q(inclusion=Inclusion.EXCLUDE)
    return Q(inclusion=Inclusion.INCLUDE) | Q(inclusion=Inclusion.AUTO, low_quality=False)


def segment_infos(
    study: Study, segments: Sequence[Segment], include_flagged: bool
) -> list[SegmentInfo]:
    """Per segment: invited, completed and counted, completed but excluded."""
    ids = [segment.pk for segment in segments]
    invited = dict(
        Invitation.objects.filter(study=study, segment_id__in=ids)
        .values_list("segment_id")
        .annotate(count=Count("id"))
        .values_list("segment_id", "count")
    )
    completed = Interview.objects.filter(
        study=study, segment_id__in=ids, status=InterviewStatus.COMPLETED
    )
    counts = {
        row["segment_id"]: row
        for row in completed.values("segment_id").annotate(
            counted=Count("id", filter=_included(include_flagged)),
            total=Count("id"),
        )
    }
    infos = []
    for segment in segments:
        row = counts.get(segment.pk, {"counted": 0, "total": 0})
        infos.append(
            SegmentInfo(
                id=str(segment.pk),
                name=segment.name,
                invited=invited.get(segment.pk, 0),
                completed=row["counted"],
                excluded=row["total"] - row["counted"],
            )
        )
    return infos


def responses(study: Study, segments: Sequence[Segment], include_flagged: bool) -> list[Response]:
    """The counted interviews' answers: question answers by key, follow-up answers as text."""
    interviews = Interview.objects.filter(
        study=study,
        workspace_id=study.workspace_id,
        segment_id__in=[segment.pk for segment in segments],
        status=InterviewStatus.COMPLETED,
    ).filter(_included(include_flagged))
    rows = (
        Answer.objects.filter(step__interview__in=interviews)
        .exclude(step__status=StepStatus.SKIPPED)
        .order_by("step__interview_id", "step__position")
        .values(
            "step__interview_id",
            "step__interview__segment_id",
            "step__kind",
            "step__question_key",
            "value",
            "text",
        )
    )
    return list(_group(rows.iterator(chunk_size=CHUNK)))


def _group(rows: Iterable[Mapping[str, Any]]) -> Iterable[Response]:
    current: int | None = None
    segment = ""
    answers: dict[str, Any] = {}
    followups: list[str] = []
    for row in rows:
        interview = row["step__interview_id"]
        if interview != current:
            if current is not None:
                yield Response(str(current), segment, answers, tuple(followups))
            current, segment = interview, str(row["step__interview__segment_id"])
            answers, followups = {}, []
        if row["step__kind"] == StepKind.FOLLOWUP:
            if row["text"]:
                followups.append(row["text"])
        else:
            answers[row["step__question_key"]] = row["value"]
    if current is not None:
        yield Response(str(current), segment, answers, tuple(followups))
