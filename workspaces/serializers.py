from __future__ import annotations

from rest_framework import serializers

from workspaces.models import ApiKey, KeyScope, Membership, Workspace


class WorkspaceSerializer(serializers.ModelSerializer[Workspace]):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Workspace
        fields = ["id", "name", "time_zone", "created_at", "role"]
        read_only_fields = fields

    def get_role(self, obj: Workspace) -> str:
        return str(self.context["request"].role)


class ApiKeySerializer(serializers.ModelSerializer[ApiKey]):
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "scope",
            "prefix",
            "created_at",
            "last_used_at",
            "revoked_at",
            "active",
        ]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer[None]):
    name = serializers.CharField(max_length=120, allow_blank=True, default="")
    scope = serializers.ChoiceField(choices=KeyScope.choices)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The secret; shown only this once.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class MemberSerializer(serializers.ModelSerializer[Membership]):
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "role", "created_at"]
        read_only_fields = fields
