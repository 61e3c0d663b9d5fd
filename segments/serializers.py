"""Input and output shapes of the segments API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from segments.models import Segment, SegmentKind, SegmentMembership


class SegmentSerializer(serializers.ModelSerializer[Segment]):
    class Meta:
        model = Segment
        fields = [
            "id",
            "name",
            "kind",
            "definition",
            "playbook",
            "size",
            "share_of_people",
            "share_of_revenue",
            "share_of_revenue_at",
            "share_of_revenue_pending",
            "stability",
            "computed_at",
            "is_active",
            "parent",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SegmentCreatedSerializer(SegmentSerializer):
    webhook_secret = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="External segments: the HMAC secret of the signed webhook, shown only here.",
    )

    class Meta(SegmentSerializer.Meta):
        fields = [*SegmentSerializer.Meta.fields, "webhook_secret"]
        read_only_fields = fields


class SegmentCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=SegmentKind.choices)
    definition = serializers.JSONField()
    playbook = serializers.CharField(allow_blank=True, default="", max_length=5000)


class SegmentUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    definition = serializers.JSONField(required=False)
    playbook = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    is_active = serializers.BooleanField(required=False)


class PreviewSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=SegmentKind.choices, default=SegmentKind.RULE)
    definition = serializers.JSONField()
    as_of = serializers.DateTimeField(required=False, allow_null=True, default=None)


class UnknownNameSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField(help_text='"event", "trait" or "account trait".')
    name = serializers.CharField()
    closest = serializers.ListField(
        child=serializers.CharField(), help_text="The workspace's closest names, best first."
    )


class PreviewResultSerializer(serializers.Serializer[Any]):
    size = serializers.IntegerField()
    sample = serializers.ListField(child=serializers.CharField())
    unknown = UnknownNameSerializer(
        many=True, help_text="Events and traits the definition names that never arrived."
    )


class ComputeSerializer(serializers.Serializer[Any]):
    as_of = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ComputeResultSerializer(serializers.Serializer[Any]):
    size = serializers.IntegerField()
    entered = serializers.IntegerField()
    exited = serializers.IntegerField()


class SegmentMemberSerializer(serializers.ModelSerializer[SegmentMembership]):
    user_id = serializers.CharField(source="person.user_id", allow_null=True)
    name = serializers.CharField(
        source="person_name", allow_null=True, help_text="The `name` trait, when known."
    )
    email = serializers.CharField(
        source="person_email", allow_null=True, help_text="The `email` trait, when known."
    )
    cluster = serializers.SerializerMethodField(
        help_text="Cluster segments: the name of the member's cluster; otherwise null."
    )

    class Meta:
        model = SegmentMembership
        fields = ["user_id", "name", "email", "entered_at", "scores", "cluster"]
        read_only_fields = fields

    def get_cluster(self, membership: SegmentMembership) -> str | None:
        return getattr(membership, "cluster_name", None)


class MembersQuerySerializer(serializers.Serializer[Any]):
    search = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=200,
        help_text="Members whose user id, name or email contains this text.",
    )
    sort = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=20,
        help_text="A column: entered, user, name, email; RFM: tier, r, f, m, recency, "
        "frequency, monetary; cluster parents: cluster. Prefix - for descending "
        "(default -entered).",
    )


class PersonSegmentSerializer(serializers.ModelSerializer[SegmentMembership]):
    """A segment the person is in now (in the people API's person detail)."""

    id = serializers.IntegerField(source="segment_id", read_only=True)
    name = serializers.CharField(source="segment.name", read_only=True)

    class Meta:
        model = SegmentMembership
        fields = ["id", "name", "entered_at"]
        read_only_fields = fields


class MembersPushSerializer(serializers.Serializer[Any]):
    add = serializers.ListField(child=serializers.CharField(max_length=255), default=list)
    remove = serializers.ListField(child=serializers.CharField(max_length=255), default=list)


class OverlapSegmentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()


class OverlapPairSerializer(serializers.Serializer[Any]):
    a = serializers.IntegerField()
    b = serializers.IntegerField()
    intersection = serializers.IntegerField()
    union = serializers.IntegerField()
    jaccard = serializers.FloatField()


class OverlapWarningSerializer(serializers.Serializer[Any]):
    code = serializers.ChoiceField(
        choices=["too_many_segments", "high_overlap", "no_playbook", "same_playbook"]
    )
    message = serializers.CharField()
    segments = serializers.ListField(child=serializers.IntegerField())
    figure = serializers.FloatField(
        allow_null=True,
        help_text="too_many_segments: how many are active; high_overlap: the Jaccard share; "
        "same_playbook: how many share it; no_playbook: null.",
    )


class OverlapSerializer(serializers.Serializer[Any]):
    segments = OverlapSegmentSerializer(many=True)
    pairs = OverlapPairSerializer(many=True)
    warnings = OverlapWarningSerializer(many=True)
