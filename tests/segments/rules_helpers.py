"""Builders for rule-engine tests: a whole world of accounts, people, events and segment
memberships written with bulk_create (cheap enough for one world per hypothesis example),
and mirrored as a RefWorld for the reference evaluator."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from people.models import Account, Event, Person
from segments.models import Segment, SegmentKind, SegmentMembership
from tests.segments.rules_reference import RefEvent, RefWorld
from workspaces.models import Workspace

_messages = itertools.count()


@dataclass
class PersonSpec:
    traits: dict[str, Any] = field(default_factory=dict)
    account: int | None = None  # index into WorldSpec.accounts


@dataclass
class EventSpec:
    person: int  # index into WorldSpec.people
    name: str
    timestamp: datetime
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class WorldSpec:
    time_zone: str = "UTC"
    accounts: list[dict[str, Any]] = field(default_factory=list)
    people: list[PersonSpec] = field(default_factory=list)
    events: list[EventSpec] = field(default_factory=list)
    # Per static segment: indexes of people with an open / a closed membership.
    open_members: list[set[int]] = field(default_factory=list)
    closed_members: list[set[int]] = field(default_factory=list)


@dataclass
class Built:
    workspace: Workspace
    people: list[Person]
    segments: list[Segment]
    reference: RefWorld


def build_world(spec: WorldSpec, *, name: str = "Rules") -> Built:
    workspace = Workspace.objects.create(name=name, time_zone=spec.time_zone)
    accounts = Account.objects.bulk_create(
        Account(workspace=workspace, group_id=f"g{i}", traits=traits)
        for i, traits in enumerate(spec.accounts)
    )
    people = Person.objects.bulk_create(
        Person(
            workspace=workspace,
            user_id=f"u{i}",
            traits=p.traits,
            account=accounts[p.account] if p.account is not None else None,
        )
        for i, p in enumerate(spec.people)
    )
    Event.objects.bulk_create(
        Event(
            workspace=workspace,
            person=people[e.person],
            name=e.name,
            properties=e.properties,
            timestamp=e.timestamp,
            message_id=f"m{next(_messages)}",
        )
        for e in spec.events
    )
    segments = _static_segments(workspace, people, spec)
    reference = RefWorld(
        people={p.pk: (p.traits, p.account_id) for p in people},
        accounts={a.pk: a.traits for a in accounts},
        events=[
            RefEvent(people[e.person].pk, e.name, e.properties, e.timestamp) for e in spec.events
        ],
        time_zone=spec.time_zone,
        open_members={
            s.pk: {people[i].pk for i in members}
            for s, members in zip(segments, spec.open_members, strict=True)
        },
    )
    return Built(workspace=workspace, people=people, segments=segments, reference=reference)


def _static_segments(workspace: Workspace, people: list[Person], spec: WorldSpec) -> list[Segment]:
    segments = Segment.objects.bulk_create(
        Segment(workspace=workspace, name=f"List {i}", kind=SegmentKind.STATIC)
        for i in range(len(spec.open_members))
    )
    entered = datetime(2026, 1, 1).astimezone()
    rows = []
    for segment, open_, closed in zip(
        segments, spec.open_members, spec.closed_members or [set()] * len(segments), strict=True
    ):
        rows += [
            SegmentMembership(segment=segment, person=people[i], entered_at=entered) for i in open_
        ]
        rows += [
            SegmentMembership(
                segment=segment,
                person=people[i],
                entered_at=entered,
                exited_at=entered + timedelta(days=1),
            )
            for i in closed
        ]
    SegmentMembership.objects.bulk_create(rows)
    return segments


def resolve_segments(node: Any, segment_ids: list[int]) -> Any:
    """Replace `{"segment": i}` (an index into the world's segments) with the real id."""
    if not isinstance(node, dict):
        return node
    if "segment" in node:
        return {"segment": segment_ids[node["segment"]]}
    if "not" in node:
        return {"not": resolve_segments(node["not"], segment_ids)}
    for group in ("all", "any"):
        if group in node:
            return {group: [resolve_segments(child, segment_ids) for child in node[group]]}
    return node
