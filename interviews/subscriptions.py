"""What interviews do when apps upstream say something happened (people.hooks)."""

from __future__ import annotations

from typing import Any

from interviews import selectors, services
from people import hooks
from people.models import Person


def on_person_erased(sender: Any, *, workspace_id: int, person_id: int, **kwargs: Any) -> None:
    """Inside the erasure's transaction: what the person wrote goes with them."""
    services.person_erase_answers(workspace_id=workspace_id, person_id=person_id)


def person_interviews(person: Person) -> dict[str, Any]:
    return {"interviews": selectors.person_interviews(person=person)}


def subscribe() -> None:
    hooks.person_erased.connect(on_person_erased, dispatch_uid="interviews.person_erased")
    hooks.register_person_section(
        hooks.PersonSection(
            key="interviews",
            template="interviews/_person_interviews.html",
            context=person_interviews,
            order=30,
        )
    )
