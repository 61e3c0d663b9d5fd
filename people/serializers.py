"""Input and output shapes of the segments API (ingestion), for validation docs and OpenAPI."""

from __future__ import annotations

from rest_framework import serializers


class _ItemBase(serializers.Serializer[None]):
    userId = serializers.CharField(required=False, help_text="userId or anonymousId is required.")
    anonymousId = serializers.CharField(required=False)
    timestamp = serializers.DateTimeField(
        required=False, help_text="ISO 8601; defaults to the time received."
    )
    sentAt = serializers.DateTimeField(
        required=False,
        help_text="When the client sent it, by its own clock; corrects clock skew: "
        "timestamp + (receivedAt - sentAt).",
    )
    messageId = serializers.CharField(
        required=False, help_text="De-duplication key per workspace; generated when absent."
    )


class TrackItemSerializer(_ItemBase):
    event = serializers.CharField(max_length=200)
    properties = serializers.DictField(required=False)


class IdentifyItemSerializer(_ItemBase):
    traits = serializers.DictField(required=False)


class GroupItemSerializer(_ItemBase):
    groupId = serializers.CharField()
    traits = serializers.DictField(required=False, help_text="The account's traits.")


class BatchItemSerializer(_ItemBase):
    type = serializers.ChoiceField(choices=["identify", "track", "group"])
    event = serializers.CharField(required=False, help_text="track only.")
    properties = serializers.DictField(required=False, help_text="track only.")
    traits = serializers.DictField(required=False, help_text="identify and group.")
    groupId = serializers.CharField(required=False, help_text="group only.")


class BatchSerializer(serializers.Serializer[None]):
    batch = BatchItemSerializer(many=True)
    sentAt = serializers.DateTimeField(
        required=False, help_text="Applies to items that carry no sentAt of their own."
    )


class RejectedItemSerializer(serializers.Serializer[None]):
    index = serializers.IntegerField()
    error = serializers.CharField()


class IngestResultSerializer(serializers.Serializer[None]):
    accepted = serializers.IntegerField(help_text="Items stored by this call.")
    duplicates = serializers.IntegerField(
        help_text="Items whose messageId was already stored or repeated in this call."
    )
    rejected = RejectedItemSerializer(many=True)


class ErrorSerializer(serializers.Serializer[None]):
    error = serializers.CharField()
    detail = serializers.DictField()
