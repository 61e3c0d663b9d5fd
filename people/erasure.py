"""The keyed hash of an erased userId: the one trace of the person an erasure keeps.

The operation itself is `people.services.person_erase`.

The hash is HMAC-SHA256 keyed with SECRET_KEY (Django's `salted_hmac`, with a
salt of its own) over the workspace id and the userId: a stored hash reveals
nothing without the key, the same userId hashes differently in two workspaces,
and a lookup also tries SECRET_KEY_FALLBACKS so a key rotation (done the Django
way) keeps old entries answerable.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.utils.crypto import salted_hmac

_SALT = "motive.people.erasure.user_id"


def user_id_hash(*, workspace_id: int, user_id: str, secret: str | bytes | None = None) -> str:
    """The keyed hash stored for an erased person's userId (hex, 64 characters)."""
    message = f"{workspace_id}:{user_id}"
    return salted_hmac(_SALT, message, secret=secret, algorithm="sha256").hexdigest()


def user_id_hashes(*, workspace_id: int, user_id: str) -> Iterator[str]:
    """The hash under the current SECRET_KEY, then under each of SECRET_KEY_FALLBACKS."""
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        yield user_id_hash(workspace_id=workspace_id, user_id=user_id, secret=secret)
