"""Factories for the people UI tests (tests/factories.py has none for segments yet)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from segments.models import Account, Event, Person, PersonAlias, Segment, SegmentMembership
from tests.factories import WorkspaceFactory


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    workspace = factory.SubFactory(WorkspaceFactory)
    group_id = factory.Sequence(lambda n: f"acct_{n:04d}")
    traits = factory.LazyAttribute(lambda o: {"name": f"Company {o.group_id}"})


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    workspace = factory.SubFactory(WorkspaceFactory)
    user_id = factory.Sequence(lambda n: f"u_{n:05d}")
    traits = factory.LazyAttribute(lambda o: {"email": f"{o.user_id}@example.com"})
    first_seen = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))
    last_seen = factory.LazyFunction(timezone.now)


class PersonAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonAlias

    person = factory.SubFactory(PersonFactory)
    workspace = factory.SelfAttribute("person.workspace")
    anonymous_id = factory.Sequence(lambda n: f"anon-{n:06d}")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    person = factory.SubFactory(PersonFactory)
    workspace = factory.SelfAttribute("person.workspace")
    name = "Logged In"
    properties = factory.LazyFunction(dict)
    timestamp = factory.LazyFunction(timezone.now)
    message_id = factory.Sequence(lambda n: f"msg-{n}")


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Segment {n}")
    kind = "rule"


class SegmentMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SegmentMembership

    person = factory.SubFactory(PersonFactory)
    segment = factory.SubFactory(
        SegmentFactory, workspace=factory.SelfAttribute("..person.workspace")
    )
    entered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
