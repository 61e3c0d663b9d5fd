"""Segments: definitions, membership with history, snapshots and compute jobs."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from people.models import Person
from workspaces.models import Workspace


class SegmentKind(models.TextChoices):
    RULE = "rule", "Rule"
    RFM = "rfm", "RFM"
    CLUSTER = "cluster", "Cluster"
    STATIC = "static", "Static list"
    EXTERNAL = "external", "External"


# Kinds whose members a compute derives from events (the others are lists).
COMPUTED_KINDS = (SegmentKind.RULE, SegmentKind.RFM, SegmentKind.CLUSTER)


class Segment(models.Model):
    """A behavioral segment: a definition specific enough to compute, a size, a playbook."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=SegmentKind.choices)
    definition = models.JSONField(default=dict, blank=True)
    playbook = models.TextField(blank=True, help_text="What the team does for this segment.")
    # Cluster segments have one child segment per cluster.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    is_active = models.BooleanField(default=True)
    size = models.PositiveIntegerField(default=0)
    share_of_people = models.FloatField(null=True, blank=True)
    share_of_revenue = models.FloatField(
        null=True,
        blank=True,
        help_text="Members' share of the workspace's revenue (its revenue event's property) "
        "over the 365 days up to share_of_revenue_at; null when there is none to share.",
    )
    # The share of revenue is recorded by a follow-up task once a compute commits (one read
    # of a year of revenue events for every segment the compute or refresh touched): until
    # then the last figure stays, with the end of the window it covers, marked pending.
    share_of_revenue_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="End of the 365-day window the share of revenue covers: the time of the "
        "compute it was recorded for; null until one is recorded.",
    )
    share_of_revenue_pending = models.BooleanField(
        default=False,
        help_text="A compute finished and its share of revenue is still being recorded; "
        "meanwhile share_of_revenue is the figure as of share_of_revenue_at.",
    )
    # Of the members 30 days before the last compute, the share still members.
    stability = models.FloatField(null=True, blank=True)
    # What the last compute found beyond the members, by kind: for a cluster parent the
    # chosen k, the silhouette of each k tried, who was left out and why, and how stable
    # the clusters are across seeds (see `clusters.result_summary`).
    result = models.JSONField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    # External segments: the HMAC secret of the signed inbound webhook.
    webhook_secret = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["workspace", "is_active"], name="segment_ws_active")]

    def __str__(self) -> str:
        return self.name


class SegmentMembership(models.Model):
    """A person's stay in a segment: open while `exited_at` is null; history is kept."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="segment_memberships")
    entered_at = models.DateTimeField()
    exited_at = models.DateTimeField(null=True, blank=True)
    # Kind-specific detail, e.g. RFM scores {recency_days, frequency, monetary, r, f, m, tier}.
    scores = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "person"],
                condition=models.Q(exited_at__isnull=True),
                name="uniq_open_segment_membership",
            ),
        ]
        indexes = [
            models.Index(fields=["segment", "exited_at"], name="segmember_seg_exited"),
            models.Index(fields=["person", "segment"], name="segmember_person_seg"),
        ]
        ordering = ["-entered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.person} in {self.segment}"


class SegmentSnapshot(models.Model):
    """The size of a segment at one compute: its trend and sparkline."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="snapshots")
    computed_at = models.DateTimeField()
    size = models.PositiveIntegerField()
    entered = models.PositiveIntegerField(default=0)
    exited = models.PositiveIntegerField(default=0)
    share_of_people = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["segment", "computed_at"], name="segsnap_seg_time")]
        ordering = ["computed_at", "id"]

    def __str__(self) -> str:
        return f"{self.segment} = {self.size} at {self.computed_at:%Y-%m-%d %H:%M}"


class InboundDelivery(models.Model):
    """A signed webhook delivery, kept past the timestamp tolerance so it is never replayed."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(max_length=80)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "signature"], name="uniq_inbound_delivery"),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id}: {self.signature[:15]}"


class SegmentRefresh(models.Model):
    """Per workspace: when segments were last refreshed and until when a refresh is queued.

    Ingestion asks for a refresh after each batch; one conditional UPDATE on this
    row lets only the first ask in a minute schedule it (debounce across processes).
    """

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    scheduled_until = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh of {self.workspace_id}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class SegmentComputeJob(models.Model):
    """One requested recompute of a segment, run by a worker; progress a person can follow.

    At most one job per segment is queued or running: asking again joins it.
    """

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="compute_jobs")
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    requested_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # How far the worker is, 0-100, and what it is doing ("Trying k = 4 of 2-8").
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=120, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    entered = models.PositiveIntegerField(null=True, blank=True)
    exited = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["segment"],
                condition=models.Q(status__in=["queued", "running"]),
                name="uniq_unfinished_compute_job",
            ),
        ]
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"compute {self.segment_id}: {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in {JobStatus.DONE, JobStatus.FAILED}
