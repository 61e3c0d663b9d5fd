"""Writes on people that are not ingestion (that lives in people/ingestion/): erasure."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from people import erasure, hooks
from people.models import Person, PersonErasure
from workspaces.models import ApiKey


def _actor_name(*, api_key: ApiKey | None, user: User | None) -> str:
    if api_key is not None:
        return f"API key {api_key.name!r} ({api_key.prefix}…)"
    if user is not None:
        return f"user {user.get_username()}"
    return "system"


def person_erase(
    *,
    person: Person,
    api_key: ApiKey | None = None,
    user: User | None = None,
) -> PersonErasure | None:
    """Erase a person with everything that is theirs; record who did it, not what was erased.

    Gone: the person row with their events, anonymous ids and segment
    memberships (the ORM's cascade; on PostgreSQL the event constraint cascades
    too), and whatever apps to the right erase on `hooks.person_erased`. No
    batch in flight can leave an event behind: an event's insert checks its
    person's row (the foreign key), which this transaction holds `FOR UPDATE`
    until the row is gone; the batch then fails, and its retry finds no such
    person. Their account stays: it is the company's, shared with its other people.

    Returns the audit entry, or None when the person no longer exists (a
    concurrent erasure or merge got there first).
    """
    with transaction.atomic():
        # FOR UPDATE: waits for (and then blocks) batches holding the person
        # FOR NO KEY UPDATE while they merge traits or move events.
        locked = (
            Person.objects.select_for_update()
            .filter(pk=person.pk, workspace_id=person.workspace_id)
            .first()
        )
        if locked is None:
            return None
        entry = PersonErasure.objects.create(
            workspace_id=locked.workspace_id,
            person_id=locked.pk,
            user_id_hash=(
                erasure.user_id_hash(workspace_id=locked.workspace_id, user_id=locked.user_id)
                if locked.user_id
                else ""
            ),
            api_key=api_key,
            user=user,
            actor=_actor_name(api_key=api_key, user=user),
        )
        hooks.person_erased.send(
            sender=Person, workspace_id=locked.workspace_id, person_id=locked.pk
        )
        locked.delete()
    return entry
