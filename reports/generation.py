"""Report generation: the job a worker runs for a pending report.

`run_generation` claims the report under a row lock (a redelivered task finds it
claimed or finished and does nothing; a run whose worker died is taken over
after `STALE_AFTER`), reports progress (0-100 and a step name) as it goes, and
always leaves the report finished: ready with a new document (`generation`
counts up), or failed with a message a researcher can act on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from reports import continuous, sources, writeback
from reports.analysis import analyze
from reports.models import Report, ReportStatus

logger = logging.getLogger(__name__)

# A report running this long lost its worker (the task's hard limit is 30 minutes).
STALE_AFTER: Final = timedelta(minutes=35)


def _claim(report_id: int) -> Report | None:
    with transaction.atomic():
        stale = timezone.now() - STALE_AFTER
        report = (
            Report.objects.select_for_update()
            .select_related("study")
            .filter(pk=report_id)
            .filter(
                Q(status=ReportStatus.PENDING)
                | Q(status=ReportStatus.RUNNING, started_at__lt=stale)
            )
            .first()
        )
        if report is None:
            return None
        report.status, report.started_at = ReportStatus.RUNNING, timezone.now()
        report.progress, report.step = 1, "Reading interviews"
        report.save(update_fields=["status", "started_at", "progress", "step"])
        return report


def run_generation(*, report_id: int) -> Report | None:
    """Generate a pending report; None when it is gone, or claimed or finished already."""
    report = _claim(report_id)
    if report is None:
        return None

    def progress(percent: int, step: str) -> None:
        Report.objects.filter(pk=report_id).update(
            progress=max(0, min(99, percent)), step=step[:120]
        )

    coded = writeback.Coded()
    try:
        document = build_document(report, progress, coded)
    except Exception:
        logger.exception("report %s failed", report_id)
        Report.objects.filter(pk=report_id).update(
            status=ReportStatus.FAILED,
            error="Something went wrong while generating; it has been logged. Try again.",
            finished_at=timezone.now(),
        )
    else:
        Report.objects.filter(pk=report_id).update(
            status=ReportStatus.READY,
            document=document,
            progress=100,
            step="Done",
            error="",
            generation=F("generation") + 1,
            finished_at=timezone.now(),
        )
    report.refresh_from_db()
    if report.status == ReportStatus.READY:
        _write_themes(report, coded)
    return report


def _write_themes(report: Report, coded: writeback.Coded) -> None:
    try:
        writeback.write_themes(report=report, coded=coded)
    except Exception:
        logger.exception("report %s: writing themes to people failed", report.pk)


def build_document(
    report: Report,
    progress: Callable[[int, str], None],
    coded: writeback.Coded | None = None,
) -> dict[str, Any]:
    """The analysis of the report's study and segments as they are now; `coded` collects
    the interviews read and the codings of the reported themes."""
    coded = coded if coded is not None else writeback.Coded()
    segments = report.ordered_segments()
    study = report.study
    infos = sources.segment_infos(study, segments, report.include_flagged)
    rows = sources.responses(study, segments, report.include_flagged)
    progress(5, f"Analysing {len(rows)} interviews")
    questions = sources.question_specs(study)
    coded.interviews = [row.interview for row in rows]
    document = analyze(
        questions,
        infos,
        rows,
        use_model=bool(settings.OPENAI_API_KEY),
        progress=progress,
        coded=coded.codings.extend,
    )
    if continuous.is_continuous(study):
        document["over_time"] = continuous.over_time(study, questions, infos, rows, coded.codings)
    for row in document["segments"]:
        row["id"] = int(row["id"])
    return document
