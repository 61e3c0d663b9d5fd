"""Input and output shapes of the people API, and of ingestion for the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from people import hooks
from people.models import Account, Event, Person
from people.selectors import PersonDetail


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


class ErrorSerializer(serializers.Serializer[None]):
    """The API's error shape (DESIGN.md)."""

    error = serializers.CharField()
    detail = serializers.DictField()


class IngestErrorSerializer(ErrorSerializer):
    code = serializers.CharField(help_text="The same error for SDKs, which log code and message.")
    message = serializers.CharField()


# --- the people API (list, detail, events) --------------------------------------------


class PersonAccountSerializer(serializers.ModelSerializer[Account]):
    class Meta:
        model = Account
        fields = ["id", "group_id", "traits"]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer[Person]):
    """A person in the people list."""

    account = PersonAccountSerializer(
        read_only=True, allow_null=True, help_text="The B2B account (Segment `group`), if any."
    )

    class Meta:
        model = Person
        fields = ["id", "user_id", "traits", "first_seen", "last_seen", "account"]
        read_only_fields = fields


class PersonDetailSerializer(serializers.Serializer[PersonDetail]):
    """One person: the list's fields, their anonymous ids, and what apps to the right add."""

    id = serializers.IntegerField(source="person.pk", read_only=True)
    user_id = serializers.CharField(source="person.user_id", read_only=True, allow_null=True)
    anonymous_ids = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The anonymousIds seen for the person (the first 50, alphabetically).",
    )
    traits = serializers.DictField(source="person.traits", read_only=True)
    first_seen = serializers.DateTimeField(source="person.first_seen", read_only=True)
    last_seen = serializers.DateTimeField(source="person.last_seen", read_only=True)
    account = PersonAccountSerializer(
        source="person.account",
        read_only=True,
        allow_null=True,
        help_text="The B2B account (Segment `group`), if any.",
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # Registered by apps to the right at startup (people.hooks), e.g. "segments".
        for part in hooks.person_detail_parts():
            field = part.field()
            field.source = f"parts.{part.key}"
            fields[part.key] = field
        return fields


class PersonEventSerializer(serializers.ModelSerializer[Event]):
    class Meta:
        model = Event
        fields = ["timestamp", "name", "properties", "message_id", "received_at"]
        read_only_fields = fields
