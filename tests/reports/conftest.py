from __future__ import annotations

import dataclasses
from typing import Any, cast

import pytest
from django.utils import timezone

from reports.analysis import SegmentInfo, analyze
from reports.models import Report, ReportSegment, ReportStatus
from tests.factories import ReportFactory, ReportSegmentFactory, StudyFactory
from tests.reports import synthetic


def ready_report(workspace: Any, per_segment: int = 40, seed: int = 0) -> Report:
    """A ready report of two segments whose document is the analysis of synthetic interviews."""
    study = StudyFactory(workspace=workspace, title="Why do they stall?")
    report = cast(Report, ReportFactory(study=study))
    first = cast(
        ReportSegment,
        ReportSegmentFactory(report=report, segment__name="Price watchers", position=0),
    )
    second = cast(
        ReportSegment, ReportSegmentFactory(report=report, segment__name="Integrators", position=1)
    )
    ids = {"a": str(first.segment.pk), "b": str(second.segment.pk)}
    responses = [
        dataclasses.replace(response, segment=ids[response.segment])
        for response in synthetic.responses(seed, per_segment)
    ]
    segments = [
        SegmentInfo(ids["a"], "Price watchers", invited=60, completed=per_segment, excluded=2),
        SegmentInfo(ids["b"], "Integrators", invited=60, completed=per_segment),
    ]
    report.document = analyze(synthetic.QUESTIONS, segments, responses)
    report.status, report.progress, report.step = ReportStatus.READY, 100, "Done"
    report.generation, report.finished_at = 1, timezone.now()
    report.save()
    return report


@pytest.fixture
def report(workspace) -> Report:
    return ready_report(workspace)
