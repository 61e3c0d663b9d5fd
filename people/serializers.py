"""Input and output shapes of the ingestion API, for the OpenAPI schema (people/openapi.py)."""

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
    writeKey = serializers.CharField(
        required=False, help_text="The API key, for clients that cannot send a header."
    )


# A field named `context` would shadow Serializer.context, so it is declared past the
# class statement (subclasses copy the declared fields of their bases).
_ItemBase._declared_fields["context"] = serializers.DictField(
    required=False,
    help_text="library, ip, userAgent, locale, timezone, ...: kept with the stored event, "
    "in its properties under `$context`.",
)


class TrackItemSerializer(_ItemBase):
    event = serializers.CharField(max_length=200)
    properties = serializers.DictField(required=False)


class IdentifyItemSerializer(_ItemBase):
    traits = serializers.DictField(required=False)


class GroupItemSerializer(_ItemBase):
    groupId = serializers.CharField()
    traits = serializers.DictField(required=False, help_text="The account's traits.")


class _ViewedItemSerializer(_ItemBase):
    name = serializers.CharField(required=False, help_text="Added to the properties.")
    category = serializers.CharField(required=False, help_text="Added to the properties.")
    properties = serializers.DictField(required=False)


class PageItemSerializer(_ViewedItemSerializer):
    """Stored as the event `Page Viewed`."""


class ScreenItemSerializer(_ViewedItemSerializer):
    """Stored as the event `Screen Viewed`."""


class AliasItemSerializer(_ItemBase):
    userId = serializers.CharField(help_text="The person that stays.")
    previousId = serializers.CharField(
        help_text="A userId or anonymousId whose person merges into userId's."
    )


class BatchItemSerializer(_ItemBase):
    type = serializers.ChoiceField(
        choices=["track", "identify", "group", "page", "screen", "alias"]
    )
    event = serializers.CharField(required=False, help_text="track only.")
    properties = serializers.DictField(required=False, help_text="track, page and screen.")
    traits = serializers.DictField(required=False, help_text="identify and group.")
    groupId = serializers.CharField(required=False, help_text="group only.")
    name = serializers.CharField(required=False, help_text="page and screen.")
    category = serializers.CharField(required=False, help_text="page and screen.")
    previousId = serializers.CharField(required=False, help_text="alias only.")


class BatchSerializer(serializers.Serializer[None]):
    batch = BatchItemSerializer(many=True)
    sentAt = serializers.DateTimeField(
        required=False, help_text="Applies to items that carry no sentAt of their own."
    )
    writeKey = serializers.CharField(
        required=False, help_text="The API key, for clients that cannot send a header."
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


class IngestErrorSerializer(serializers.Serializer[None]):
    error = serializers.CharField()
    detail = serializers.DictField()
    code = serializers.CharField(help_text="The same error for SDKs, which log code and message.")
    message = serializers.CharField()
