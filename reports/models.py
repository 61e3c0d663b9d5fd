"""Models of the reports app: a comparison report of segments in one study.

A Report is also its own generation job: status, progress (0-100) and the name
of the step a worker is on, so generation is visible and reruns are
idempotent. The analysis result is a JSON document (see DESIGN.md, "Reports";
`document["version"]` is its format) and `generation` counts how many times it
has been (re)generated. A share token, when set, opens a read-only copy of the
page to anyone holding the link; revoking it clears the token.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from segments.models import Segment
from studies.models import Study
from workspaces.models import Workspace


class ReportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


def new_share_token() -> str:
    # 192 bits, URL-safe: the only credential of a shared page.
    return secrets.token_urlsafe(24)


class Report(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="reports")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="reports")
    segments = models.ManyToManyField(Segment, through="ReportSegment", related_name="+")
    status = models.CharField(
        max_length=8, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=120, blank=True)
    error = models.TextField(blank=True)
    # Interviews flagged as low quality are left out unless the researcher says otherwise.
    include_flagged = models.BooleanField(default=False)
    document = models.JSONField(null=True, blank=True)
    generation = models.PositiveIntegerField(default=0)
    share_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "study"], name="report_ws_study")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="report_progress_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} of study {self.study_id}: {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in {ReportStatus.READY, ReportStatus.FAILED}

    def ordered_segments(self) -> list[Segment]:
        return [link.segment for link in self.links.select_related("segment").order_by("position")]


class ReportSegment(models.Model):
    """A compared segment, in the report's column order."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="links")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "segment"], name="uniq_report_segment"),
        ]
        ordering = ["report", "position"]

    def __str__(self) -> str:
        return f"{self.report_id} → {self.segment_id}"
