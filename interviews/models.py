"""Interviews: one per invitation, its steps (what was asked) and their answers.

- An `Interview` is created when its invitation's link is first opened (the page or
  the API); `invitation` is unique, so a link has one interview however often it is
  opened. Its workspace, study, person and segment are copied from the invitation:
  the person is set to null when they are erased (their answer text goes too, see
  `services.person_erase_answers`), while the structured answers stay for reports.
- A `Step` is one thing the respondent was asked, in order (`position`): a question
  of the study, a follow-up the moderator asked about a question, or a question that
  branching (`show_if`) skipped, recorded as skipped rather than missing.
- An `Answer` is the respondent's answer to one step; it is a row of its own with a
  unique step, so two concurrent answers to one step store exactly one (the other
  is refused by the constraint, a 409 in the API).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from people.models import Person
from segments.models import Segment
from studies.models import Invitation, Question, Study
from workspaces.models import Workspace


class InterviewStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class Inclusion(models.TextChoices):
    """The researcher's review of the quality flags: automatic follows `low_quality`."""

    AUTO = "auto", "Automatic"
    INCLUDE = "include", "Included"
    EXCLUDE = "exclude", "Excluded"


class Interview(models.Model):
    # Reads are by study (lists, exports, reports) or by invitation token.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="interviews")
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="interview"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="interviews"
    )
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=12, choices=InterviewStatus.choices, default=InterviewStatus.IN_PROGRESS
    )
    started_at = models.DateTimeField(default=timezone.now)
    # When the respondent agreed (the page's consent, or the first answer by API).
    consented_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The moderators that produced follow-ups: "offline", "model", "fallback" (sorted).
    moderators = models.JSONField(default=list, blank=True)
    quality_flags = models.JSONField(default=list, blank=True)
    quality_score = models.FloatField(null=True, blank=True)
    low_quality = models.BooleanField(default=False)
    inclusion = models.CharField(max_length=8, choices=Inclusion.choices, default=Inclusion.AUTO)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["study", "status"], name="interview_study_status")]
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"interview {self.pk} of study {self.study_id} ({self.status})"

    @property
    def is_completed(self) -> bool:
        return self.status == InterviewStatus.COMPLETED

    @property
    def included(self) -> bool:
        """Whether reports count it: the researcher's choice, else not when low quality."""
        if self.inclusion == Inclusion.AUTO:
            return not self.low_quality
        return self.inclusion == Inclusion.INCLUDE


class StepKind(models.TextChoices):
    QUESTION = "question", "Question"
    FOLLOWUP = "followup", "Follow-up"


class StepStatus(models.TextChoices):
    ASKED = "asked", "Asked"
    ANSWERED = "answered", "Answered"
    # Not asked: its show_if did not hold for the answers given.
    SKIPPED = "skipped", "Skipped by branching"


class Step(models.Model):
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=StepKind.choices)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    # Kept with the step so transcripts and reports read it without the question row.
    question_key = models.CharField(max_length=64)
    # 0 for the question itself, 1.. for its follow-ups.
    followup_index = models.PositiveSmallIntegerField(default=0)
    # What the respondent was shown: the prompt as worded then, or the follow-up.
    text = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=StepStatus.choices, default=StepStatus.ASKED)
    asked_at = models.DateTimeField(default=timezone.now)
    # Follow-ups: which moderator wrote it ("offline", "model", "fallback"), why, and
    # why the model's answer was not used when it fell back.
    moderator = models.CharField(max_length=16, blank=True)
    probe_reason = models.CharField(max_length=500, blank=True)
    fallback_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interview", "position"], name="uniq_step_position"),
        ]
        ordering = ["interview", "position"]

    def __str__(self) -> str:
        return f"{self.interview_id}#{self.position} {self.kind} {self.question_key}"


class Answer(models.Model):
    # The unique step: of two concurrent answers to one step the database stores one.
    step = models.OneToOneField(Step, on_delete=models.CASCADE, related_name="answer")
    # The stored form (studies.question_types.validate_answer); null when the
    # respondent skipped an optional question, or the text was erased.
    value = models.JSONField(null=True, blank=True)
    # The answer as text (structured values rendered), what moderators and reports read.
    text = models.TextField(blank=True)
    answered_at = models.DateTimeField(default=timezone.now)
    # From the step being asked to its answer.
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["step"]

    def __str__(self) -> str:
        return f"answer to step {self.step_id}"
