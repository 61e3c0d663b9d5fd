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
- `person_erased` is sent inside the transaction that erases a person
  (`people.services.person_erase`), after the person row is locked and before
  their rows are deleted: each app erases what it holds of that person (later:
  interviews' answer text). Rows with a constrained foreign key to the person
  (`segments`' memberships) also go by the ORM's cascade.
- `person_filters` are query parameters of `GET /api/v1/people/` that an app to
  the right answers (`segments`: `?segment=ID`, the segment's current members).
- `person_detail_parts` are keys of `GET /api/v1/people/{id}/` that an app to
  the right fills in (`segments`: the person's current segments).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.dispatch import Signal

from people.models import Person
from workspaces.models import Workspace

# Sent with workspace_id (int) and received_at (datetime).
events_ingested = Signal()
# Sent with target_id (int, the person that stays) and source_ids (list[int], deleted next).
people_merged = Signal()
# Sent with workspace_id (int) and person_id (int, deleted next in the same transaction).
person_erased = Signal()


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


@dataclass(frozen=True)
class PersonFilter:
    """A query parameter of the people list, answered by the app that registered it.

    `narrow(people, workspace, value)` returns `people` narrowed to the matching
    ones; `value` is already an int when `value_type` is int (a non-integer is a
    400 before `narrow` runs). A value that names nothing in the workspace raises
    `workspaces.services.ServiceError` (a 400), the same for another workspace's
    object as for one that does not exist.
    """

    key: str
    description: str
    narrow: Callable[[QuerySet[Person], Workspace, Any], QuerySet[Person]]
    value_type: type[int] | type[str] = str


@dataclass(frozen=True)
class PersonDetailPart:
    """A key of one person's API representation, filled in by the app that registered it.

    `load(person)` returns the value (one or a few queries); `field()` builds a
    fresh read-only DRF serializer field that renders it and documents its shape
    in the OpenAPI schema.
    """

    key: str
    load: Callable[[Person], Any]
    field: Callable[[], Any]


_person_filters: dict[str, PersonFilter] = {}
_person_detail_parts: dict[str, PersonDetailPart] = {}


def register_person_filter(person_filter: PersonFilter) -> None:
    """Add (or replace, by key) a query parameter of the people list."""
    _person_filters[person_filter.key] = person_filter


def person_filters() -> list[PersonFilter]:
    return sorted(_person_filters.values(), key=lambda f: f.key)


def register_person_detail_part(part: PersonDetailPart) -> None:
    """Add (or replace, by key) a key of a person's API representation."""
    _person_detail_parts[part.key] = part


def person_detail_parts() -> list[PersonDetailPart]:
    return sorted(_person_detail_parts.values(), key=lambda p: p.key)
