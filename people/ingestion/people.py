"""Resolving a batch's people: upsert by userId, aliases for anonymousIds, merges.

Set-based: a few statements per batch whatever its size, Python work per
distinct person. The people a batch touches are locked `FOR NO KEY UPDATE` in
id order (user-identified people first, then anonymous ones, two disjoint
sets), so concurrent batches serialize per person without deadlocking; the
track statement (postgres.py) locks the people whose seen range it widens in
id order too. A merge deletes only anonymous people, locked, after moving
their events. SQLite serializes writers anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Case, Q, Value, When

from people import hooks
from people.bulk import insert_ignoring_conflicts
from people.ingestion.validation import Message
from people.models import Event, Person, PersonAlias

PERSON_COLUMNS = ("id", "user_id", "traits", "trait_times", "first_seen", "last_seen", "account_id")


@dataclass(slots=True)
class PersonState:
    """A person's row as read under lock, plus what this batch changes."""

    id: int
    user_id: str | None
    traits: dict[str, Any]
    trait_times: dict[str, str]
    first_seen: datetime
    last_seen: datetime
    account_id: int | None
    created: bool = False
    seen_changed: bool = False
    traits_changed: bool = False
    account_changed: bool = False
    merged_from: list[int] = field(default_factory=list)


def _states(rows: Iterable[Sequence[Any]]) -> list[PersonState]:
    return [PersonState(*row) for row in rows]


def _locked(queryset: Any) -> list[PersonState]:
    queryset = queryset.order_by("id")
    if connection.features.has_select_for_update:
        queryset = queryset.select_for_update(no_key=True)
    return _states(queryset.values_list(*PERSON_COLUMNS))


def _people_by_user_id(
    workspace_id: int, user_ids: list[str], also: Iterable[int] = ()
) -> list[PersonState]:
    """The people with these user ids (and the people `also` names), locked in id order
    in one statement (portable path)."""
    people = Person.objects.filter(
        Q(workspace_id=workspace_id, user_id__in=user_ids) | Q(id__in=list(also))
    )
    return _locked(people)


def _aliased_people(workspace_id: int, user_ids: list[str]) -> dict[str, int]:
    """userId → the person an alias (an `alias` call's previousId) points it at."""
    return dict(
        PersonAlias.objects.filter(
            workspace_id=workspace_id, anonymous_id__in=user_ids
        ).values_list("anonymous_id", "person_id")
    )


def _insert_people(workspace_id: int, user_ids: list[str], seen: dict[str, tuple]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: a concurrent batch may create the same people."""
    adapt = connection.ops.adapt_datetimefield_value
    insert_ignoring_conflicts(
        table=Person._meta.db_table,
        columns=("workspace_id", "user_id", "traits", "trait_times", "first_seen", "last_seen"),
        rows=[
            (workspace_id, u, "{}", "{}", adapt(seen[u][0]), adapt(seen[u][1])) for u in user_ids
        ],
        conflict="(workspace_id, user_id) WHERE user_id IS NOT NULL",
    )


def _seen_by(messages: Iterable[Message], key: str) -> dict[str, tuple[datetime, datetime]]:
    """id → (earliest, latest) message time, for creating people with the right seen range."""
    seen: dict[str, tuple[datetime, datetime]] = {}
    for message in messages:
        ident = getattr(message, key)
        if ident is None:
            continue
        ts = message.timestamp
        current = seen.get(ident)
        if current is None:
            seen[ident] = (ts, ts)
        elif ts < current[0] or ts > current[1]:
            seen[ident] = (min(ts, current[0]), max(ts, current[1]))
    return seen


@dataclass(slots=True)
class Resolution:
    by_user: dict[str, PersonState]
    by_anonymous: dict[str, PersonState]
    states: dict[int, PersonState]

    def person_of(self, message: Message) -> PersonState:
        if message.user_id is not None:
            return self.by_user[message.user_id]
        return self.by_anonymous[message.anonymous_id]  # type: ignore[index]


def resolve_people(*, workspace_id: int, messages: Sequence[Message]) -> Resolution:
    """Find or create every person the messages name; merge anonymous people into users."""
    by_user = _resolve_users(workspace_id, messages)
    states = {state.id: state for state in by_user.values()}
    by_anonymous = _resolve_anonymous(workspace_id, messages, by_user, states)
    return Resolution(by_user=by_user, by_anonymous=by_anonymous, states=states)


def _resolve_users(workspace_id: int, messages: Sequence[Message]) -> dict[str, PersonState]:
    seen = _seen_by(messages, "user_id")
    if not seen:
        return {}
    user_ids = sorted(seen)
    aliased = _aliased_people(workspace_id, user_ids)
    locked = _people_by_user_id(workspace_id, user_ids, also=aliased.values())
    found = {s.user_id: s for s in locked if s.user_id in seen}
    by_id = {s.id: s for s in locked}
    # A userId that an alias folded into an identified person (its previousId) is that
    # person, unless a person of that userId exists.
    for user_id, person_id in aliased.items():
        target = by_id.get(person_id)
        if user_id not in found and target is not None and target.user_id is not None:
            found[user_id] = target
    missing = [user_id for user_id in user_ids if user_id not in found]
    if missing:
        _insert_people(workspace_id, missing, seen)
        for state in _people_by_user_id(workspace_id, missing):
            state.created = True
            if state.user_id is not None:  # always: created with it
                found[state.user_id] = state
    return found


def _resolve_anonymous(
    workspace_id: int,
    messages: Sequence[Message],
    by_user: dict[str, PersonState],
    states: dict[int, PersonState],
) -> dict[str, PersonState]:
    seen = _seen_by(messages, "anonymous_id")
    if not seen:
        return {}
    # The first message in the batch that carries both ids links them.
    links: dict[str, str] = {}
    for message in messages:
        if message.anonymous_id is not None and message.user_id is not None:
            links.setdefault(message.anonymous_id, message.user_id)
    aliases = dict(
        PersonAlias.objects.filter(
            workspace_id=workspace_id, anonymous_id__in=list(seen)
        ).values_list("anonymous_id", "person_id")
    )
    others = {pid for pid in aliases.values() if pid not in states}
    for state in _locked(Person.objects.filter(id__in=others)):
        states[state.id] = state

    result: dict[str, PersonState] = {}
    new_aliases: dict[str, int] = {}
    merges: dict[int, PersonState] = {}
    unknown: list[str] = []
    for anonymous_id in sorted(seen):
        person_id = aliases.get(anonymous_id)
        current = states.get(person_id) if person_id is not None else None
        linked = by_user.get(links[anonymous_id]) if anonymous_id in links else None
        if linked is None:
            if current is None:
                unknown.append(anonymous_id)
            else:
                result[anonymous_id] = current
            continue
        if current is None:
            new_aliases[anonymous_id] = linked.id
        elif current.id != linked.id and current.user_id is None:
            merges.setdefault(current.id, linked)
        # An anonymous id already tied to another known user stays with that user
        # (a shared device); this message's events still go to its userId.
        result[anonymous_id] = linked
    for anonymous_id, person_id in aliases.items():
        if person_id in merges:
            result[anonymous_id] = merges[person_id]
    if unknown:
        result.update(_create_anonymous(workspace_id, unknown, seen, states))
    if new_aliases:
        _insert_aliases(workspace_id, new_aliases)
    if merges:
        merge_people(merges, states)
    return result


def _insert_aliases(workspace_id: int, aliases: dict[str, int]) -> set[str]:
    """Insert aliases, skipping ones a concurrent batch created; returns those inserted."""
    return insert_ignoring_conflicts(
        table=PersonAlias._meta.db_table,
        columns=("workspace_id", "anonymous_id", "person_id"),
        rows=[(workspace_id, a, person_id) for a, person_id in sorted(aliases.items())],
        conflict="(workspace_id, anonymous_id)",
        returning="anonymous_id",
    )


def _create_anonymous(
    workspace_id: int,
    anonymous_ids: list[str],
    seen: dict[str, tuple[datetime, datetime]],
    states: dict[int, PersonState],
) -> dict[str, PersonState]:
    people = Person.objects.bulk_create(
        [
            Person(
                workspace_id=workspace_id,
                first_seen=seen[anonymous_id][0],
                last_seen=seen[anonymous_id][1],
            )
            for anonymous_id in anonymous_ids
        ]
    )
    created = {
        anonymous_id: PersonState(
            person.pk, None, {}, {}, person.first_seen, person.last_seen, None, created=True
        )
        for anonymous_id, person in zip(anonymous_ids, people, strict=True)
    }
    inserted = _insert_aliases(workspace_id, {a: s.id for a, s in created.items()})
    lost = [a for a in anonymous_ids if a not in inserted]
    if lost:
        # A concurrent batch aliased these first: use its people, drop ours.
        Person.objects.filter(id__in=[created[a].id for a in lost]).delete()
        winners = dict(
            PersonAlias.objects.filter(
                workspace_id=workspace_id, anonymous_id__in=lost
            ).values_list("anonymous_id", "person_id")
        )
        locked = {s.id: s for s in _locked(Person.objects.filter(id__in=winners.values()))}
        for anonymous_id in lost:
            created[anonymous_id] = locked[winners[anonymous_id]]
    for state in created.values():
        states[state.id] = state
    return created


def merge_traits(
    traits: dict[str, Any],
    times: dict[str, str],
    incoming: dict[str, Any],
    incoming_times: dict[str, str] | str,
) -> bool:
    """Last write wins per key, by timestamp (ISO strings of one format compare in order)."""
    changed = False
    for key, value in incoming.items():
        at = incoming_times if isinstance(incoming_times, str) else incoming_times.get(key, "")
        previous = times.get(key)
        if previous is None or at >= previous:
            if previous != at or traits.get(key) != value or key not in traits:
                changed = True
            traits[key] = value
            times[key] = at
    return changed


def merge_people(merges: dict[int, PersonState], states: dict[int, PersonState]) -> None:
    """Fold anonymous people into identified ones: events, aliases, traits, then delete."""
    ids = list(merges)

    def repoint() -> Case:
        return Case(*[When(person_id=src, then=Value(dst.id)) for src, dst in merges.items()])

    Event.objects.filter(person_id__in=ids).update(person_id=repoint())
    PersonAlias.objects.filter(person_id__in=ids).update(person_id=repoint())
    for target_id in {target.id for target in merges.values()}:
        hooks.people_merged.send(
            sender=Person,
            target_id=target_id,
            source_ids=[src for src, dst in merges.items() if dst.id == target_id],
        )
    for source_id, target in merges.items():
        source = states.pop(source_id)
        if merge_traits(target.traits, target.trait_times, source.traits, source.trait_times):
            target.traits_changed = True
        if source.first_seen < target.first_seen:
            target.first_seen, target.seen_changed = source.first_seen, True
        if source.last_seen > target.last_seen:
            target.last_seen, target.seen_changed = source.last_seen, True
        if target.account_id is None and source.account_id is not None:
            target.account_id, target.account_changed = source.account_id, True
        target.merged_from.append(source_id)
    Person.objects.filter(id__in=ids).delete()
