"""The bulk write path: one round of set-based statements per batch of validated messages.

Order inside one transaction:
1. drop messageId repeats inside the batch (first one wins);
2. resolve people (people.py) and, for `group`, accounts — upserts on the
   unique constraints, locked in id order;
3. insert events `ON CONFLICT (workspace_id, message_id) DO NOTHING RETURNING
   message_id`: what comes back is exactly what is new, everything else is a
   duplicate of a stored event;
4. apply only the new messages: traits (last write wins per key, by
   timestamp), account links and traits, first/last seen — one UPDATE per table;
   `alias` calls fold their previousId's person into their userId's (aliasing.py).

identify and group calls are stored as `$identify` / `$group` events, which is
what makes their messageId de-duplication exact and gives a person's timeline
its trait history. On PostgreSQL a batch of `track` calls with userIds (most
traffic, and every CSV event import) is one statement instead (postgres.py).
The SQL of the general path is portable (SQLite ≥ 3.35 for RETURNING). A lost
race or deadlock is retried as a whole.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from people.bulk import insert_ignoring_conflicts
from people.ingestion import postgres
from people.ingestion.aliasing import merge_aliased
from people.ingestion.people import PersonState, Resolution, merge_traits, resolve_people
from people.ingestion.postgres import TrackRow
from people.ingestion.validation import CONTEXT_KEY, Message
from people.models import Account, Event, Person

INSERT_CHUNK = 1000
ATTEMPTS = 3


@dataclass(slots=True)
class WriteResult:
    accepted: int = 0
    duplicates: int = 0


def trait_time(ts: datetime) -> str:
    """One fixed format, so that per-key times compare correctly as strings."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_messages(
    *, workspace_id: int, messages: Sequence[Message], received_at: datetime | None = None
) -> WriteResult:
    """Store validated messages of one workspace; returns accepted and duplicate counts."""
    received_at = received_at or timezone.now()
    batch = first_of_each_message_id(messages)
    result = WriteResult(duplicates=len(messages) - len(batch))
    if not batch:
        return result
    if connection.vendor == "postgresql" and all(
        m.kind == "track" and m.user_id is not None and m.anonymous_id is None for m in batch
    ):
        new = write_track_rows(
            workspace_id=workspace_id, rows=track_rows(batch), received_at=received_at
        )
    else:
        new = _retrying(lambda: _write(workspace_id, batch, received_at))
    result.accepted = new
    result.duplicates += len(batch) - new
    return result


def _retrying(write: Callable[[], int]) -> int:
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return write()
        except (IntegrityError, DatabaseError):
            # Deadlock, serialization failure or a unique race with a concurrent
            # batch: the transaction rolled back entirely, so try it again.
            if attempt == ATTEMPTS - 1 or connection.in_atomic_block:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def first_of_each_message_id(messages: Sequence[Message]) -> list[Message]:
    """The messages without repeats of a messageId; the first one wins."""
    unique: dict[str, Message] = {}
    for message in messages:
        unique.setdefault(message.message_id, message)
    return list(unique.values())


def track_rows(messages: Sequence[Message]) -> list[TrackRow]:
    """Track messages with userIds as the rows of postgres.write_tracks."""
    return [
        TrackRow(m.user_id, m.name, m.payload, m.timestamp, m.message_id)  # type: ignore[arg-type]
        for m in messages
    ]


def write_track_rows(*, workspace_id: int, rows: list[TrackRow], received_at: datetime) -> int:
    """PostgreSQL, track calls with userIds only: one statement per attempt; events stored.

    A failed statement stored nothing and is sent again whole; the rows of people
    a concurrent batch created mid-statement are sent again on their own.
    """
    stored = 0
    for attempt in range(ATTEMPTS):
        try:
            new, unresolved = postgres.write_tracks(
                workspace_id=workspace_id, rows=rows, received_at=received_at
            )
        except (IntegrityError, DatabaseError):
            if attempt == ATTEMPTS - 1 or connection.in_atomic_block:
                raise
            time.sleep(0.05 * (attempt + 1))
            continue
        stored += new
        if not unresolved:
            return stored
        # Those people are visible now: send just their rows again.
        rows = [row for row in rows if row.user_id in unresolved]
    raise DatabaseError(f"Could not resolve {len(rows)} people after {ATTEMPTS} attempts.")


def _write(workspace_id: int, batch: list[Message], received_at: datetime) -> int:
    people = resolve_people(workspace_id=workspace_id, messages=batch)
    accounts = _resolve_accounts(workspace_id, batch)
    stored = _insert_events(workspace_id, batch, people, received_at)
    new = [m for m in batch if m.message_id in stored] if len(stored) < len(batch) else batch
    _apply(new, people, accounts)
    aliases = [m for m in new if m.kind == "alias"]
    if aliases:
        merge_aliased(workspace_id=workspace_id, messages=aliases, people=people)
    _save_people(people)
    _save_accounts(accounts)
    return len(new)


def _insert_events(
    workspace_id: int, batch: list[Message], people: Resolution, received_at: datetime
) -> set[str]:
    rows: list[tuple[int, str, Any, datetime, str]] = []
    for m in batch:
        payload: Any = m.payload
        if m.group_id is not None:
            payload = {"groupId": m.group_id, "traits": payload}
        if m.context:
            payload = {**payload, CONTEXT_KEY: m.context}
        rows.append((people.person_of(m).id, m.name, payload, m.timestamp, m.message_id))
    return _insert_rows(workspace_id, rows, received_at)


EVENT_TABLE = Event._meta.db_table


def _insert_rows(
    workspace_id: int, rows: list[tuple[int, str, Any, datetime, str]], received_at: datetime
) -> set[str]:
    adapt = connection.ops.adapt_datetimefield_value
    received = adapt(received_at)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    return insert_ignoring_conflicts(
        table=EVENT_TABLE,
        columns=(
            "workspace_id",
            "person_id",
            "name",
            "properties",
            "timestamp",
            "message_id",
            "received_at",
        ),
        rows=[
            (workspace_id, person_id, name, dumps(props), adapt(ts), message_id, received)
            for person_id, name, props, ts, message_id in rows
        ],
        conflict="(workspace_id, message_id)",
        returning="message_id",
        chunk=INSERT_CHUNK,
    )


@dataclass(slots=True)
class AccountState:
    id: int
    group_id: str
    traits: dict[str, Any]
    trait_times: dict[str, str]
    changed: bool = False


def _resolve_accounts(workspace_id: int, batch: list[Message]) -> dict[str, AccountState]:
    group_ids = sorted({m.group_id for m in batch if m.group_id is not None})
    if not group_ids:
        return {}
    accounts = Account.objects.filter(workspace_id=workspace_id, group_id__in=group_ids)
    existing = set(accounts.values_list("group_id", flat=True))
    missing = [g for g in group_ids if g not in existing]
    if missing:
        now = timezone.now()
        Account.objects.bulk_create(
            [
                Account(workspace_id=workspace_id, group_id=g, created_at=now, updated_at=now)
                for g in missing
            ],
            ignore_conflicts=True,
        )
    locked = accounts.order_by("id")
    if connection.features.has_select_for_update:
        locked = locked.select_for_update(no_key=True)
    return {
        row[1]: AccountState(*row)
        for row in locked.values_list("id", "group_id", "traits", "trait_times")
    }


def _apply(new: list[Message], people: Resolution, accounts: dict[str, AccountState]) -> None:
    """Fold the new messages into the people and accounts states, in time order."""
    # Per key the latest timestamp wins, whatever the arrival order.
    ordered = sorted(new, key=lambda m: m.timestamp)
    latest_group: dict[int, tuple[datetime, int]] = {}
    seen: dict[int, tuple[PersonState, datetime, datetime]] = {}
    for m in ordered:
        person = people.person_of(m)
        ts = m.timestamp
        earliest = seen[person.id][1] if person.id in seen else ts
        seen[person.id] = (person, earliest, ts)
        if m.kind == "identify" and m.payload:
            if merge_traits(person.traits, person.trait_times, m.payload, trait_time(ts)):
                person.traits_changed = True
        elif m.kind == "group":
            account = accounts[m.group_id]  # type: ignore[index]
            latest_group[person.id] = (ts, account.id)
            if m.payload and merge_traits(
                account.traits, account.trait_times, m.payload, trait_time(ts)
            ):
                account.changed = True
    for person_id, (_, account_id) in latest_group.items():
        person = people.states[person_id]
        if person.account_id != account_id:
            person.account_id, person.account_changed = account_id, True
    for person, earliest, latest in seen.values():
        _widen_seen(person, earliest, latest)


def _widen_seen(person: PersonState, earliest: datetime, latest: datetime) -> None:
    if earliest < person.first_seen or latest > person.last_seen:
        person.first_seen = min(person.first_seen, earliest)
        person.last_seen = max(person.last_seen, latest)
        person.seen_changed = True


def _save_people(people: Resolution) -> None:
    # The people are locked (people.py) until the transaction ends: their rows as
    # read plus this batch's changes are what they are now.
    changed = [
        s for s in people.states.values() if s.seen_changed or s.traits_changed or s.account_changed
    ]
    if not changed:
        return
    seen_only = [s for s in changed if not (s.traits_changed or s.account_changed)]
    full = [s for s in changed if s.traits_changed or s.account_changed]
    if seen_only:
        Person.objects.bulk_update(
            [_person(s) for s in sorted(seen_only, key=_id)], ["first_seen", "last_seen"]
        )
    if full:
        Person.objects.bulk_update(
            [_person(s) for s in sorted(full, key=_id)],
            ["first_seen", "last_seen", "traits", "trait_times", "account_id"],
        )


def _id(state: PersonState) -> int:
    return state.id


def _person(state: PersonState) -> Person:
    return Person(
        id=state.id,
        traits=state.traits,
        trait_times=state.trait_times,
        first_seen=state.first_seen,
        last_seen=state.last_seen,
        account_id=state.account_id,
    )


def _save_accounts(accounts: dict[str, AccountState]) -> None:
    changed = sorted((a for a in accounts.values() if a.changed), key=lambda a: a.id)
    if changed:
        now = timezone.now()
        Account.objects.bulk_update(
            [
                Account(id=a.id, traits=a.traits, trait_times=a.trait_times, updated_at=now)
                for a in changed
            ],
            ["traits", "trait_times", "updated_at"],
        )
