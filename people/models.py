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
- Nothing else. Every index is paid on every insert; Django's default
  single-column indexes on the two foreign keys would be prefixes of the ones
  above and cost ~25 % of the write path (COPY of 200,000 rows into a table
  with 20,000 people: 34,396 rows/s with them, 42,739 without).
- The workspace foreign key has no database constraint. Its check would take
  a KEY SHARE lock on the one workspace row for every batch, and concurrent
  batches share that lock through a MultiXact: the single-statement write path
  ran at 32,057 events/s with the constraint and 43,527 without (4 connections,
  100-event batches). The writer takes the event's workspace from its person's,
  whose foreign key to the workspace is constrained, and Django still cascades a
  deleted workspace to its events.
- The person foreign key has no database constraint on PostgreSQL either (SQLite
  keeps it). Its check runs a query and takes a row lock for every event row:
  a quarter of the track statement's CPU (PostgreSQL backend CPU per 100-event
  batch, alternating runs on copies of one database: 0.74 of the time without
  it). The writers keep the reference valid instead, by who may delete a person:
  people with a userId are deleted only with their workspace; anonymous people
  only by a merge, which holds them `FOR NO KEY UPDATE` while it moves their
  events, as does every batch that writes their events, so an event is either
  moved by the merge or written after it to the merged person
  (tests/segments/test_ingestion_races.py holds both orders). What a workspace
  deletion racing a batch into that workspace could leave behind is unreachable:
  every read is scoped by a live workspace or starts from a person, and ids are
  never reused.

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

    # Indexed by person_ws_last_seen. No index on workspace alone: on a workspace the
    # table statistics have not seen yet, the planner would find each userId through
    # it (filtering the whole workspace) instead of through uniq_person_user_id.
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
        ]
        indexes = [models.Index(fields=["workspace", "last_seen"], name="person_ws_last_seen")]
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
    # No database constraint and no index of its own (see the module docstring):
    # the writers take it from the person's workspace, and the two composite
    # indexes below lead with this column.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # Indexed by event_person_ts, whose leading column it is. No database
    # constraint either: the writers keep it (see the module docstring).
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,
        db_constraint=False,
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


class PendingSeenRange(models.Model):
    """A widening of a person's first/last seen that ingestion queued instead of writing.

    PostgreSQL only. Rewriting a person row on every batch that extends its seen
    range is a non-HOT update (last_seen is indexed): ~100 per 100-event batch of
    a backfill, ~9,000 per 10,000-row CSV chunk. Ingestion appends one narrow row
    per moved person instead, in the same statement as the events (so nothing is
    lost if a process dies), and `fold_seen_ranges` applies the queue set-based:
    at the end of a CSV import, and every minute from beat. People's seen ranges
    therefore lag the newest events by up to a minute; nothing reads them more
    precisely (the People list sorts by last_seen; rules read event timestamps).
    """

    id = models.BigAutoField(primary_key=True)
    # A plain id, not a constrained foreign key: no per-row check or lock on the
    # person. A queued range of a person deleted since is dropped by the fold.
    person_id = models.BigIntegerField()
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        db_table = "segments_pendingseenrange"

    def __str__(self) -> str:
        return f"person {self.person_id}: {self.first_seen:%Y-%m-%d} - {self.last_seen:%Y-%m-%d}"


class SeenRangeRebuild(models.Model):
    """A CSV import in progress, whose people's seen ranges it rebuilds once, at its end.

    PostgreSQL only. An import queues no seen ranges per chunk (a 1M-row file
    queued ~900,000 PendingSeenRange rows); it records the last event id before
    its first chunk here, and at its end widens every person of the workspace
    from the events after that id, in one set-based statement, and deletes this
    row. The import's connection holds an advisory lock on the row meanwhile, so
    a fold that finds a row whose lock is free knows its import died and does
    the rebuild itself: seen ranges are right even after a killed import.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    after_event_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "segments_seenrangerebuild"

    def __str__(self) -> str:
        return f"seen ranges of workspace {self.workspace_id} after event {self.after_event_id}"


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
