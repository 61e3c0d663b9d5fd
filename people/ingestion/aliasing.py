"""`alias` calls: the person a previousId names folds into the person of the call's userId.

Segment's `alias` says that two ids are one person (a device's anonymousId,
or an old userId, and the userId it now has). Inside the write transaction,
after the batch's events are stored (writer.py), each new alias call, in time
order:

- finds its previous person: the person whose userId is previousId, else the
  one an anonymousId alias `previousId` points at — among the people this batch
  already holds locked, else read and locked now;
- merges it into the userId's person with the fold an identify uses
  (people.py `merge_people`): events and aliases move, traits merge last write wins
  per key (by each key's time), the seen range widens, the account carries over
  when the target has none, `people.hooks.people_merged` tells the apps
  downstream, and the previous person's row is deleted;
- records `previousId` as an alias of the userId's person (unless it is one
  already), so later calls with `anonymousId: previousId` land there too.

A previousId nobody has used yet is just recorded as an alias. A later call
with `userId: previousId` reaches the userId's person through that alias
(people.py `_resolve_users`, and the track statement in postgres.py), as long
as no person has previousId as their own userId: the person table's key wins.

A track batch for previousId racing the merge cannot leave an event on the
deleted person: the event's foreign key is checked against the person row at
commit, so that batch fails, and its retry finds the merged person through
the alias.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from people.bulk import insert_ignoring_conflicts
from people.ingestion.people import PERSON_COLUMNS, PersonState, Resolution, merge_people
from people.ingestion.validation import Message
from people.models import Person, PersonAlias


def merge_aliased(*, workspace_id: int, messages: Sequence[Message], people: Resolution) -> None:
    """Apply the batch's new alias calls to its resolved, locked people (see the module)."""
    for message in sorted(messages, key=lambda m: m.timestamp):
        previous_id: str = message.previous_id  # type: ignore[assignment]
        if previous_id == message.user_id:
            continue
        target = people.person_of(message)
        previous = _previous_person(workspace_id, previous_id, people)
        if previous is not None and previous.id != target.id:
            merge_people({previous.id: target}, people.states)
            _repoint(people, previous, target)
        insert_ignoring_conflicts(
            table=PersonAlias._meta.db_table,
            columns=("workspace_id", "anonymous_id", "person_id"),
            rows=[(workspace_id, previous_id, target.id)],
            conflict="(workspace_id, anonymous_id)",
        )


def _previous_person(workspace_id: int, previous_id: str, people: Resolution) -> PersonState | None:
    """The person previousId names (by userId first, then by alias), locked; None if nobody."""
    known = people.by_user.get(previous_id) or people.by_anonymous.get(previous_id)
    if known is not None:
        return known
    person_id = (
        Person.objects.filter(workspace_id=workspace_id, user_id=previous_id)
        .values_list("id", flat=True)
        .first()
    )
    if person_id is None:
        person_id = (
            PersonAlias.objects.filter(workspace_id=workspace_id, anonymous_id=previous_id)
            .values_list("person_id", flat=True)
            .first()
        )
    if person_id is None:
        return None
    if person_id not in people.states:
        locked = Person.objects.filter(id=person_id)
        if connection.features.has_select_for_update:
            locked = locked.select_for_update(no_key=True)
        row = locked.values_list(*PERSON_COLUMNS).first()
        if row is None:  # merged away by a concurrent batch since it was read
            return None
        people.states[person_id] = PersonState(*row)
    return people.states[person_id]


def _repoint(people: Resolution, previous: PersonState, target: PersonState) -> None:
    """Ids of this batch that resolved to the merged person now resolve to the target."""
    for mapping in (people.by_user, people.by_anonymous):
        for key, state in mapping.items():
            if state is previous:
                mapping[key] = target
