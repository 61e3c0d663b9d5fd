"""What depends on a segment, named before it is deleted.

Segments knows its own dependents: rule segments that refer to it and a cluster
parent's clusters. Apps to its right (studies targeting a segment, later reports)
may not be imported here, so they register a finder from their `AppConfig.ready()`:

    from segments import dependents
    dependents.register(lambda segment: [Dependent(kind="study", name=..., url=...)])

A dependent with `blocks=True` must be changed first; the others go with the segment
(cluster children) or lose it (a study's target list).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from segments.models import Segment, SegmentKind
from segments.rules import segment_references


@dataclass(frozen=True)
class Dependent:
    kind: str
    name: str
    url: str | None = None
    blocks: bool = False


Finder = Callable[[Segment], list[Dependent]]
_finders: list[Finder] = []


def register(finder: Finder) -> None:
    """Add a finder of what depends on a segment (idempotent)."""
    if finder not in _finders:
        _finders.append(finder)


def _own(segment: Segment) -> list[Dependent]:
    found = [
        Dependent(
            kind="rule segment",
            name=rule.name,
            url=reverse("segments:detail", args=[rule.pk]),
            blocks=True,
        )
        for rule in Segment.objects.filter(
            workspace_id=segment.workspace_id, kind=SegmentKind.RULE
        ).exclude(pk=segment.pk)
        if segment.pk in segment_references(rule.definition)
    ]
    found += [
        Dependent(kind="cluster", name=child.name, url=reverse("segments:detail", args=[child.pk]))
        for child in segment.children.order_by("name", "id")
    ]
    return found


def dependents_of(segment: Segment) -> list[Dependent]:
    """Everything that depends on `segment`: its own, then each registered finder's."""
    found = _own(segment)
    for finder in _finders:
        found += finder(segment)
    return found
