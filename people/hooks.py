"""How the apps downstream of people hear what happened and add to people's pages.

Data flows one way (DESIGN.md): `people` imports no app to its right. Those
apps subscribe here instead, from their `AppConfig.ready()`:

- `events_ingested` is sent after a write stored new events, traits or account
  links for a workspace (once per batch or import chunk, after the data is
  committed or in the same transaction as it): `segments` schedules a refresh.
- `people_merged` is sent inside the transaction that folds anonymous people
  (or an aliased `previousId`) into another person, after their events have
  moved and before the merged rows are deleted: `segments` moves memberships.
- `person_sections` are extra cards on the person page: `segments` shows the
  person's segments, later apps their invitations and interviews.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal

from people.models import Person

# Sent with workspace_id (int) and received_at (datetime).
events_ingested = Signal()
# Sent with target_id (int, the person that stays) and source_ids (list[int], deleted next).
people_merged = Signal()


@dataclass(frozen=True)
class PersonSection:
    """A card on the person page: its template and the context it needs for one person."""

    key: str
    template: str
    context: Callable[[Person], dict[str, Any]]
    order: int = 100


_person_sections: dict[str, PersonSection] = {}


def register_person_section(section: PersonSection) -> None:
    """Add (or replace, by key) a card on the person page."""
    _person_sections[section.key] = section


def person_sections() -> list[PersonSection]:
    return sorted(_person_sections.values(), key=lambda s: (s.order, s.key))
