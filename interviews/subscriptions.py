"""What interviews do when apps upstream say something happened (people.hooks)."""

from __future__ import annotations

from typing import Any

from interviews import services
from people import hooks


def on_person_erased(sender: Any, *, workspace_id: int, person_id: int, **kwargs: Any) -> None:
    """Inside the erasure's transaction: what the person wrote goes with them."""
    services.person_erase_answers(workspace_id=workspace_id, person_id=person_id)


def subscribe() -> None:
    hooks.person_erased.connect(on_person_erased, dispatch_uid="interviews.person_erased")
