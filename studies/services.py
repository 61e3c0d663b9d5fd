"""Writes for studies: define and edit them, move them through their lifecycle, invite.

Lifecycle: draft → live (launch) → paused ↔ live → closed. Every transition locks the
study row first, so two requests cannot both launch or both close a study; a request
the current status does not allow is a `StudyStateError` (409).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from people.models import Person
from segments.models import Segment, SegmentMembership
from studies import channels, listening, question_types, selectors, targeting, tasks
from studies.models import (
    Invitation,
    InvitationSource,
    InvitationStatus,
    ModeratorTone,
    OptOut,
    Question,
    QuestionRevision,
    Study,
    StudyMode,
    StudySegment,
    StudyStatus,
    new_invitation_token,
)
from studies.question_types import QuestionError, QuestionSpec
from workspaces.models import Workspace
from workspaces.services import ServiceError

MAX_SEGMENTS: Final = 20
MAX_EXPLICIT_INVITES: Final = 1000
MAX_TEXT: Final = 5000
STUDY_KEY_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
LANGUAGE_PATTERN: Final = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
# field → (lowest, highest) for the study's whole-number settings.
BOUNDS: Final[dict[str, tuple[int, int]]] = {
    "quota_per_segment": (1, 100_000),
    "recontact_days": (0, 3650),
    "invitation_expiry_days": (1, 365),
    "account_cap": (1, 1000),
    "listening_cap": (1, 10_000),
    "listening_period_days": (1, 365),
}
TEXT_FIELDS: Final = ("objective", "consent_text", "incentive_text")
# A trait key as people's traits spell them (letters, digits, `_ . - $`).
TRAIT_KEY_PATTERN: Final = re.compile(r"[A-Za-z0-9_.$-]{1,64}")
# Settings that decide who is invited and how people's traits are named: fixed at launch.
FIXED_AT_LAUNCH: Final = ("key", "segments", "mode")


class StudyStateError(ServiceError):
    """The request does not fit the study's current status (answered with 409)."""

    status_code = 409


# --- defining a study ----------------------------------------------------------------


def _check_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Values of the study's own fields, checked; raises ServiceError naming the field."""
    cleaned = dict(settings)
    if "title" in cleaned:
        title = str(cleaned["title"]).strip()
        if not title:
            raise ServiceError("title: a study needs a title.", field="title")
        cleaned["title"] = title[:200]
    for name, (low, high) in BOUNDS.items():
        value = cleaned.get(name)
        if value is not None and not low <= value <= high:
            raise ServiceError(f"{name}: must be between {low:,} and {high:,}.", field=name)
    if cleaned.get("mode") is not None and cleaned["mode"] not in StudyMode.values:
        raise ServiceError(f"mode: use one of: {', '.join(StudyMode.values)}.", field="mode")
    tone = cleaned.get("moderator_tone")
    if tone is not None and tone not in ModeratorTone.values:
        raise ServiceError(
            f"moderator_tone: use one of: {', '.join(ModeratorTone.values)}.",
            field="moderator_tone",
        )
    channel = cleaned.get("channel")
    if channel is not None and channel not in channels.channel_names():
        raise ServiceError(
            f"channel: use one of: {', '.join(channels.channel_names())} "
            '("link": Motive sends nothing, export the links for your CRM).',
            field="channel",
        )
    language = cleaned.get("language")
    if language is not None and not LANGUAGE_PATTERN.fullmatch(language):
        raise ServiceError('language: a language tag such as "en" or "pt-BR".', field="language")
    for name in TEXT_FIELDS:
        if name in cleaned and len(cleaned[name]) > MAX_TEXT:
            raise ServiceError(f"{name}: at most {MAX_TEXT:,} characters.", field=name)
    role_trait = cleaned.get("role_trait")
    if role_trait and not TRAIT_KEY_PATTERN.fullmatch(role_trait):
        raise ServiceError(
            'role_trait: a trait key such as "role" (letters, digits, "_", ".", "-"; '
            "at most 64 characters), or blank for role, else title.",
            field="role_trait",
        )
    return cleaned


def _check_segments(*, workspace: Workspace, segment_ids: Sequence[int]) -> list[int]:
    if len(segment_ids) > MAX_SEGMENTS:
        raise ServiceError(f"segments: at most {MAX_SEGMENTS} target segments.", field="segments")
    known = set(
        Segment.objects.filter(workspace=workspace, pk__in=list(segment_ids)).values_list(
            "pk", flat=True
        )
    )
    seen: set[int] = set()
    for index, segment_id in enumerate(segment_ids):
        if segment_id not in known:
            raise ServiceError(
                f"segments[{index}]: no segment {segment_id} in this workspace.",
                field="segments",
            )
        if segment_id in seen:
            raise ServiceError(
                f"segments[{index}]: segment {segment_id} is listed twice.", field="segments"
            )
        seen.add(segment_id)
    return list(segment_ids)


def _check_key(*, workspace: Workspace, key: str, study_id: int | None = None) -> str:
    if not STUDY_KEY_PATTERN.fullmatch(key):
        raise ServiceError(
            'key: use lowercase letters, digits, "-" and "_" (at most 64 characters).',
            field="key",
        )
    others = Study.objects.filter(workspace=workspace, key=key)
    if study_id is not None:
        others = others.exclude(pk=study_id)
    if others.exists():
        raise ServiceError(f'key: "{key}" is already the key of another study.', field="key")
    return key


def _free_key(*, workspace: Workspace, title: str) -> str:
    """A key made from the title, with a number appended when it is taken."""
    base = slugify(title)[:50].strip("-_") or "study"
    if not base[0].isalnum():
        base = "study"
    taken = set(
        Study.objects.filter(workspace=workspace, key__startswith=base).values_list(
            "key", flat=True
        )
    )
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def _set_segments(study: Study, segment_ids: list[int]) -> None:
    StudySegment.objects.filter(study=study).delete()
    StudySegment.objects.bulk_create(
        StudySegment(study=study, segment_id=segment_id, position=position)
        for position, segment_id in enumerate(segment_ids)
    )


def _question_row(study: Study, position: int, spec: QuestionSpec) -> Question:
    return Question(
        study=study,
        position=position,
        key=spec.key,
        type=spec.type,
        prompt=spec.prompt,
        required=spec.required,
        config=spec.config,
        probe_max_followups=spec.probe_max_followups,
        probe_instructions=spec.probe_instructions,
        show_if=spec.show_if,
    )


@transaction.atomic
def study_create(
    *,
    workspace: Workspace,
    title: str,
    segments: Sequence[int] = (),
    questions: Any = None,
    key: str | None = None,
    **settings: Any,
) -> Study:
    """A draft study. `settings` are the study's other fields (objective, mode, quota, ...)."""
    allowed = {*BOUNDS, *TEXT_FIELDS, "mode", "language", "moderator_tone", "channel"}
    allowed |= {"role_trait", "probe_structured"}
    unknown = set(settings) - allowed
    if unknown:
        raise ServiceError(f"{sorted(unknown)[0]}: not a field of a study.")
    cleaned = _check_settings({"title": title, **settings})
    segment_ids = _check_segments(workspace=workspace, segment_ids=segments)
    specs = question_types.validate_questions([] if questions is None else questions)
    if key is None:
        key = _free_key(workspace=workspace, title=cleaned["title"])
    else:
        key = _check_key(workspace=workspace, key=key)
    try:
        with transaction.atomic():
            study = Study.objects.create(workspace=workspace, key=key, **cleaned)
    except IntegrityError as exc:  # a concurrent create took the key
        raise ServiceError(f'key: "{key}" is already the key of another study.') from exc
    _set_segments(study, segment_ids)
    Question.objects.bulk_create(
        _question_row(study, position, spec) for position, spec in enumerate(specs)
    )
    return study


def _locked(study: Study) -> Study:
    """The study's row, locked for the rest of the transaction, freshly read."""
    return Study.objects.select_for_update().select_related("workspace").get(pk=study.pk)


@transaction.atomic
def study_update(*, study: Study, **changes: Any) -> Study:
    """Change a study's fields, segments or questions (the whole list, matched by key).

    A closed study cannot change. Once launched, its key, segments and mode are fixed.
    Once answers may exist, questions keep their meaning: only wording changes (prompt,
    scale labels, probe instructions), each recorded as a QuestionRevision.
    """
    allowed = {*BOUNDS, *TEXT_FIELDS, "title", "mode", "language", "moderator_tone"}
    allowed |= {"key", "segments", "questions", "channel", "role_trait", "probe_structured"}
    unknown = set(changes) - allowed
    if unknown:
        raise ServiceError(f"{sorted(unknown)[0]}: not a field of a study.")
    row = _locked(study)
    if row.status == StudyStatus.CLOSED:
        raise StudyStateError("This study is closed and can no longer change.", field="status")
    if not row.is_draft:
        for name in FIXED_AT_LAUNCH:
            if name in changes and _differs(row, name, changes[name]):
                raise StudyStateError(
                    f"{name}: cannot change once the study is launched.", field=name
                )
    segment_ids = changes.pop("segments", None)
    raw_questions = changes.pop("questions", None)
    key = changes.pop("key", None)
    cleaned = _check_settings(changes)
    if key is not None:
        row.key = _check_key(workspace=row.workspace, key=key, study_id=row.pk)
    if segment_ids is not None:
        _set_segments(row, _check_segments(workspace=row.workspace, segment_ids=segment_ids))
    if raw_questions is not None:
        _apply_questions(row, question_types.validate_questions(raw_questions))
    for name, value in cleaned.items():
        setattr(row, name, value)
    row.updated_at = timezone.now()
    row.save()
    if "channel" in cleaned and row.status == StudyStatus.LIVE:
        _send_pending(row)  # e.g. from "link" to "email": send what is still pending
    return row


def _differs(study: Study, name: str, value: Any) -> bool:
    if name == "segments":
        return list(value) != list(
            study.targets.order_by("position").values_list("segment_id", flat=True)
        )
    return bool(getattr(study, name) != value)


_FIELD_PATHS: Final = {"probe_max_followups": "probe.max_followups"}


def _apply_questions(study: Study, specs: list[QuestionSpec]) -> None:
    """Upsert the question list by key; locked meaning once answers may exist."""
    existing = {q.key: q for q in study.questions.order_by("position", "id")}
    if selectors.study_has_responses(study=study):
        _check_locked(list(existing.values()), specs)
    record = not study.is_draft
    now = timezone.now()
    for position, spec in enumerate(specs):
        row = existing.pop(spec.key, None)
        if row is None:
            _question_row(study, position, spec).save()
            continue
        if record:
            old = row.as_spec()
            changes = {
                name: {"from": before, "to": after}
                for name, (before, after) in question_types.changed_fields(old, spec).items()
            }
            if changes:
                QuestionRevision.objects.create(question=row, changes=changes, created_at=now)
        updated = _question_row(study, position, spec)
        updated.pk = row.pk
        updated.save()
    Question.objects.filter(pk__in=[q.pk for q in existing.values()]).delete()


def _check_locked(existing: list[Question], specs: list[QuestionSpec]) -> None:
    old_keys, new_keys = [q.key for q in existing], [s.key for s in specs]
    if old_keys != new_keys:
        index = next(
            (i for i, (a, b) in enumerate(zip(old_keys, new_keys, strict=False)) if a != b),
            min(len(old_keys), len(new_keys)),
        )
        raise QuestionError(
            f"questions[{index}]" if index < len(new_keys) else "questions",
            "questions cannot be added, removed or reordered once responses may exist "
            f"(expected the keys {', '.join(old_keys)} in this order); fix their wording, "
            "or start a new study.",
        )
    for index, (question, spec) in enumerate(zip(existing, specs, strict=True)):
        changed = question_types.meaning_changes(question.as_spec(), spec)
        if changed:
            name = _FIELD_PATHS.get(changed[0], changed[0])
            raise QuestionError(
                f"questions[{index}].{name}",
                f"cannot change once responses may exist: a report would mix two questions "
                f'under the key "{spec.key}". Wording (prompt, labels, probe instructions) '
                "can still change; for a different question, add it to a new study.",
            )


@transaction.atomic
def study_delete(*, study: Study) -> None:
    row = _locked(study)
    if not row.is_draft:
        raise StudyStateError(
            f"Only a draft study can be deleted; this one is {row.status}. Close it instead.",
            field="status",
        )
    row.delete()


# --- lifecycle ---------------------------------------------------------------------


def _send_pending(study: Study) -> None:
    """Once the transaction commits, deliver the study's pending invitations through its
    channel (studies.sending; nothing for a `link` study)."""
    tasks.send_after_commit(study=study)


@dataclass(frozen=True)
class LaunchResult:
    study: Study
    segments: list[targeting.SegmentCounts]

    @property
    def invited(self) -> int:
        return sum(counts.invited for counts in self.segments)


def _require(row: Study, allowed: Sequence[str], action: str) -> None:
    if row.status not in allowed:
        which = " or ".join(allowed)
        raise StudyStateError(
            f"Cannot {action} a study that is {row.status}; only a {which} study can be.",
            field="status",
        )


def _check_ready(row: Study) -> None:
    if not row.targets.exists():
        raise ServiceError(
            "segments: choose at least one target segment before launching.", field="segments"
        )
    questions = list(row.questions.order_by("position", "id"))
    if not questions:
        raise ServiceError("questions: add at least one question before launching.")
    for index, question in enumerate(questions):
        if not question.prompt:
            raise QuestionError(
                f"questions[{index}].prompt", "write the question's text before launching."
            )


@transaction.atomic
def study_launch(*, study: Study, now: datetime | None = None) -> LaunchResult:
    """Invite the current members of the target segments (targeting.py has the rules)."""
    now = now or timezone.now()
    row = _locked(study)
    _require(row, [StudyStatus.DRAFT], "launch")
    _check_ready(row)
    # Launches in one workspace take turns, so recontact holds between two of them.
    # NO KEY UPDATE does not block inserts that reference the workspace.
    Workspace.objects.select_for_update(no_key=True).filter(pk=row.workspace_id).first()
    counts = targeting.launch_counts(study=row, now=now)
    inserted = targeting.launch_insert(study=row, now=now)
    if inserted != sum(c.invited for c in counts.values()):
        # Membership changed between the two statements: count what was written.
        counts = _recount_invited(row, counts)
    row.status, row.launched_at, row.updated_at = StudyStatus.LIVE, now, now
    row.save(update_fields=["status", "launched_at", "updated_at"])
    _send_pending(row)
    order = selectors.study_segment_ids(study=row)
    return LaunchResult(study=row, segments=[counts[s] for s in order if s in counts])


def _recount_invited(
    study: Study, counts: dict[int, targeting.SegmentCounts]
) -> dict[int, targeting.SegmentCounts]:
    written = {p.segment_id: p.invited for p in selectors.study_progress(study=study)}
    return {
        segment_id: targeting.SegmentCounts(
            segment_id=segment_id,
            invited=written.get(segment_id, 0),
            opted_out=c.opted_out,
            recontact=c.recontact,
            over_account_cap=c.over_account_cap,
            over_quota=c.over_quota,
        )
        for segment_id, c in counts.items()
    }


@transaction.atomic
def study_pause(*, study: Study, now: datetime | None = None) -> Study:
    """A paused study invites no one; its open invitations still work."""
    now = now or timezone.now()
    row = _locked(study)
    _require(row, [StudyStatus.LIVE], "pause")
    row.status, row.paused_at, row.updated_at = StudyStatus.PAUSED, now, now
    row.save(update_fields=["status", "paused_at", "updated_at"])
    return row


@transaction.atomic
def study_resume(*, study: Study, now: datetime | None = None) -> Study:
    """Live again; a continuous study invites who entered its segments while it was
    paused, within the listening period's room (studies.listening, rule 3)."""
    now = now or timezone.now()
    row = _locked(study)
    _require(row, [StudyStatus.PAUSED], "resume")
    row.status, row.updated_at = StudyStatus.LIVE, now
    row.save(update_fields=["status", "updated_at"])
    listening.catch_up(study=row, paused_at=row.paused_at, now=now)
    _send_pending(row)  # what was pending while paused, and the catch-up
    return row


@transaction.atomic
def study_close(*, study: Study, now: datetime | None = None) -> Study:
    now = now or timezone.now()
    row = _locked(study)
    _require(row, [StudyStatus.LIVE, StudyStatus.PAUSED], "close")
    row.status, row.closed_at, row.updated_at = StudyStatus.CLOSED, now, now
    row.save(update_fields=["status", "closed_at", "updated_at"])
    return row


# --- explicit invitations and opt-outs -----------------------------------------------


@dataclass(frozen=True)
class Skipped:
    user_id: str
    reason: str  # unknown_user, opted_out, already_invited, recontact, over_account_cap


@dataclass(frozen=True)
class InvitationOutcome:
    invitations: list[Invitation]
    skipped: list[Skipped]


def _people(
    *, workspace: Workspace, user_ids: list[str], create_unknown: bool
) -> dict[str, Person]:
    found = {p.user_id: p for p in Person.objects.filter(workspace=workspace, user_id__in=user_ids)}
    missing = [u for u in user_ids if u not in found]
    if missing and create_unknown:
        Person.objects.bulk_create(
            [Person(workspace=workspace, user_id=u) for u in missing], ignore_conflicts=True
        )
        found.update(
            (p.user_id, p) for p in Person.objects.filter(workspace=workspace, user_id__in=missing)
        )
    return {u: p for u, p in found.items() if u is not None}


def _first_target(study: Study, person_ids: list[int]) -> dict[int, int]:
    """person id → the first target segment (study order) they are a current member of."""
    position = {t.segment_id: t.position for t in study.targets.all()}
    rows = SegmentMembership.objects.filter(
        person_id__in=person_ids, segment_id__in=list(position), exited_at__isnull=True
    ).values_list("person_id", "segment_id")
    first: dict[int, int] = {}
    for person_id, segment_id in rows:
        if person_id not in first or position[segment_id] < position[first[person_id]]:
            first[person_id] = segment_id
    return first


def _exclusions(study: Study, people: list[Person], now: datetime) -> dict[int, str]:
    """person id → why they are not invited, for those who are not."""
    ids = [p.pk for p in people]
    reasons: dict[int, str] = {}
    since = now - timedelta(days=study.recontact_days)
    recent = Invitation.objects.filter(person_id__in=ids, created_at__gte=since)
    for person_id in recent.values_list("person_id", flat=True):
        reasons[person_id] = "recontact"
    for person_id in Invitation.objects.filter(study=study, person_id__in=ids).values_list(
        "person_id", flat=True
    ):
        reasons[person_id] = "already_invited"
    for person_id in OptOut.objects.filter(
        workspace_id=study.workspace_id, person_id__in=ids
    ).values_list("person_id", flat=True):
        reasons[person_id] = "opted_out"
    return reasons


def _account_room(study: Study, people: list[Person]) -> dict[int, int]:
    """account id → how many more of its people this study may invite."""
    if study.account_cap is None:
        return {}
    accounts = {p.account_id for p in people if p.account_id is not None}
    used: dict[int, int] = dict.fromkeys(accounts, 0)
    for account_id in Invitation.objects.filter(
        study=study, person__account_id__in=accounts
    ).values_list("person__account_id", flat=True):
        used[account_id] += 1
    return {account_id: study.account_cap - n for account_id, n in used.items()}


@transaction.atomic
def invitations_create(
    *,
    study: Study,
    user_ids: Sequence[str],
    segment_id: int | None = None,
    create_unknown: bool = False,
    now: datetime | None = None,
) -> InvitationOutcome:
    """Invite the given people to a live study (CRM triggers), honoring opt-outs,
    recontact and the account cap; each user id not invited is reported with a reason.

    Without `segment_id` an invitation is attributed as at launch (the first target
    segment the person is a current member of), or to no segment.
    """
    now = now or timezone.now()
    unique = list(dict.fromkeys(user_ids))
    if not unique:
        raise ServiceError("user_ids: give at least one user id.", field="user_ids")
    if len(unique) > MAX_EXPLICIT_INVITES:
        raise ServiceError(
            f"user_ids: at most {MAX_EXPLICIT_INVITES:,} per request.", field="user_ids"
        )
    row = _locked(study)
    _require(row, [StudyStatus.LIVE], "invite people to")
    targets = selectors.study_segment_ids(study=row)
    if segment_id is not None and segment_id not in targets:
        raise ServiceError(
            f"segment: segment {segment_id} is not a target of this study.", field="segment"
        )
    Workspace.objects.select_for_update(no_key=True).filter(pk=row.workspace_id).first()
    people = _people(workspace=row.workspace, user_ids=unique, create_unknown=create_unknown)
    known = [people[u] for u in unique if u in people]
    reasons = _exclusions(row, known, now)
    room = _account_room(row, known)
    first = {} if segment_id is not None else _first_target(row, [p.pk for p in known])
    skipped = [Skipped(u, "unknown_user") for u in unique if u not in people]
    created: list[Invitation] = []
    for person in known:
        reason = reasons.get(person.pk)
        if reason is None and person.account_id in room:
            if room[person.account_id] <= 0:
                reason = "over_account_cap"
            room[person.account_id] -= 1
        if reason is not None:
            skipped.append(Skipped(str(person.user_id), reason))
            continue
        created.append(
            Invitation(
                workspace_id=row.workspace_id,
                study=row,
                person=person,
                segment_id=segment_id if segment_id is not None else first.get(person.pk),
                token=new_invitation_token(),
                source=InvitationSource.API,
                created_at=now,
                expires_at=now + timedelta(days=row.invitation_expiry_days),
            )
        )
    Invitation.objects.bulk_create(created)
    if created:
        _send_pending(row)
    return InvitationOutcome(invitations=created, skipped=skipped)


@transaction.atomic
def opt_out_record(
    *, workspace: Workspace, person: Person, source: str = "", now: datetime | None = None
) -> OptOut:
    """Record that a person wants no more invitations (idempotent); their open
    invitations in the workspace become `opted_out`."""
    opt_out, _created = OptOut.objects.get_or_create(
        workspace=workspace,
        person=person,
        defaults={"source": source[:32], "created_at": now or timezone.now()},
    )
    Invitation.objects.filter(
        workspace=workspace,
        person=person,
        status__in=[InvitationStatus.PENDING, InvitationStatus.SENT, InvitationStatus.OPENED],
    ).update(status=InvitationStatus.OPTED_OUT)
    return opt_out
