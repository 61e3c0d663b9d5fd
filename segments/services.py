"""Writes for segments: define, change, compute, and push members of segments."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from people.models import Person
from segments import clusters, dependents, inbound, jobs, metrics, planner_stats, rfm
from segments.membership import (
    MembershipDiff,
    apply_members,
    change_members,
    person_ids_for_user_ids,
)
from segments.models import (
    COMPUTED_KINDS,
    InboundDelivery,
    Segment,
    SegmentComputeJob,
    SegmentKind,
    SegmentMembership,
)
from segments.progress import Progress, no_progress
from segments.rules import compile_rule, validate_definition
from workspaces.models import Workspace
from workspaces.services import ServiceError
from workspaces.untrusted import find_unstorable, loads_json

MAX_LIST_SIZE = 100_000
MAX_USER_ID_LENGTH = 255
# Events are stored from 1970 on; windows reach back at most 100 years from `as_of`, and
# dates are shifted into the workspace's time zone: this range keeps all of that inside
# the calendar Python and the database share (years 1 to 9999).
AS_OF_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
AS_OF_LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


def validate_as_of(as_of: datetime | None) -> None:
    """Refuse a pinned "now" whose windows would run off the calendar."""
    if as_of is not None and not AS_OF_EARLIEST <= as_of <= AS_OF_LATEST:
        raise ServiceError(
            "as_of: must be between 1970-01-01T00:00:00Z and 2999-12-31T23:59:59Z.",
            field="as_of",
        )


def _check_storable(value: Any, path: str, field: str) -> None:
    unstorable = find_unstorable(value, path)
    if unstorable is not None:
        raise ServiceError(f"{unstorable.path}: {unstorable.problem}", field=field)


def _user_id_list(value: Any, path: str, field: str = "definition") -> list[str]:
    if not isinstance(value, list):
        raise ServiceError(f"{path}: expected a list of user ids.", field=field)
    if len(value) > MAX_LIST_SIZE:
        raise ServiceError(
            f"{path}: at most {MAX_LIST_SIZE:,} user ids per request; send the rest in batches.",
            field=field,
        )
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item or len(item) > MAX_USER_ID_LENGTH:
            raise ServiceError(
                f"{path}[{index}]: a user id is a non-empty string of at most "
                f"{MAX_USER_ID_LENGTH} characters.",
                field=field,
            )
    _check_storable(value, path, field)
    return value


def validate_segment_definition(
    *, workspace: Workspace, kind: str, definition: Any, segment_id: int | None = None
) -> dict[str, Any]:
    """Check a definition for its kind; returns it in its stored form."""
    if kind not in SegmentKind.values:
        raise ServiceError(
            f'Unknown kind "{kind}"; use one of: {", ".join(SegmentKind.values)}.', field="kind"
        )
    if not isinstance(definition, dict):
        raise ServiceError("definition: expected a JSON object.", field="definition")
    if kind in (SegmentKind.STATIC, SegmentKind.EXTERNAL):
        # Rule, RFM and cluster definitions are checked by their own validators.
        _check_storable(definition, "definition", "definition")
    if kind == SegmentKind.RULE:
        validate_definition(definition, workspace=workspace, segment_id=segment_id)
    elif kind == SegmentKind.STATIC:
        unknown = set(definition) - {"user_ids"}
        if unknown:
            raise ServiceError(
                f'definition: unknown key "{sorted(unknown)[0]}".', field="definition"
            )
        _user_id_list(definition.get("user_ids", []), "definition.user_ids")
    elif kind == SegmentKind.EXTERNAL:
        unknown = set(definition) - {"source"}
        if unknown:
            raise ServiceError(
                f'definition: unknown key "{sorted(unknown)[0]}".', field="definition"
            )

    elif kind == SegmentKind.RFM:
        definition = rfm.validate(definition)
    else:
        definition = clusters.validate_spec(definition, workspace=workspace)
    return definition


@transaction.atomic
def segment_create(
    *,
    workspace: Workspace,
    name: str,
    kind: str,
    definition: dict[str, Any],
    playbook: str = "",
) -> Segment:
    name = name.strip()
    if not name:
        raise ServiceError("A segment needs a name.", field="name")
    definition = validate_segment_definition(workspace=workspace, kind=kind, definition=definition)
    segment = Segment.objects.create(
        workspace=workspace,
        name=name[:200],
        kind=kind,
        definition=definition,
        playbook=playbook,
        webhook_secret="whsec_" + secrets.token_urlsafe(32) if kind == SegmentKind.EXTERNAL else "",
    )
    if kind == SegmentKind.STATIC:
        segment_compute(segment=segment)
    return segment


@transaction.atomic
def segment_update(*, segment: Segment, **changes: Any) -> Segment:
    """Change name, playbook, definition or is_active; a new definition is validated."""
    allowed = {"name", "playbook", "definition", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ServiceError(f'Cannot change "{sorted(unknown)[0]}" of a segment.')
    if "definition" in changes and segment.parent_id is not None:
        raise ServiceError(
            "A cluster's members follow its parent segment: edit the parent's definition.",
            field="definition",
        )
    if "definition" in changes:
        changes["definition"] = validate_segment_definition(
            workspace=segment.workspace,
            kind=segment.kind,
            definition=changes["definition"],
            segment_id=segment.pk,
        )
    if "name" in changes:
        changes["name"] = str(changes["name"]).strip()[:200]
        if not changes["name"]:
            raise ServiceError("A segment needs a name.", field="name")
    for key, value in changes.items():
        setattr(segment, key, value)
    segment.updated_at = timezone.now()
    segment.save(update_fields=[*changes, "updated_at"])
    if segment.kind == SegmentKind.STATIC and "definition" in changes:
        segment_compute(segment=segment)
    return segment


def segment_compute(
    *,
    segment: Segment,
    as_of: datetime | None = None,
    record_at: datetime | None = None,
    progress: Progress = no_progress,
) -> MembershipDiff:
    """Recompute membership now (or as of `as_of`), recording who entered and exited,
    then the segment's share of people, stability and a size snapshot.

    The share of revenue (of the segment and, for clusters, of every cluster) is a
    follow-up: one task queued once the membership commits, over the 365 days up to the
    same "now" (`metrics.record_revenue_shares`).

    `record_at` is when the compute counts as having happened (entered/exited times,
    the snapshot); it defaults to now. Only a history backfill (the demo) sets it.
    """
    validate_as_of(as_of)
    set_based = segment.kind in {SegmentKind.RULE, SegmentKind.RFM, SegmentKind.CLUSTER}
    if set_based:
        # Their SQL is planned from statistics that a bulk load leaves stale.
        planner_stats.analyze_if_stale()
    with jobs.revenue_shares_together():
        progress(10, "Finding the members")
        diff = _compute_members(segment=segment, as_of=as_of, at=record_at, progress=progress)
        progress(95, "Recording size, share of people and stability")
        if set_based:
            # Stability and the share of revenue join the memberships, which this
            # compute may just have filled.
            planner_stats.analyze_if_stale([SegmentMembership._meta.db_table])
        segment.refresh_from_db()
        now = record_at or as_of or segment.computed_at or timezone.now()
        metrics.record(segment, diff, now=now)
    return diff


def _compute_members(
    *, segment: Segment, as_of: datetime | None, at: datetime | None, progress: Progress
) -> MembershipDiff:
    if segment.kind == SegmentKind.RULE:
        query = compile_rule(
            segment.definition, workspace=segment.workspace, as_of=as_of, segment_id=segment.pk
        )
        return apply_members(
            segment=segment, members_sql=query.sql, members_params=query.params, now=at
        )
    if segment.kind == SegmentKind.STATIC:
        found, _missing = person_ids_for_user_ids(
            workspace_id=segment.workspace_id, user_ids=segment.definition.get("user_ids", [])
        )
        return change_members(segment=segment, add=found, replace=True, now=at)
    if segment.kind == SegmentKind.EXTERNAL:
        # Membership is pushed from outside; computing only refreshes the size.
        return change_members(segment=segment, now=at)
    if segment.kind == SegmentKind.RFM:
        return rfm.compute(segment=segment, as_of=as_of or timezone.now(), now=at)
    # A cluster child is recomputed through its parent, which re-clusters everyone.
    root = segment.parent or segment
    diff: MembershipDiff = clusters.compute(
        segment=root, as_of=as_of or timezone.now(), now=at, progress=progress
    )
    return diff


@dataclass(frozen=True)
class SegmentSaved:
    """A saved segment and, for a computed kind, the compute job now queued for it."""

    segment: Segment
    job: SegmentComputeJob | None


@transaction.atomic
def segment_save(
    *,
    workspace: Workspace,
    segment: Segment | None = None,
    name: str,
    kind: str,
    definition: dict[str, Any],
    playbook: str = "",
    requested_by: User | None = None,
) -> SegmentSaved:
    """Create a segment (or change `segment`) and queue its compute as a job, the path
    every form of the web UI takes: a worker computes it, the segment page follows the
    job. Static lists are matched at once (one query); external ones wait for pushes."""
    if segment is None:
        segment = segment_create(
            workspace=workspace, name=name, kind=kind, definition=definition, playbook=playbook
        )
    else:
        segment = segment_update(
            segment=segment, name=name, playbook=playbook, definition=definition
        )
    job = None
    if segment.kind in COMPUTED_KINDS:
        job = jobs.request_compute(segment=segment, requested_by=requested_by)
    return SegmentSaved(segment=segment, job=job)


@transaction.atomic
def segment_delete(*, segment: Segment) -> None:
    """Delete a segment with its history; refused while a rule segment (or anything a
    registered finder marks as blocking) still depends on it, naming what does."""
    blocking = [d for d in dependents.dependents_of(segment) if d.blocks]
    if blocking:
        names = ", ".join(f"{d.kind} “{d.name}”" for d in blocking)
        raise ServiceError(f"“{segment.name}” is used by {names}: change that first.")
    segment.delete()


def _ensure_people(*, workspace_id: int, user_ids: list[str]) -> None:
    """External tools may know people before any event arrives: create them, once."""
    now = timezone.now()
    for start in range(0, len(user_ids), 5000):
        Person.objects.bulk_create(
            [
                Person(workspace_id=workspace_id, user_id=u, first_seen=now, last_seen=now)
                for u in user_ids[start : start + 5000]
            ],
            ignore_conflicts=True,
        )


def segment_members_push(*, segment: Segment, add: list[str], remove: list[str]) -> MembershipDiff:
    """Add and remove members of an external segment by user id."""
    if segment.kind != SegmentKind.EXTERNAL:
        raise ServiceError(
            f"Members can only be pushed to external segments; this one is {segment.kind}."
        )
    add = list(dict.fromkeys(_user_id_list(add, "add", "add")))
    remove = list(dict.fromkeys(_user_id_list(remove, "remove", "remove")))
    both = set(add) & set(remove)
    if both:
        raise ServiceError(f'"{sorted(both)[0]}" is in both add and remove.', field="add")
    _ensure_people(workspace_id=segment.workspace_id, user_ids=add)
    adding, _ = person_ids_for_user_ids(workspace_id=segment.workspace_id, user_ids=add)
    removing, _ = person_ids_for_user_ids(workspace_id=segment.workspace_id, user_ids=remove)
    diff = change_members(segment=segment, add=adding, remove=removing)
    metrics.record(segment, diff, now=segment.computed_at or timezone.now())
    return diff


class ReplayError(ServiceError):
    """A signed delivery that was already accepted."""


def segment_webhook_receive(
    *,
    segment: Segment,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    action: str = "add",
    user_id_property: str = "user_id",
) -> MembershipDiff:
    """Verify a signed inbound delivery, refuse replays, and apply its member changes."""
    inbound.verify(
        secret=segment.webhook_secret,
        timestamp=timestamp,
        signature=signature,
        body=body,
        now=timezone.now().timestamp(),
    )
    try:
        payload = loads_json(body)
    except ValueError as exc:  # UnicodeDecodeError is one
        raise ServiceError(f"The body is not valid JSON: {exc}.") from exc
    add, remove = inbound.changes_from_payload(
        payload, action=action, user_id_property=user_id_property
    )
    try:
        with transaction.atomic():
            # The action rides in the URL, outside the signed body: one signed body may be
            # delivered once per action (HubSpot enrol and un-enrol workflows).
            key = f"{action}:{str(signature).strip()}"[:80]
            InboundDelivery.objects.create(segment=segment, signature=key)
            return segment_members_push(segment=segment, add=add, remove=remove)
    except IntegrityError as exc:
        raise ReplayError("This delivery was already received; sign each request anew.") from exc


@transaction.atomic
def segment_webhook_secret_rotate(*, segment: Segment) -> str:
    if segment.kind != SegmentKind.EXTERNAL:
        raise ServiceError("Only external segments receive webhooks.")
    segment.webhook_secret = "whsec_" + secrets.token_urlsafe(32)
    segment.save(update_fields=["webhook_secret"])
    return segment.webhook_secret


def inbound_deliveries_prune(*, older_than: timedelta = timedelta(hours=1)) -> int:
    """Deliveries past the timestamp tolerance can never be replayed; drop them."""
    deleted, _ = InboundDelivery.objects.filter(
        received_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
