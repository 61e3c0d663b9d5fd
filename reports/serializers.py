"""Input and output shapes of the reports API (DESIGN.md "Reports")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reports.models import Report, ReportStatus


class ReportSegmentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReportSerializer(serializers.ModelSerializer[Report]):
    """A report's state; `progress` is 0-100 and `step` names what the worker is doing."""

    segments = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=ReportStatus.choices, read_only=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "study",
            "segments",
            "status",
            "progress",
            "step",
            "error",
            "include_flagged",
            "generation",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ReportSegmentSerializer(many=True))
    def get_segments(self, report: Report) -> list[dict[str, Any]]:
        links = sorted(report.links.all(), key=lambda link: link.position)
        return [{"id": link.segment_id, "name": link.segment.name} for link in links]


class ReportDetailSerializer(ReportSerializer):
    """The report's state and, when it is ready, the document's keys at the top level."""

    def to_representation(self, instance: Report) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        if instance.status == ReportStatus.READY and instance.document:
            data.update(instance.document)
        return data


class ReportDocumentSchema(serializers.Serializer[Any]):
    """The document's keys, present when `status` is `ready` (see DESIGN.md, "Reports")."""

    version = serializers.IntegerField()
    themes_by = serializers.ChoiceField(choices=["offline", "model"])
    segments = serializers.ListField(child=serializers.DictField())
    questions = serializers.ListField(child=serializers.DictField())
    themes = serializers.ListField(child=serializers.DictField())
    distinctive_terms = serializers.DictField(child=serializers.ListField())
    subgroups = serializers.DictField(child=serializers.ListField())
    summary = serializers.DictField()


class ReportDetailSchema(ReportSerializer, ReportDocumentSchema):  # type: ignore[misc]
    """For the OpenAPI schema only: a report with its document's keys."""

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, *ReportDocumentSchema().fields]


class ReportListFilterSerializer(serializers.Serializer[Any]):
    study = serializers.IntegerField(required=False, min_value=1)


class ReportCreateSerializer(serializers.Serializer[Any]):
    study = serializers.IntegerField(min_value=1)
    segments = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=8,
        help_text="Target segments of the study, in column order; a respondent counts in the "
        "segment of their invitation.",
    )
    include_flagged = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also count interviews flagged as low quality (explicit exclusions hold).",
    )


class ReportRegenerateSerializer(serializers.Serializer[Any]):
    include_flagged = serializers.BooleanField(required=False)


class ReportAcceptedSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReportStatus.choices)
