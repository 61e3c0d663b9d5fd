"""Reads for segments, always scoped to one workspace.

Every list here is meant to be paginated by the caller: the querysets are lazy,
ordered on indexed columns, and never materialise a workspace's people.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import F, OrderBy, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Lower
from django.utils import timezone

from people import selectors as people_selectors
from people.models import Account, Event, Person
from segments import rfm
from segments.membership import person_ids_for_user_ids
from segments.models import (
    Segment,
    SegmentComputeJob,
    SegmentKind,
    SegmentMembership,
    SegmentSnapshot,
)
from segments.rules import preview as rule_preview
from segments.rules.dialects import dialect_for
from segments.rules.qualifying import QualifyingValue, qualifying_values
from workspaces.models import Workspace
from workspaces.services import ServiceError


def person_memberships(*, person: Person, limit: int = 100) -> list[SegmentMembership]:
    """Segment stays, current ones first, then the ones left, most recent first."""
    memberships = (
        SegmentMembership.objects.filter(person=person, segment__workspace_id=person.workspace_id)
        .select_related("segment")
        .order_by(F("exited_at").desc(nulls_first=True), "-entered_at", "-id")
    )
    return list(memberships[:limit])


def person_current_memberships(*, person: Person) -> list[SegmentMembership]:
    """The person's open segment stays, most recently entered first, with their segment."""
    return list(
        SegmentMembership.objects.filter(
            person=person, segment__workspace_id=person.workspace_id, exited_at__isnull=True
        )
        .select_related("segment")
        .order_by("-entered_at", "-id")
    )


def people_in_segment(
    people: QuerySet[Person], *, workspace: Workspace, segment_id: int
) -> QuerySet[Person]:
    """Narrow `people` to the current members of the workspace's segment `segment_id`.

    Another workspace's segment is refused exactly like one that does not exist.
    """
    if not Segment.objects.filter(workspace=workspace, pk=segment_id).exists():
        raise ServiceError(f"There is no segment {segment_id} in this workspace.", field="segment")
    members = SegmentMembership.objects.filter(
        segment_id=segment_id, exited_at__isnull=True
    ).values("person_id")
    return people.filter(pk__in=members)


# --- segments: what the list, the builder and the wizards read ---------------------

SNAPSHOTS_SHOWN = 30


SEGMENT_SORTS: dict[str, Any] = {
    "name": Lower("name"),
    "kind": F("kind"),
    "size": F("size"),
    "people": F("share_of_people"),
    "revenue": F("share_of_revenue"),
    "stability": F("stability"),
    "computed": F("computed_at"),
    "status": F("is_active"),
}


def segment_sort_or_default(sort: str | None) -> str:
    key = (sort or "").removeprefix("-")
    return sort if sort and key in SEGMENT_SORTS else "name"


def segment_list(*, workspace: Workspace, search: str = "", sort: str = "name") -> list[Segment]:
    """The workspace's segments whose name contains `search`, ordered by `sort` (a key of
    `SEGMENT_SORTS`, `-` first for descending), each with its last 30 snapshots (oldest
    first) in `recent_snapshots` and its latest compute job's status, stage, progress and
    error (`job_*`): two queries however many segments there are."""
    recent = SegmentSnapshot.objects.order_by("-computed_at", "-id")[:SNAPSHOTS_SHOWN]
    latest_job = SegmentComputeJob.objects.filter(segment_id=OuterRef("pk")).order_by(
        "-requested_at", "-id"
    )
    found = (
        Segment.objects.filter(workspace=workspace)
        .annotate(
            job_status=Subquery(latest_job.values("status")[:1]),
            job_error=Subquery(latest_job.values("error")[:1]),
            job_progress=Subquery(latest_job.values("progress")[:1]),
            job_stage=Subquery(latest_job.values("stage")[:1]),
        )
        .prefetch_related(Prefetch("snapshots", queryset=recent, to_attr="latest_snapshots"))
    )
    if search.strip():
        found = found.filter(name__icontains=search.strip())
    sort = segment_sort_or_default(sort)
    order = OrderBy(
        SEGMENT_SORTS[sort.removeprefix("-")], descending=sort.startswith("-"), nulls_last=True
    )
    segments: list[Segment] = list(found.order_by(order, Lower("name"), "id"))
    for segment in segments:
        segment.recent_snapshots = segment.latest_snapshots[::-1]  # type: ignore[attr-defined]
    return segments


def segment_get(*, workspace: Workspace, pk: int) -> Segment | None:
    return Segment.objects.filter(workspace=workspace, pk=pk).select_related("parent").first()


def segment_snapshots(*, segment: Segment) -> list[SegmentSnapshot]:
    recent = SegmentSnapshot.objects.filter(segment=segment).order_by("-computed_at", "-id")
    return list(recent[:SNAPSHOTS_SHOWN])[::-1]


def segment_members(*, segment: Segment) -> QuerySet[SegmentMembership]:
    """Current members, most recently entered first."""
    return (
        SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True)
        .select_related("person")
        .order_by("-entered_at", "-id")
    )


# Member list columns a researcher can sort by: name → what orders it. RFM scores and the
# cluster apply only to their kinds (`member_sorts`).
_MEMBER_ORDER: dict[str, Any] = {
    "entered": F("entered_at"),
    "user": F("person__user_id"),
    "name": F("person_name"),
    "email": F("person_email"),
    "tier": KeyTextTransform("tier", "scores"),
    "r": KeyTransform("r", "scores"),
    "f": KeyTransform("f", "scores"),
    "m": KeyTransform("m", "scores"),
    "recency": KeyTransform("recency_days", "scores"),
    "frequency": KeyTransform("frequency", "scores"),
    "monetary": KeyTransform("monetary", "scores"),
    "cluster": F("cluster_name"),
}
RFM_SORTS = ("tier", "r", "f", "m", "recency", "frequency", "monetary")
DEFAULT_MEMBER_SORT = "-entered"


def member_sorts(segment: Segment) -> tuple[str, ...]:
    """The sort keys that apply to this segment's member list."""
    common = ("entered", "user", "name", "email")
    if segment.kind == SegmentKind.RFM:
        return common + RFM_SORTS
    if is_cluster_parent(segment):
        return (*common, "cluster")
    return common


def is_cluster_parent(segment: Segment) -> bool:
    return segment.kind == SegmentKind.CLUSTER and segment.parent_id is None


def member_sort_or_default(segment: Segment, sort: str | None) -> str:
    """`sort` when it names a column of this list (`-` first for descending), else the
    default: most recently entered first."""
    key = (sort or "").removeprefix("-")
    return sort if sort and key in member_sorts(segment) else DEFAULT_MEMBER_SORT


def segment_member_rows(
    *, segment: Segment, search: str = "", sort: str = DEFAULT_MEMBER_SORT
) -> QuerySet[SegmentMembership]:
    """Current members with their person, name and email (from traits) and, for a cluster
    parent, the cluster each is in; filtered by `search` (user id, name or email contain
    it) and ordered by `sort` — all in the database, ready to paginate or stream."""
    rows = (
        SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True)
        .select_related("person")
        .annotate(
            person_name=KeyTextTransform("name", "person__traits"),
            person_email=KeyTextTransform("email", "person__traits"),
        )
    )
    if is_cluster_parent(segment):
        cluster = SegmentMembership.objects.filter(
            segment__parent_id=segment.pk, person_id=OuterRef("person_id"), exited_at__isnull=True
        ).values("segment__name")[:1]
        rows = rows.annotate(cluster_name=Subquery(cluster))
    search = search.strip()
    if search:
        rows = rows.filter(
            Q(person__user_id__icontains=search)
            | Q(person_name__icontains=search)
            | Q(person_email__icontains=search)
        )
    sort = member_sort_or_default(segment, sort)
    expression = _MEMBER_ORDER[sort.removeprefix("-")]
    descending = sort.startswith("-")
    order = OrderBy(expression, descending=descending, nulls_last=True)
    tie = "-id" if descending else "id"
    return rows.order_by(order, tie)


def segment_children(*, segment: Segment) -> list[Segment]:
    return list(segment.children.order_by("definition__cluster", "id"))


def segment_choices(*, workspace: Workspace, exclude: int | None = None) -> list[Segment]:
    """Segments a rule may reference (cluster parents excluded: their children are the
    groups a researcher means)."""
    found = Segment.objects.filter(workspace=workspace).order_by("name", "id")
    if exclude is not None:
        found = found.exclude(pk=exclude)
    return list(found.only("id", "name", "kind"))


def rfm_grid(
    definition: dict[str, Any], *, workspace: Workspace, as_of: datetime
) -> dict[tuple[int, int], int]:
    """Purchasers per (R, FM) cell of the 5 by 5 tier grid, from one grouped query over the
    same scores the compute stores (`rfm.scored_sql`)."""
    dialect = dialect_for(connection)
    dialect.prepare()
    spec = rfm.validate(definition)
    bins = spec["bins"]
    scored = rfm.scored_sql(spec, workspace_id=workspace.pk, as_of=as_of, dialect=dialect)

    def five(column: str) -> str:
        return f"((s.{column} * 5 + {bins - 1}) / {bins})"

    query = (
        f"SELECT {five('r')} AS r5, (({five('f')} + {five('m')} + 1) / 2) AS fm5, COUNT(*) "  # noqa: S608
        f"FROM ({scored.text}) s GROUP BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, list(scored.params))
        return {(int(r), int(fm)): int(n) for r, fm, n in cursor.fetchall()}


def member_qualifying_values(
    *, segment: Segment, person_ids: list[int]
) -> dict[int, list[QualifyingValue]]:
    """For a rule segment, what qualified each of these members, as of its last compute."""
    if segment.kind != SegmentKind.RULE:
        return {}
    return qualifying_values(
        segment.definition,
        workspace=segment.workspace,
        person_ids=person_ids,
        as_of=segment.computed_at or timezone.now(),
    )


EXPORT_BATCH = 2000
RFM_EXPORT_KEYS = ("tier", "r", "f", "m", "recency_days", "frequency", "monetary")


def member_export_header(segment: Segment) -> list[str]:
    header = ["user_id", "name", "email", "entered_at", "traits"]
    if segment.kind == SegmentKind.RFM:
        header += list(RFM_EXPORT_KEYS)
    elif is_cluster_parent(segment):
        header.append("cluster")
    elif segment.kind == SegmentKind.RULE:
        header.append("qualified_by")
    return header


def member_export_rows(
    *, segment: Segment, search: str = "", sort: str = DEFAULT_MEMBER_SORT
) -> Iterator[list[Any]]:
    """The members as export rows, read in batches of 2,000 (memory stays bounded);
    for a rule, each batch's qualifying values come from one query per condition."""
    rows = segment_member_rows(segment=segment, search=search, sort=sort)
    batch: list[SegmentMembership] = []
    for membership in rows.iterator(chunk_size=EXPORT_BATCH):
        batch.append(membership)
        if len(batch) == EXPORT_BATCH:
            yield from _export_batch(segment, batch)
            batch = []
    if batch:
        yield from _export_batch(segment, batch)


def _export_batch(segment: Segment, batch: list[SegmentMembership]) -> Iterator[list[Any]]:
    qualifying = member_qualifying_values(segment=segment, person_ids=[m.person_id for m in batch])
    for m in batch:
        person = m.person
        row: list[Any] = [
            person.user_id,
            getattr(m, "person_name", None),
            getattr(m, "person_email", None),
            m.entered_at.astimezone(UTC).isoformat(),
            json.dumps(person.traits, ensure_ascii=False, sort_keys=True),
        ]
        if segment.kind == SegmentKind.RFM:
            scores = m.scores or {}
            row += [scores.get(key) for key in RFM_EXPORT_KEYS]
        elif is_cluster_parent(segment):
            row.append(getattr(m, "cluster_name", None))
        elif segment.kind == SegmentKind.RULE:
            row.append("; ".join(q.text for q in qualifying.get(m.person_id, [])))
        yield row


# --- previews: one dispatch for the API and the builder ---------------------------------

PREVIEW_KINDS = (SegmentKind.RULE, SegmentKind.RFM, SegmentKind.STATIC)


def segment_preview(
    *,
    workspace: Workspace,
    kind: str,
    definition: dict[str, Any],
    as_of: datetime | None = None,
    sample: int = 20,
) -> dict[str, Any]:
    """Size and a sample of user ids of a validated definition, without saving anything,
    and the names it uses that this workspace never received (`unknown`)."""
    as_of = as_of or timezone.now()
    if kind == SegmentKind.RULE:
        result = rule_preview(definition, workspace=workspace, as_of=as_of, sample=sample)
    elif kind == SegmentKind.RFM:
        result = rfm.preview(definition, workspace_id=workspace.pk, as_of=as_of, sample=sample)
    elif kind == SegmentKind.STATIC:
        user_ids = definition.get("user_ids", [])
        _found, missing = person_ids_for_user_ids(workspace_id=workspace.pk, user_ids=user_ids)
        absent = set(missing)
        known = [u for u in dict.fromkeys(user_ids) if u not in absent]
        result = {"size": len(known), "sample": known[:sample]}
    else:
        raise ServiceError(
            f"Preview is available for rule, RFM and static segments, not {kind}.", field="kind"
        )
    return {**result, "unknown": never_received(workspace=workspace, definition=definition)}


@dataclass(frozen=True)
class _Named:
    kind: str  # "event", "trait" or "account trait"
    name: str


NAMED_KEYS = (("event", "event"), ("trait", "trait"), ("account_trait", "account trait"))


def _names_used(node: Any) -> Iterator[_Named]:
    if isinstance(node, list):
        for child in node:
            yield from _names_used(child)
    elif isinstance(node, dict):
        for key, kind in (
            ("event", "event"),
            ("trait", "trait"),
            ("account_trait", "account trait"),
        ):
            if isinstance(node.get(key), str):
                yield _Named(kind, node[key])
        for key in ("all", "any", "not", "features"):
            if key in node:
                yield from _names_used(node[key])


SUGGESTIONS = 3


def never_received(*, workspace: Workspace, definition: Any) -> list[dict[str, Any]]:
    """Events and traits a definition names that this workspace has never received, each
    with the closest names it has (difflib), e.g. "Session Started" → "Session Start".

    One index probe per event name; traits are looked up in the recent people's keys
    first and only then in all people."""
    missing: list[dict[str, Any]] = []
    names = list(dict.fromkeys(_names_used(definition)))
    events_known: list[str] | None = None
    traits_known: list[str] | None = None
    accounts_known: list[str] | None = None
    for named in names:
        if named.kind == "event":
            if Event.objects.filter(workspace=workspace, name=named.name).exists():
                continue
            if events_known is None:
                events_known = people_selectors.event_names(workspace=workspace)
            known = events_known
        elif named.kind == "trait":
            if traits_known is None:
                traits_known = people_selectors.trait_keys(workspace=workspace)
            if (
                named.name in traits_known
                or Person.objects.filter(workspace=workspace, traits__has_key=named.name).exists()
            ):
                continue
            known = traits_known
        else:
            if accounts_known is None:
                accounts_known = people_selectors.account_trait_keys(workspace=workspace)
            if (
                named.name in accounts_known
                or Account.objects.filter(workspace=workspace, traits__has_key=named.name).exists()
            ):
                continue
            known = accounts_known
        missing.append(
            {
                "kind": named.kind,
                "name": named.name,
                "closest": difflib.get_close_matches(named.name, known, n=SUGGESTIONS),
            }
        )
    return missing
