"""Writes of reports: share links (and, with the interviews app, generation)."""

from __future__ import annotations

from django.db import transaction

from reports.models import Report, new_share_token


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
