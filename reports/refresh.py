"""Automatic regeneration of continuous studies' reports, throttled.

`regenerate_due` (the beat task `reports.regenerate_due`) regenerates the latest report
of each live or paused continuous study when it is ready, interviews in its segments
were completed since it last read them, and it finished more than
`settings.REPORTS_REGENERATE_AFTER_HOURS` hours ago (default 6): new answers show up in
the report on their own, at most once per interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from django.conf import settings
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from interviews.models import Interview, InterviewStatus
from reports import services
from reports.models import Report, ReportSegment, ReportStatus
from studies.models import StudyMode, StudyStatus

DEFAULT_REGENERATE_AFTER_HOURS: Final = 6


def regenerate_after() -> timedelta:
    hours = getattr(settings, "REPORTS_REGENERATE_AFTER_HOURS", DEFAULT_REGENERATE_AFTER_HOURS)
    return timedelta(hours=float(hours))


def due_reports(now: datetime | None = None) -> list[Report]:
    """The latest ready report of each continuous study that new interviews have outdated."""
    now = now or timezone.now()
    latest = (
        Report.objects.filter(study=OuterRef("study"))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    newer = Interview.objects.filter(
        study=OuterRef("study"),
        status=InterviewStatus.COMPLETED,
        segment_id__in=ReportSegment.objects.filter(report=OuterRef(OuterRef("pk"))).values(
            "segment_id"
        ),
        completed_at__gt=OuterRef("started_at"),
    )
    return list(
        Report.objects.filter(
            pk=Subquery(latest),
            status=ReportStatus.READY,
            study__mode=StudyMode.CONTINUOUS,
            study__status__in=[StudyStatus.LIVE, StudyStatus.PAUSED],
            finished_at__lt=now - regenerate_after(),
        )
        .filter(Exists(newer))
        .order_by("pk")
    )


def regenerate_due(now: datetime | None = None) -> int:
    """Regenerate the due reports (each becomes pending and is queued); returns how many."""
    due = due_reports(now)
    for report in due:
        services.report_regenerate(report=report)
    return len(due)
