"""Report generation: the job a worker runs for a pending report.

`run_generation` claims the report under a row lock (a redelivered task finds it
claimed or finished and does nothing; a run whose worker died is taken over
after `STALE_AFTER`), reports progress (0-100 and a step name) as it goes, and
always leaves the report finished: ready with a new document (`generation`
counts up), or failed with a message a researcher can act on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from reports import continuous, sources, writeback
from reports.analysis import analyze
from reports.models import Report, ReportStatus
from reports.themes import Coding

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

    coded: dict[str, list[str]] = {}
    try:
        document = build_document(report, progress, on_themes=coded.update)
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
    if report.status == ReportStatus.READY and coded:
        _write_back(report, coded)
    return report


def _write_back(report: Report, coded: dict[str, list[str]]) -> None:
    # After the report is saved: a failure here costs the traits, never the report.
    try:
        writeback.themes_write_back(report=report, themes=coded)
    except Exception:
        logger.exception("report %s: writing themes back to people failed", report.pk)


def build_document(
    report: Report,
    progress: Callable[[int, str], None],
    *,
    on_themes: Callable[[dict[str, list[str]]], None] | None = None,
) -> dict[str, Any]:
    """The analysis of the report's study and segments as they are now; `on_themes` gets
    each counted interview's theme labels."""
    segments = report.ordered_segments()
    study = report.study
    infos = sources.segment_infos(study, segments, report.include_flagged)
    rows = sources.responses(study, segments, report.include_flagged)
    progress(5, f"Analysing {len(rows)} interviews")

    kept: list[Coding] = []

    def collect(codings: Sequence[Coding]) -> None:
        kept.extend(codings)
        if on_themes is not None:
            on_themes(writeback.themes_by_interview([row.interview for row in rows], codings))

    questions = sources.question_specs(study)
    document = analyze(
        questions,
        infos,
        rows,
        use_model=bool(settings.OPENAI_API_KEY),
        progress=progress,
        on_codings=collect,
    )
    if continuous.is_continuous(study):
        document["over_time"] = continuous.over_time(study, questions, infos, rows, kept)
    for row in document["segments"]:
        row["id"] = int(row["id"])
    return document
