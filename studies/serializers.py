"""Input and output shapes of the studies API (DESIGN.md "Studies").

Questions travel flat: `{"key", "type", "prompt", "required", "probe", "show_if"}` plus
the fields of their type (`options`, `allow_other`, `min`, `max`, `min_label`,
`max_label`, `min_selected`, `max_selected`). Input questions are checked by
`studies.question_types`, whose errors name the path (`questions[2].options[1]`);
the serializers here only check types of the study's own fields.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from studies.channels import channel_names
from studies.links import invitation_url
from studies.models import (
    Invitation,
    InvitationStatus,
    ModeratorTone,
    Question,
    QuestionRevision,
    Study,
    StudyMode,
)
from studies.question_types import TYPE_FIELDS, QuestionType


class ProbeSerializer(serializers.Serializer[Any]):
    max_followups = serializers.IntegerField(
        min_value=0, max_value=3, help_text="Default 2 for open_ended, 0 for the others."
    )
    instructions = serializers.CharField(allow_blank=True)


class ShowIfSerializer(serializers.Serializer[Any]):
    question = serializers.CharField(help_text="The key of an earlier question.")
    op = serializers.ChoiceField(choices=["eq", "neq", "in", "contains", "gte", "lte"])
    value = serializers.JSONField(help_text="A value the earlier question can take.")


class QuestionSerializer(serializers.Serializer[Any]):
    """A question as the API reads and writes it (fields of other types are absent)."""

    key = serializers.CharField(help_text="Stable, slug-shaped, unique in the study.")
    type = serializers.ChoiceField(choices=QuestionType.choices)
    prompt = serializers.CharField(required=False, allow_blank=True)
    # The metaclass moves declared fields off the class, so this does not shadow
    # Field.required at runtime; mypy sees only the class body.
    required = serializers.BooleanField(required=False, default=True)  # type: ignore[assignment]
    probe = ProbeSerializer(required=False)
    show_if = ShowIfSerializer(required=False, allow_null=True)
    options = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="single_choice, multiple_choice, ranking: 1 to 50 distinct options "
        "(ranking at least 2).",
    )
    allow_other = serializers.BooleanField(required=False, help_text="single_choice only.")
    min = serializers.IntegerField(required=False, help_text="scale: the lowest point.")
    max = serializers.IntegerField(required=False, help_text="scale: at most 101 points.")
    min_label = serializers.CharField(required=False, allow_blank=True)
    max_label = serializers.CharField(required=False, allow_blank=True)
    min_selected = serializers.IntegerField(required=False, help_text="multiple_choice.")
    max_selected = serializers.IntegerField(required=False, help_text="multiple_choice.")


def question_data(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": question.key,
        "type": question.type,
        "prompt": question.prompt,
        "required": question.required,
        "probe": {
            "max_followups": question.probe_max_followups,
            "instructions": question.probe_instructions,
        },
        "show_if": question.show_if,
    }
    for name in TYPE_FIELDS[question.type]:
        data[name] = question.config.get(name)
    return data


@extend_schema_field(QuestionSerializer(many=True))
class QuestionListField(serializers.JSONField):
    """The question list, left as JSON for `question_types.validate_questions`."""


class SegmentProgressSerializer(serializers.Serializer[Any]):
    segment = serializers.IntegerField()
    invited = serializers.IntegerField()
    opened = serializers.IntegerField(help_text="Opened, including those who completed.")
    completed = serializers.IntegerField()
    completion_rate = serializers.FloatField(allow_null=True, help_text="completed / invited")


STUDY_FIELDS = [
    "id",
    "key",
    "title",
    "objective",
    "segments",
    "mode",
    "quota_per_segment",
    "recontact_days",
    "language",
    "consent_text",
    "incentive_text",
    "moderator_tone",
    "probe_structured",
    "invitation_expiry_days",
    "account_cap",
    "listening_cap",
    "listening_period_days",
    "role_trait",
    "channel",
    "status",
    "sampling_seed",
    "created_at",
    "updated_at",
    "launched_at",
    "paused_at",
    "closed_at",
    "questions",
]


class StudySerializer(serializers.ModelSerializer[Study]):
    segments = serializers.SerializerMethodField()
    questions = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = STUDY_FIELDS
        read_only_fields = fields

    def get_segments(self, study: Study) -> list[int]:
        return [target.segment_id for target in study.targets.all()]

    @extend_schema_field(QuestionSerializer(many=True))
    def get_questions(self, study: Study) -> list[dict[str, Any]]:
        return [question_data(q) for q in study.questions.all()]


class StudyDetailSerializer(StudySerializer):
    progress = serializers.SerializerMethodField()

    class Meta(StudySerializer.Meta):
        fields = [*STUDY_FIELDS, "progress"]
        read_only_fields = fields

    @extend_schema_field(SegmentProgressSerializer(many=True))
    def get_progress(self, study: Study) -> list[dict[str, Any]]:
        return [
            {
                "segment": p.segment_id,
                "invited": p.invited,
                "opened": p.opened,
                "completed": p.completed,
                "completion_rate": p.completion_rate,
            }
            for p in self.context.get("progress", [])
        ]


class StudyWriteSerializer(serializers.Serializer[Any]):
    """The study's own fields; unknown fields are refused rather than ignored."""

    title = serializers.CharField(max_length=200)
    key = serializers.CharField(max_length=64, required=False)
    objective = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    segments = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        max_length=20,
        help_text="Target segment ids; a person in several is attributed to the first.",
    )
    mode = serializers.ChoiceField(choices=StudyMode.choices, required=False)
    quota_per_segment = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
    recontact_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    language = serializers.CharField(max_length=16, required=False)
    consent_text = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    incentive_text = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    moderator_tone = serializers.ChoiceField(choices=ModeratorTone.choices, required=False)
    probe_structured = serializers.BooleanField(
        required=False,
        help_text="Whether the moderator may follow up on structured answers (a score, a "
        "choice) too, up to each question's max_followups; open answers are probed either way.",
    )
    invitation_expiry_days = serializers.IntegerField(min_value=1, max_value=365, required=False)
    account_cap = serializers.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        allow_null=True,
        help_text="Buying committees: at most this many people of one account.",
    )
    listening_cap = serializers.IntegerField(
        min_value=1,
        max_value=10_000,
        required=False,
        help_text="Continuous studies: at most this many new segment entrants are invited "
        "in any `listening_period_days` days (a rolling window; default 20).",
    )
    listening_period_days = serializers.IntegerField(
        min_value=1,
        max_value=365,
        required=False,
        help_text="The listening period in days (default 7).",
    )
    role_trait = serializers.CharField(
        max_length=64,
        allow_blank=True,
        required=False,
        help_text="Buying committees: the person trait naming a person's role, for the "
        "coverage view; blank reads `role`, else `title`.",
    )
    channel = serializers.ChoiceField(
        choices=channel_names(),
        required=False,
        help_text='How invitations are sent: "email", or "link" (Motive sends nothing; '
        "export the links with `GET /studies/{id}/invitations/?format=csv`).",
    )
    questions = QuestionListField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: ["Unknown field."]})
        return attrs


class LaunchSegmentSerializer(serializers.Serializer[Any]):
    segment = serializers.IntegerField(source="segment_id")
    members = serializers.IntegerField(help_text="Current members attributed to this segment.")
    invited = serializers.IntegerField()
    opted_out = serializers.IntegerField()
    recontact = serializers.IntegerField(help_text="Invited to a study in the recontact window.")
    over_account_cap = serializers.IntegerField()
    over_quota = serializers.IntegerField()


class LaunchResultSerializer(serializers.Serializer[Any]):
    study = StudySerializer()
    invited = serializers.IntegerField()
    segments = LaunchSegmentSerializer(many=True)


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    user_id = serializers.CharField(source="person.user_id", allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "user_id",
            "segment",
            "token",
            "url",
            "status",
            "source",
            "created_at",
            "sent_at",
            "opened_at",
            "completed_at",
            "expires_at",
            "send_error",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "send_error": {
                "help_text": "Why the study's channel cannot deliver this invitation (no "
                "email address, refused by the mail server); empty when it can. Such an "
                "invitation stays pending and is not tried again."
            }
        }

    def get_url(self, invitation: Invitation) -> str:
        return invitation_url(invitation.token)


class InvitationCreateSerializer(serializers.Serializer[Any]):
    user_ids = serializers.ListField(
        child=serializers.CharField(max_length=255), min_length=1, max_length=1000
    )
    segment = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**62,
        help_text="A target segment to attribute the invitations to.",
    )
    create_unknown = serializers.BooleanField(
        required=False, default=False, help_text="Create people for unknown user ids."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: ["Unknown field."]})
        return attrs


class SkippedSerializer(serializers.Serializer[Any]):
    user_id = serializers.CharField()
    reason = serializers.ChoiceField(
        choices=["unknown_user", "opted_out", "already_invited", "recontact", "over_account_cap"]
    )


class InvitationCreatedSerializer(serializers.Serializer[Any]):
    invitations = InvitationSerializer(many=True)
    skipped = SkippedSerializer(many=True)


class InvitationFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=InvitationStatus.choices, required=False)
    segment = serializers.IntegerField(required=False, min_value=1, max_value=2**62)


class QuestionRevisionSerializer(serializers.ModelSerializer[QuestionRevision]):
    question = serializers.CharField(source="question.key")

    class Meta:
        model = QuestionRevision
        fields = ["id", "question", "changes", "created_at"]
        read_only_fields = fields


class AccountCoverageSerializer(serializers.Serializer[Any]):
    account = serializers.IntegerField(source="account_id")
    group_id = serializers.CharField(help_text="The account's id in `group` calls.")
    name = serializers.CharField(help_text="The account's `name` trait, else its group id.")
    invited = serializers.IntegerField(help_text="People of the account invited to the study.")
    completed = serializers.IntegerField(help_text="Of them, those who completed (at least 1).")
    roles = serializers.ListField(
        child=serializers.CharField(),
        help_text="Distinct roles of those who completed, read from the study's "
        "`role_trait` (blank: `role`, else `title`), sorted.",
    )
    without_role = serializers.IntegerField(help_text="People who completed without a role trait.")


class StudyTemplateSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    objective = serializers.CharField(help_text="The decision the study informs.")
    summary = serializers.CharField(help_text="When to use it.")
    questions = serializers.ListField(
        source="guide",
        child=QuestionSerializer(),
        help_text="The question guide, ready to POST.",
    )


class DraftRequestSerializer(serializers.Serializer[Any]):
    objective = serializers.CharField(
        max_length=2000, help_text="The decision the study should inform."
    )
    segments = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        default=list,
        max_length=20,
        help_text="The segments to interview (their names and playbooks inform the guide).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: ["Unknown field."]})
        return attrs


class DraftStudySerializer(serializers.Serializer[Any]):
    title = serializers.CharField()
    objective = serializers.CharField()
    segments = serializers.ListField(child=serializers.IntegerField())
    questions = serializers.ListField(child=QuestionSerializer())


class DraftSerializer(serializers.Serializer[Any]):
    study = DraftStudySerializer(
        source="*", help_text="A study body for `POST /api/v1/studies/` (nothing is saved)."
    )
    # Declared fields leave the class body (the metaclass), so this does not shadow
    # Field.source at runtime; mypy sees only the class body.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["model", "template"],
        help_text="model: written by the configured language model; template: the "
        "best-matching template.",
    )
    template = serializers.CharField(
        allow_null=True, help_text="The key of the template used, when source is template."
    )
    reason = serializers.CharField(
        allow_null=True,
        help_text="Why a template was used: no model configured, the model failed, or "
        "its guide was not valid.",
    )
