"""Shapes of the respondent's API (DESIGN.md "Interviews")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from interviews.models import InterviewStatus

STEP_KINDS = ["question", "followup", "done"]


class ProgressSerializer(serializers.Serializer[Any]):
    answered = serializers.IntegerField(
        help_text="Questions done: answered, or skipped because of branching."
    )
    total = serializers.IntegerField(help_text="Questions in the study.")


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "description": "The question the step belongs to: key, type, prompt, required and "
        "the fields of its type (options, allow_other, min, max, min_label, max_label, "
        "min_selected, max_selected). A follow-up belongs to the question it probes and is "
        "answered with text. Null when the interview is done.",
        "additionalProperties": True,
    }
)
class QuestionField(serializers.JSONField):
    pass


class StepSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(allow_null=True, help_text="Null when the interview is done.")
    kind = serializers.ChoiceField(choices=STEP_KINDS)
    text = serializers.CharField(help_text="What the respondent is asked, in the study's language.")
    question = QuestionField()


class InterviewStateSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=InterviewStatus.choices)
    progress = ProgressSerializer()
    step = StepSerializer()


class AnswerInputSerializer(serializers.Serializer[Any]):
    """Documentation of the body; the view checks it itself to word its errors."""

    step = serializers.IntegerField(help_text="The id of the step answered (the current one).")
    value = serializers.JSONField(
        help_text="Text for open_ended questions and follow-ups; a whole number in range for "
        'scale; one option or {"other": "..."} for single_choice; a list of options for '
        "multiple_choice; every option, in order, for ranking; true or false for yes_no; "
        "null skips an optional question."
    )


@extend_schema_field(OpenApiTypes.OBJECT)
class ErrorDetailField(serializers.JSONField):
    pass


class InterviewErrorSerializer(serializers.Serializer[Any]):
    error = serializers.CharField(help_text="What went wrong, in words a respondent can act on.")
    detail = ErrorDetailField(
        help_text='{"code": ...}: not_found, invalid_answer, unknown_step, answered, completed, '
        "paused, expired, opted_out, closed, rate_limited (with retry_after)."
    )
