"""What a report reads: a study's completed interviews, as the analysis's plain data.

When every compared segment is a target of the study, a respondent's segment is the one
recorded on their invitation (copied to the interview), so a person in two compared
segments counts once, where they were invited. Otherwise the report is a *cut*: segments
of any kind (e.g. rules on an answer's trait `motive.<study>.<question>`, "chose Pro" vs
"chose Free") group the study's respondents by their current membership, and a respondent
in two of them counts in both. An interview counts when it is completed, in one of the report's
segments, and included: by default the researcher's choice, else not when
flagged low quality; `include_flagged` also takes the automatically flagged ones
(an explicit exclusion still holds). Answers are read in one ordered query,
streamed in chunks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from django.db.models import Count, F, Q, QuerySet

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


def is_cut(study: Study, segments: Sequence[Segment]) -> bool:
    """Whether the segments group respondents by membership (not all are study targets)."""
    targets = set(study.targets.values_list("segment_id", flat=True))
    return not {segment.pk for segment in segments} <= targets


def _by_segment(rows: QuerySet[Any], ids: list[int], cut: bool, prefix: str = "") -> QuerySet[Any]:
    """`rows` with a `group` column: their invitation's segment, or for a cut each current
    membership of the person in one of the segments (a row per membership). `prefix`
    leads from the rows to the invitation or interview (`step__interview__`)."""
    if not cut:
        field = f"{prefix}segment_id"
        return rows.filter(**{f"{field}__in": ids}).annotate(group=F(field))
    memberships = f"{prefix}person__segment_memberships"
    return rows.filter(
        **{f"{memberships}__segment_id__in": ids, f"{memberships}__exited_at__isnull": True}
    ).annotate(group=F(f"{memberships}__segment_id"))


def _included(include_flagged: bool) -> Q:
    if include_flagged:
        return ~Q(inclusion=Inclusion.EXCLUDE)
    return Q(inclusion=Inclusion.INCLUDE) | Q(inclusion=Inclusion.AUTO, low_quality=False)


def segment_infos(
    study: Study, segments: Sequence[Segment], include_flagged: bool
) -> list[SegmentInfo]:
    """Per segment: invited, completed and counted, completed but excluded."""
    ids = [segment.pk for segment in segments]
    cut = is_cut(study, segments)
    invitations = _by_segment(Invitation.objects.filter(study=study), ids, cut)
    invited = dict(
        invitations.values("group").annotate(count=Count("id")).values_list("group", "count")
    )
    completed = _by_segment(
        Interview.objects.filter(study=study, status=InterviewStatus.COMPLETED), ids, cut
    )
    counts = {
        row["group"]: row
        for row in completed.values("group").annotate(
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
    """The counted interviews' answers: question answers by key, follow-up answers as text
    (an interview counted in two segments of a cut is read once per segment)."""
    interviews = Interview.objects.filter(
        study=study, workspace_id=study.workspace_id, status=InterviewStatus.COMPLETED
    ).filter(_included(include_flagged))
    rows = _by_segment(
        Answer.objects.filter(step__interview__in=interviews).exclude(
            step__status=StepStatus.SKIPPED
        ),
        [segment.pk for segment in segments],
        is_cut(study, segments),
        "step__interview__",
    )
    rows = rows.order_by("step__interview_id", "group", "step__position").values(
        "step__interview_id", "group", "step__kind", "step__question_key", "value", "text"
    )
    return list(_group(rows.iterator(chunk_size=CHUNK)))


def _group(rows: Iterable[Mapping[str, Any]]) -> Iterable[Response]:
    current: tuple[int, int] | None = None
    segment = ""
    answers: dict[str, Any] = {}
    followups: list[str] = []
    for row in rows:
        interview = (row["group"], row["step__interview_id"])
        if interview != current:
            if current is not None:
                yield Response(str(current[1]), segment, answers, tuple(followups))
            current, segment = interview, str(row["group"])
            answers, followups = {}, []
        if row["step__kind"] == StepKind.FOLLOWUP:
            if row["text"]:
                followups.append(row["text"])
        else:
            answers[row["step__question_key"]] = row["value"]
    if current is not None:
        yield Response(str(current[1]), segment, answers, tuple(followups))
