"""Erasure's building blocks: the keyed hash of an erased userId, and the orphan sweep.

The operation itself is `people.services.person_erase`.

The hash is HMAC-SHA256 keyed with SECRET_KEY (Django's `salted_hmac`, with a
salt of its own) over the workspace id and the userId: a stored hash reveals
nothing without the key, the same userId hashes differently in two workspaces,
and a lookup also tries SECRET_KEY_FALLBACKS so a key rotation (done the Django
way) keeps old entries answerable.

The sweep exists because the fast track statement (people/ingestion/postgres.py)
takes no row lock on the people it writes events for, and on PostgreSQL no
foreign-key constraint stops an event from naming a person that is gone: a
batch that found the person before the erasure committed can insert its events
after the erasure deleted theirs. Ids are never reused, so any row still naming
an erased person's id is an orphan, and deleting it later is always right.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import salted_hmac

from people.models import Event, PendingSeenRange, PersonAlias

_SALT = "motive.people.erasure.user_id"


def user_id_hash(*, workspace_id: int, user_id: str, secret: str | bytes | None = None) -> str:
    """The keyed hash stored for an erased person's userId (hex, 64 characters)."""
    message = f"{workspace_id}:{user_id}"
    return salted_hmac(_SALT, message, secret=secret, algorithm="sha256").hexdigest()


def user_id_hashes(*, workspace_id: int, user_id: str) -> Iterator[str]:
    """The hash under the current SECRET_KEY, then under each of SECRET_KEY_FALLBACKS."""
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        yield user_id_hash(workspace_id=workspace_id, user_id=user_id, secret=secret)


@dataclass(frozen=True)
class SweptRows:
    events: int
    aliases: int
    pending_seen_ranges: int

    @property
    def total(self) -> int:
        return self.events + self.aliases + self.pending_seen_ranges


def delete_rows_naming(*, person_id: int) -> SweptRows:
    """Delete every people row that still names this (erased) person id."""
    events, _ = Event.objects.filter(person_id=person_id).delete()
    aliases, _ = PersonAlias.objects.filter(person_id=person_id).delete()
    pending, _ = PendingSeenRange.objects.filter(person_id=person_id).delete()
    return SweptRows(events=events, aliases=aliases, pending_seen_ranges=pending)
