"""Studies: what is asked (questions), of whom (target segments), and the invitations.

Reads that launch and the API depend on, and the index that serves each:

- "was this person invited to any study of the workspace since T" (recontact):
  `invitation_person_created` on (person, created_at); a person belongs to one
  workspace, so the workspace need not lead the index.
- "is this person already invited to this study": the unique (study, person).
- per-segment progress of a study and the invitation list filtered by segment
  or status: `invitation_study_seg_status`.
- a respondent's link: the unique token.
- sending (a study's pending invitations in id order) and the expiry schedule (open
  invitations past their date): two partial indexes.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from people.models import Person
from segments.models import Segment
from studies.question_types import QuestionSpec, QuestionType
from workspaces.models import Workspace

TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 256 random bits, 43 characters


def new_sampling_seed() -> str:
    return secrets.token_hex(8)


def new_invitation_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class StudyMode(models.TextChoices):
    ONE_OFF = "one_off", "One-off"
    CONTINUOUS = "continuous", "Continuous"


class StudyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    LIVE = "live", "Live"
    PAUSED = "paused", "Paused"
    CLOSED = "closed", "Closed"


class ModeratorTone(models.TextChoices):
    NEUTRAL = "neutral", "Neutral"
    FRIENDLY = "friendly", "Friendly"
    FORMAL = "formal", "Formal"


class Study(models.Model):
    """An interview study aimed at the members of one or more segments."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="studies")
    # Names the study's traits on people: `motive.<key>.<question key>`.
    key = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    objective = models.TextField(blank=True, help_text="The decision this study informs.")
    segments = models.ManyToManyField(
        Segment, through="StudySegment", related_name="studies", blank=True
    )
    mode = models.CharField(max_length=16, choices=StudyMode.choices, default=StudyMode.ONE_OFF)
    quota_per_segment = models.PositiveIntegerField(default=30)
    recontact_days = models.PositiveIntegerField(default=60)
    language = models.CharField(max_length=16, default="en")
    consent_text = models.TextField(blank=True)
    incentive_text = models.TextField(blank=True)
    moderator_tone = models.CharField(
        max_length=16, choices=ModeratorTone.choices, default=ModeratorTone.NEUTRAL
    )
    invitation_expiry_days = models.PositiveIntegerField(default=30)
    # Whether the moderator may follow up on structured answers (a score, a choice) too;
    # open-ended answers are probed either way, up to each question's max_followups.
    probe_structured = models.BooleanField(default=False, db_default=False)
    # How invitations reach people: a channel of `studies.channels` ("email", ...), or
    # "link": Motive sends nothing and the links are exported for a CRM.
    channel = models.CharField(max_length=32, default="email")
    # Buying committees: at most this many people of one account are invited.
    account_cap = models.PositiveIntegerField(null=True, blank=True)
    # Continuous listening (studies.listening): at most `listening_cap` new entrants are
    # invited in any `listening_period_days` days (a rolling window).
    listening_cap = models.PositiveIntegerField(default=20, db_default=20)
    listening_period_days = models.PositiveIntegerField(default=7, db_default=7)
    # Coverage of buying committees: the person trait that names a person's role; blank
    # means `role`, else `title` (selectors.coverage).
    role_trait = models.CharField(max_length=64, blank=True, default="", db_default="")
    status = models.CharField(max_length=8, choices=StudyStatus.choices, default=StudyStatus.DRAFT)
    # Orders candidates for sampling: the same seed draws the same people.
    sampling_seed = models.CharField(max_length=32, default=new_sampling_seed)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    launched_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="uniq_study_key"),
        ]
        indexes = [models.Index(fields=["workspace", "status"], name="study_ws_status")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == StudyStatus.DRAFT


class StudySegment(models.Model):
    """A target segment of a study, in the study's order (which attributes people in two)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="targets")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "segment"], name="uniq_study_segment"),
        ]
        ordering = ["study", "position"]

    def __str__(self) -> str:
        return f"{self.study_id} → {self.segment_id}"


class Question(models.Model):
    """One question of a study; `config` holds what its type needs (question_types)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField()
    key = models.CharField(max_length=64)
    type = models.CharField(max_length=16, choices=QuestionType.choices)
    prompt = models.TextField(blank=True)
    required = models.BooleanField(default=True)
    config = models.JSONField(default=dict, blank=True)
    probe_max_followups = models.PositiveSmallIntegerField(default=0)
    probe_instructions = models.TextField(blank=True)
    # {"question": <earlier key>, "op": ..., "value": ...} or null.
    show_if = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "key"], name="uniq_question_key"),
            models.CheckConstraint(
                condition=models.Q(probe_max_followups__lte=3), name="question_followups_0_3"
            ),
        ]
        ordering = ["study", "position", "id"]

    def __str__(self) -> str:
        return self.key

    def as_spec(self) -> QuestionSpec:
        return QuestionSpec(
            key=self.key,
            type=self.type,
            prompt=self.prompt,
            required=self.required,
            config=dict(self.config),
            probe_max_followups=self.probe_max_followups,
            probe_instructions=self.probe_instructions,
            show_if=dict(self.show_if) if self.show_if else None,
        )


class QuestionRevision(models.Model):
    """A wording change made after launch: `changes` is {field: {"from": old, "to": new}}.

    Meaning (type, options, bounds, branching, keys) cannot change once answers may
    exist, so every answer stored under a key answers the same question; this keeps
    the wording each respondent may have seen.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="revisions")
    changes = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["question", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.question_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    OPENED = "opened", "Opened"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"
    OPTED_OUT = "opted_out", "Opted out"


class InvitationSource(models.TextChoices):
    LAUNCH = "launch", "Launch"
    API = "api", "Explicit (API)"
    LISTENING = "listening", "Continuous listening"


class Invitation(models.Model):
    """A person's personal link to a study's interview; the token is the only credential."""

    # No index of its own: a workspace is deleted rarely, and every read is by study,
    # person or token.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Indexed by uniq_invitation_study_person, whose leading column it is.
    study = models.ForeignKey(
        Study, on_delete=models.CASCADE, related_name="invitations", db_index=False
    )
    # Indexed by invitation_person_created, whose leading column it is.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="invitations", db_index=False
    )
    # The target segment the invitation is attributed to; reports compare by it.
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    source = models.CharField(
        max_length=10, choices=InvitationSource.choices, default=InvitationSource.LAUNCH
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    # Why the channel cannot deliver this invitation (no email address, a permanent
    # refusal, temporary failures past the last attempt); set, it is not tried again.
    send_error = models.CharField(max_length=500, blank=True, default="", db_default="")
    # Deliveries tried and failed temporarily; bounds the retries of one invitation.
    send_attempts = models.PositiveSmallIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["study", "person"], name="uniq_invitation_study_person"
            ),
        ]
        indexes = [
            models.Index(fields=["person", "created_at"], name="invitation_person_created"),
            models.Index(fields=["study", "segment", "status"], name="invitation_study_seg_status"),
            # Sending walks a study's pending invitations in id order.
            models.Index(
                fields=["study", "id"],
                condition=models.Q(status="pending"),
                name="invitation_study_pending",
            ),
            # The expiry schedule finds open invitations past their date.
            models.Index(
                fields=["expires_at"],
                condition=models.Q(status__in=["pending", "sent", "opened"]),
                name="invitation_open_expires",
            ),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.person_id} → study {self.study_id} ({self.status})"


class OptOut(models.Model):
    """A person who asked not to be contacted again: honored by every study of the workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="opt_outs")
    created_at = models.DateTimeField(default=timezone.now)
    # Where the request came from: "email_link", "api", "admin", ...
    source = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "person"], name="uniq_optout_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} opted out"
