"""Reads of reports, scoped to the workspace."""

from __future__ import annotations

from django.db.models import QuerySet

from reports.models import Report
from workspaces.models import Workspace


def report_list(*, workspace: Workspace, study_id: int | None = None) -> QuerySet[Report]:
    reports = Report.objects.filter(workspace=workspace).select_related("study")
    if study_id is not None:
        reports = reports.filter(study_id=study_id)
    return reports.prefetch_related("links__segment")


def report_get(*, workspace: Workspace, pk: int) -> Report | None:
    return report_list(workspace=workspace).filter(pk=pk).first()


def report_shared(*, token: str) -> Report | None:
    """The ready report a share link opens; None for an unknown or revoked token."""
    if not token:
        return None
    return Report.objects.filter(share_token=token, document__isnull=False).first()
