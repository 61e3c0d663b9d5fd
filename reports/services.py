"""Writes of reports: create and regenerate (a job a worker runs, `reports.generation`),
share links. Creating or regenerating leaves the report pending and schedules
`reports.generate` once the transaction commits."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from reports import tasks
from reports.generation import STALE_AFTER
from reports.models import Report, ReportSegment, ReportStatus, new_share_token
from segments.models import Segment
from studies.models import Study
from workspaces.models import Workspace
from workspaces.services import ServiceError


def _segments_of(study: Study, segment_ids: Sequence[int]) -> list[Segment]:
    """The report's segments, in order: the study's targets, or any active segment of the
    workspace (a cut, e.g. on an answer's trait: respondents grouped by membership)."""
    if not segment_ids:
        raise ServiceError("Choose at least one segment to report on.", field="segments")
    if len(set(segment_ids)) != len(segment_ids):
        raise ServiceError("A segment is listed twice.", field="segments")
    found = {
        segment.pk: segment
        for segment in Segment.objects.filter(workspace_id=study.workspace_id, pk__in=segment_ids)
    }
    missing = [pk for pk in segment_ids if pk not in found]
    if missing:
        raise ServiceError(
            f"Segment {missing[0]} does not exist in this workspace.", field="segments"
        )
    return [found[pk] for pk in segment_ids]


@transaction.atomic
def report_create(
    *,
    workspace: Workspace,
    study_id: int,
    segment_ids: Sequence[int],
    include_flagged: bool = False,
    created_by: User | None = None,
) -> Report:
    """A new pending report of `study_id` comparing `segment_ids` (in that order)."""
    study = Study.objects.filter(workspace=workspace, pk=study_id).first()
    if study is None:
        raise ServiceError("No such study in this workspace.", field="study")
    segments = _segments_of(study, segment_ids)
    report = Report.objects.create(
        workspace=workspace, study=study, include_flagged=include_flagged, created_by=created_by
    )
    ReportSegment.objects.bulk_create(
        ReportSegment(report=report, segment=segment, position=position)
        for position, segment in enumerate(segments)
    )
    tasks.generate_after_commit(report_id=report.pk)
    return report


@transaction.atomic
def report_regenerate(*, report: Report, include_flagged: bool | None = None) -> Report:
    """Generate again (new interviews, or the flagged toggle); joins a generation under way."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if include_flagged is not None and include_flagged != report.include_flagged:
        report.include_flagged = include_flagged
    elif report.status in {ReportStatus.PENDING, ReportStatus.RUNNING} and not _stale(report):
        return report
    report.status, report.progress, report.step, report.error = ReportStatus.PENDING, 0, "", ""
    report.requested_at = timezone.now()
    report.save(
        update_fields=["status", "progress", "step", "error", "requested_at", "include_flagged"]
    )
    tasks.generate_after_commit(report_id=report.pk)
    return report


def _stale(report: Report) -> bool:
    started = report.started_at or report.requested_at
    return started < timezone.now() - STALE_AFTER


@transaction.atomic
def report_share(*, report: Report) -> Report:
    """Give the report a read-only share link (keeping the one it has)."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not report.share_token:
        report.share_token = new_share_token()
        report.save(update_fields=["share_token"])
    return report


@transaction.atomic
def report_unshare(*, report: Report) -> Report:
    """Revoke the share link: whoever holds it gets a 404 from now on."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    report.share_token = None
    report.save(update_fields=["share_token"])
    return report
