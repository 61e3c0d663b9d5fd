"""The demo's reports: the comparison study's two segments side by side, and the follow-up
study cut by one answer. Generated here, in the setup, so they are ready when the demo
opens; the queued task then finds them finished and does nothing."""

from __future__ import annotations

from typing import Final

from reports import generation, services
from reports.models import Report
from studies.models import Study
from workspaces.models import Workspace

# Study keys of studies/demo_studies.py.
REPORTED_STUDIES: Final = ("why-stay-or-stall", "team-followup")


def create_demo_reports(*, workspace: Workspace) -> list[Report]:
    """One report per demo study that has none, comparing all its target segments."""
    created = []
    studies = Study.objects.filter(workspace=workspace, key__in=REPORTED_STUDIES).order_by("id")
    for study in studies:
        if Report.objects.filter(study=study).exists():
            continue
        segment_ids = list(study.targets.order_by("position").values_list("segment_id", flat=True))
        report = services.report_create(
            workspace=workspace, study_id=study.pk, segment_ids=segment_ids
        )
        generation.run_generation(report_id=report.pk)  # a no-op if tasks ran eagerly
        report.refresh_from_db()
        created.append(report)
    return created
