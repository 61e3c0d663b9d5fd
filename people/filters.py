"""The query parameters of `GET /api/v1/people/` (django-filter).

- `user_id=u_123` — exact userId.
- `trait=KEY:VALUE`, repeatable, all must match — the people search box's
  `key=value` terms: the key ends at the first colon, the value is typed like
  the search box's (`people.selectors.typed_value`): JSON numbers, booleans and
  null are typed, anything else is a string, and quotes force a string
  (`trait=seats:5` matches the number 5, `trait=seats:"5"` the string "5").
- One parameter per `hooks.PersonFilter` registered by apps to the right, e.g.
  `segment=ID` from segments. The filter set is built from the registry when
  asked for (`person_filterset`), so the OpenAPI schema documents them too.
"""

from __future__ import annotations

import functools
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field

from people import hooks
from people.models import Person
from people.selectors import people_with_traits, typed_value
from workspaces.models import Workspace
from workspaces.requests import WorkspaceApiRequest

TRAIT_HELP = (
    "KEY:VALUE, repeatable (all must match): people whose trait KEY equals VALUE. The key "
    "ends at the first colon. The value is typed: JSON numbers, booleans and null are typed, "
    'anything else is a string; quote it to force a string (seats:5 is the number, seats:"5" '
    "the string)."
)


class TraitTermsField(forms.Field):
    """Every `trait=` value of the query string, parsed into (key, typed value) pairs."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[tuple[str, Any]]:
        if not value:
            return []
        terms = []
        for raw in value:
            key, colon, text = str(raw).partition(":")
            if not colon or not key.strip():
                raise forms.ValidationError(
                    f'"{raw}" is not KEY:VALUE (e.g. trait=plan:pro or trait=seats:5).'
                )
            terms.append((key.strip(), typed_value(text)))
        return terms


class TraitFilter(django_filters.Filter):
    field_class = TraitTermsField

    def filter(self, qs: QuerySet[Person], value: list[tuple[str, Any]]) -> QuerySet[Person]:
        return people_with_traits(qs, value) if value else qs


class IntegerFilter(django_filters.Filter):
    field_class = forms.IntegerField


class PersonFilterSet(django_filters.FilterSet):
    user_id = django_filters.CharFilter(
        field_name="user_id", lookup_expr="exact", help_text="Exact userId."
    )
    trait = extend_schema_field(
        {"type": "array", "items": {"type": "string"}, "description": TRAIT_HELP}
    )(TraitFilter(help_text=TRAIT_HELP))

    class Meta:
        model = Person
        fields: list[str] = []

    @property
    def workspace(self) -> Workspace:
        request = self.request
        if not isinstance(request, WorkspaceApiRequest):
            raise TypeError("PersonFilterSet filters the people API's workspace-scoped views.")
        return request.workspace


def _narrow_method(person_filter: hooks.PersonFilter) -> Any:
    def narrow(self: PersonFilterSet, qs: QuerySet[Person], name: str, value: Any) -> Any:
        return person_filter.narrow(qs, self.workspace, value)

    return narrow


def _hook_filter(person_filter: hooks.PersonFilter, method: str) -> django_filters.Filter:
    if person_filter.value_type is int:
        # An explicit schema (the override replaces the filter's help text there).
        schema = {"type": "integer", "description": person_filter.description}
        return extend_schema_field(schema)(
            IntegerFilter(method=method, help_text=person_filter.description)
        )
    return django_filters.CharFilter(method=method, help_text=person_filter.description)


@functools.lru_cache(maxsize=8)
def _filterset_for(registered: tuple[hooks.PersonFilter, ...]) -> type[PersonFilterSet]:
    # django-filter calls a filter's `method` by name on the filter set, which is
    # what gives the hook the request's workspace.
    attrs: dict[str, Any] = {}
    for person_filter in registered:
        method = f"narrow_{person_filter.key}"
        attrs[method] = _narrow_method(person_filter)
        attrs[person_filter.key] = _hook_filter(person_filter, method)
    return type("PersonFilterSet", (PersonFilterSet,), attrs)


def person_filterset() -> type[PersonFilterSet]:
    """PersonFilterSet with a parameter for every registered `hooks.PersonFilter`."""
    return _filterset_for(tuple(hooks.person_filters()))
