"""The demo's reports: the comparison study's two segments side by side, the same study's
respondents cut by one answer (the segments on its trait), and the follow-up study at those
segments. Generated here, in the setup, so they are ready when the demo
opens; the queued task then finds them finished and does nothing."""

from __future__ import annotations

from typing import Final

from reports import generation, services
from reports.models import Report
from segments.models import Segment
from studies.demo_studies import ANSWER_SEGMENTS, COMPARISON
from studies.models import Study
from workspaces.models import Workspace

# Study keys of studies/demo_studies.py.
REPORTED_STUDIES: Final = ("why-stay-or-stall", "team-followup")


def create_demo_reports(*, workspace: Workspace) -> list[Report]:
    """One report per demo study that has none, comparing all its target segments, and the
    comparison study cut by the answer segments; [] when they exist already."""
    created = []
    studies = Study.objects.filter(workspace=workspace, key__in=REPORTED_STUDIES).order_by("id")
    for study in studies:
        if Report.objects.filter(study=study).exists():
            continue
        segment_ids = list(study.targets.order_by("position").values_list("segment_id", flat=True))
        created.append(_generated(workspace, study, segment_ids))
    comparison = studies.filter(key=COMPARISON["key"]).first()
    cut = list(
        Segment.objects.filter(workspace=workspace, name__in=list(ANSWER_SEGMENTS))
        .order_by("name")
        .values_list("pk", flat=True)
    )
    if comparison is not None and len(cut) == len(ANSWER_SEGMENTS):
        targets = set(comparison.targets.values_list("segment_id", flat=True))
        if not any(
            set(report.segments.values_list("pk", flat=True)) - targets
            for report in Report.objects.filter(study=comparison)
        ):
            created.append(_generated(workspace, comparison, cut))
    return created


def _generated(workspace: Workspace, study: Study, segment_ids: list[int]) -> Report:
    report = services.report_create(workspace=workspace, study_id=study.pk, segment_ids=segment_ids)
    generation.run_generation(report_id=report.pk)  # a no-op if tasks ran eagerly
    report.refresh_from_db()
    return report
