"""Reads for people, accounts and their events, always scoped to one workspace.

Every list here is meant to be paginated by the caller: the querysets are lazy,
ordered on indexed columns, and never materialise a workspace's people.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Coalesce

from people import erasure, hooks
from people.models import Account, Event, Person, PersonAlias, PersonErasure
from workspaces.models import Workspace

# `plan=pro`, `seats=5`, `beta=true`, `country="United States"`; keys may be namespaced.
_TRAIT_TERM = re.compile(r'\s*([A-Za-z_$][\w.$-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)\s*')


@dataclass(frozen=True)
class PeopleQuery:
    """What the people search box asked for: a user id fragment or trait equalities."""

    text: str = ""
    user_id: str = ""
    traits: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.user_id and not self.traits


def typed_value(raw: str) -> Any:
    """A typed trait value: JSON numbers, booleans and null are typed; quote to force a string."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(value, list | dict):
        return raw
    return value


def parse_people_query(text: str) -> PeopleQuery:
    """`key=value` terms (all must match) filter by trait; anything else searches user ids."""
    text = text.strip()
    if not text:
        return PeopleQuery()
    terms: list[tuple[str, Any]] = []
    position = 0
    while position < len(text):
        match = _TRAIT_TERM.match(text, position)
        if match is None:
            return PeopleQuery(text=text, user_id=text)
        terms.append((match.group(1), typed_value(match.group(2))))
        position = match.end()
    return PeopleQuery(text=text, traits=terms)


def person_list(*, workspace: Workspace, query: PeopleQuery | None = None) -> QuerySet[Person]:
    """People of the workspace, most recently seen first, with their account."""
    people = Person.objects.filter(workspace=workspace).select_related("account")
    if query is not None and query.user_id:
        aliased = PersonAlias.objects.filter(
            workspace=workspace, anonymous_id=query.user_id
        ).values("person_id")
        people = people.filter(Q(user_id__icontains=query.user_id) | Q(pk__in=aliased))
    if query is not None:
        people = people_with_traits(people, query.traits)
    return people.order_by("-last_seen", "-id")


def people_with_traits(
    people: QuerySet[Person], traits: Sequence[tuple[str, Any]]
) -> QuerySet[Person]:
    """Narrow to the people whose traits equal every (key, typed value) given."""
    for index, (key, value) in enumerate(traits):
        # KeyTransform keeps dotted keys (`motive.study.q`) whole and compares JSON
        # values exactly on both backends: `5` does not match `"5"`.
        alias = f"_trait_{index}"
        people = people.alias(**{alias: KeyTransform(key, "traits")}).filter(**{alias: value})
    return people


def person_get(*, workspace: Workspace, pk: int) -> Person | None:
    return Person.objects.filter(workspace=workspace, pk=pk).select_related("account").first()


def person_anonymous_ids(*, person: Person) -> list[str]:
    return list(
        PersonAlias.objects.filter(workspace_id=person.workspace_id, person=person)
        .order_by("anonymous_id")
        .values_list("anonymous_id", flat=True)[:50]
    )


def person_events(*, person: Person) -> QuerySet[Event]:
    """The person's timeline, most recent first (served by the (person, timestamp) index)."""
    return Event.objects.filter(workspace_id=person.workspace_id, person=person).order_by(
        "-timestamp", "-id"
    )


def _member_count() -> Coalesce:
    # A correlated count per account row: evaluated only for the page being shown,
    # on the index behind the person→account foreign key.
    members = (
        Person.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(members, output_field=IntegerField()), Value(0))


def account_list(*, workspace: Workspace, search: str = "") -> QuerySet[Account]:
    """Accounts of the workspace by group id, each with its member count."""
    accounts = Account.objects.filter(workspace=workspace)
    if search.strip():
        accounts = accounts.filter(group_id__icontains=search.strip())
    return accounts.annotate(member_count=_member_count()).order_by("group_id", "id")


def account_get(*, workspace: Workspace, pk: int) -> Account | None:
    return (
        Account.objects.filter(workspace=workspace, pk=pk)
        .annotate(member_count=_member_count())
        .first()
    )


def account_members(*, account: Account) -> QuerySet[Person]:
    return Person.objects.filter(workspace_id=account.workspace_id, account=account).order_by(
        "-last_seen", "-id"
    )


def workspace_has_people(*, workspace: Workspace) -> bool:
    return Person.objects.filter(workspace=workspace).exists()


def event_names(*, workspace: Workspace, limit: int = 500) -> list[str]:
    """The distinct event names of the workspace, for the builder's suggestions."""
    names = (
        Event.objects.filter(workspace=workspace)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    return list(names[:limit])


def _keys_of(documents: Any) -> list[str]:
    keys: set[str] = set()
    for document in documents:
        if isinstance(document, dict):
            keys.update(document)
    return sorted(keys)


def trait_keys(*, workspace: Workspace, sample: int = 1000) -> list[str]:
    """Trait keys of the most recently seen people: suggestions, not a census."""
    recent = Person.objects.filter(workspace=workspace).order_by("-last_seen", "-id")
    return _keys_of(recent.values_list("traits", flat=True)[:sample])


def account_trait_keys(*, workspace: Workspace, sample: int = 500) -> list[str]:
    recent = Account.objects.filter(workspace=workspace).order_by("-updated_at", "-id")
    return _keys_of(recent.values_list("traits", flat=True)[:sample])


def event_property_keys(*, workspace: Workspace, sample: int = 1000) -> list[str]:
    recent = Event.objects.filter(workspace=workspace).order_by("-timestamp", "-id")
    return _keys_of(recent.values_list("properties", flat=True)[:sample])


def workspace_people_count(*, workspace: Workspace) -> int:
    return Person.objects.filter(workspace=workspace).count()


# --- the people API ------------------------------------------------------------------


@dataclass(frozen=True)
class PersonDetail:
    """One person as the people API shows them: the row, their anonymous ids, and the
    parts apps to the right add (`hooks.person_detail_parts`, e.g. "segments")."""

    person: Person
    anonymous_ids: list[str]
    parts: dict[str, Any]


def person_detail(*, person: Person) -> PersonDetail:
    return PersonDetail(
        person=person,
        anonymous_ids=person_anonymous_ids(person=person),
        parts={part.key: part.load(person) for part in hooks.person_detail_parts()},
    )


def person_erasures_of(*, workspace: Workspace, user_id: str) -> QuerySet[PersonErasure]:
    """The erasures of the person who had this userId in the workspace ("was u_123 erased?")."""
    hashes = list(erasure.user_id_hashes(workspace_id=workspace.pk, user_id=user_id))
    return PersonErasure.objects.filter(workspace=workspace, user_id_hash__in=hashes)
