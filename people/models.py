"""People, accounts and events: the behavioral data segments are defined on.

The tables keep the names they had when these models lived in `segments`
(`db_table`): the move to this app changed no row.

The events table is designed for ~10^8 rows per database:

- `(workspace, name, timestamp)` with `person_id` included is the index every
  event condition of a rule walks ("Pricing Page Viewed in the last 7 days"):
  a range scan per event name, grouped by person, without touching the heap
  on PostgreSQL (index-only scan once the visibility map is warm).
- `(person, timestamp)` serves the person timeline and per-person lookups.
- `(workspace, message_id)` is unique: de-duplication is the database's job
  (`INSERT ... ON CONFLICT DO NOTHING`), not a read before each write.
- Nothing else: every index is paid on every insert, and Django's default
  single-column indexes on the two foreign keys would be prefixes of the ones
  above (benchmarks/RESULTS.md has what they cost).
- The event's person is a database constraint that cascades in the database
  too (`ON DELETE CASCADE`), so erasing a person can leave no event behind
  whoever deletes the row. On PostgreSQL it is one constraint on
  (workspace, person) (migration 0004), so an event's workspace is its
  person's as well.
- A person's `first_seen`/`last_seen` are widened by the write that stores
  their events, with `LEAST`/`GREATEST` under the person's row lock: exact,
  and idempotent when a batch or an import is sent again.

Partitioning decision (PostgreSQL): not yet. Up to roughly 2·10^8 events a
B-tree on (workspace, name, timestamp) keeps rule queries at index-range cost,
and a single table keeps the unique message_id constraint global. Past that, or
once retention must drop old data cheaply, `segments_event` becomes
`PARTITION BY RANGE (timestamp)` with monthly partitions; since a unique index
on a partitioned table must include the partition key, de-duplication then
moves to a narrow `(workspace, message_id)` table with its own retention
window, and retention drops a month as `DETACH PARTITION` + `DROP TABLE`.
Long windows (a year of "days active") read per-person daily rollups instead
of raw events. docs/scaling.md records the volumes at which each step pays.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from people.fields import IdentifierField
from workspaces.models import ApiKey, Workspace


class Account(models.Model):
    """A B2B account (Segment `group`): a company whose people form its buying committee."""

    # Indexed by uniq_account_group_id, whose leading column it is.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="accounts", db_index=False
    )
    group_id = IdentifierField(max_length=255)
    traits = models.JSONField(default=dict, blank=True)
    # Per-trait timestamp of the last write, so merges are last-write-wins per key.
    trait_times = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "segments_account"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "group_id"], name="uniq_account_group_id"),
        ]
        ordering = ["group_id"]

    def __str__(self) -> str:
        return self.group_id


class Person(models.Model):
    """Someone whose behavior is recorded; known by `user_id` or only by anonymous ids."""

    # Indexed by uniq_person_workspace_id, which leads with it. No index on workspace
    # alone: on a workspace the table statistics have not seen yet, the planner would
    # find each userId through it (filtering the whole workspace) instead of through
    # uniq_person_user_id. first_seen and last_seen are in no index, so that widening
    # them (every batch that moves a range) is a heap-only update (migration 0005).
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="people", db_index=False
    )
    user_id = IdentifierField(max_length=255, null=True, blank=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    traits = models.JSONField(default=dict, blank=True)
    trait_times = models.JSONField(default=dict, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "segments_person"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user_id"],
                condition=models.Q(user_id__isnull=False),
                name="uniq_person_user_id",
            ),
            # The target of an event's (workspace, person) constraint on PostgreSQL.
            models.UniqueConstraint(fields=["workspace", "id"], name="uniq_person_workspace_id"),
        ]
        ordering = ["-last_seen", "-id"]

    def __str__(self) -> str:
        return self.user_id or f"anonymous #{self.pk}"


class PersonAlias(models.Model):
    """An `anonymousId` seen for a person; a later identify with both ids merges them."""

    # Indexed by uniq_alias_anonymous_id, whose leading column it is.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    anonymous_id = IdentifierField(max_length=255)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        db_table = "segments_personalias"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "anonymous_id"], name="uniq_alias_anonymous_id"
            ),
        ]

    def __str__(self) -> str:
        return self.anonymous_id


class Event(models.Model):
    """One thing a person did (Segment `track`)."""

    id = models.BigAutoField(primary_key=True)
    # On PostgreSQL the two foreign keys below are ONE constraint in the database,
    # (workspace_id, person_id) → person (workspace_id, id) ON DELETE CASCADE
    # (people migration 0004): an event's workspace is its person's, checked once
    # per row. SQLite has the two single-column constraints this state describes.
    # Indexed by the two composite indexes below, which lead with this column.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Indexed by event_person_ts, whose leading column it is.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    name = IdentifierField(max_length=200)
    properties = models.JSONField(default=dict, blank=True)
    timestamp = models.DateTimeField()
    message_id = IdentifierField(max_length=255)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "segments_event"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "message_id"], name="uniq_event_message_id"
            ),
        ]
        indexes = [
            models.Index(
                fields=["workspace", "name", "timestamp"],
                include=["person"],
                name="event_ws_name_ts",
            ),
            models.Index(fields=["person", "timestamp"], name="event_person_ts"),
        ]
        ordering = ["-timestamp", "-id"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.timestamp:%Y-%m-%d %H:%M}"


class PersonErasure(models.Model):
    """The audit entry of an erased person: who erased whom and when, never what.

    It keeps no trait, event or identifier of the person in the clear: the
    erased person's id (never reused), and a keyed hash of their userId
    (`people.erasure.user_id_hash`, HMAC-SHA256 with SECRET_KEY) so that "was
    u_123 erased?" can be answered by hashing the question
    (`people.selectors.person_erasures_of`) without the id being stored.
    """

    # Indexed by erasure_ws_user_hash, whose leading column it is.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    person_id = models.BigIntegerField()
    # Empty for a person known only by anonymous ids.
    user_id_hash = models.CharField(max_length=64, blank=True)
    # The actor: an API key or a logged-in user; `actor` keeps a readable name even
    # if the key or user is deleted later.
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=255)
    erased_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "user_id_hash"], name="erasure_ws_user_hash"),
        ]
        ordering = ["-erased_at", "-id"]

    def __str__(self) -> str:
        return f"person {self.person_id} erased by {self.actor}"
