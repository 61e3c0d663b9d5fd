"""Reads for studies, always scoped to one workspace."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils import timezone

from people.models import Account
from segments.models import Segment
from studies import targeting
from studies.models import (
    Invitation,
    InvitationStatus,
    Question,
    QuestionRevision,
    Study,
    StudySegment,
)
from workspaces.models import Workspace
from workspaces.untrusted import parse_id

# Tokens are URL-safe base64 (the ORM) or hex (SQLite's launch); see models.TOKEN_BYTES.
TOKEN_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")


def study_list(*, workspace: Workspace) -> QuerySet[Study]:
    """The workspace's studies, newest first, with questions and targets prefetched."""
    return Study.objects.filter(workspace=workspace).prefetch_related(*study_prefetches())


def study_prefetches() -> list[Prefetch[Any, Any, Any]]:
    return [
        Prefetch("questions", queryset=Question.objects.order_by("position", "id")),
        Prefetch("targets", queryset=StudySegment.objects.order_by("position")),
    ]


def study_get(*, workspace: Workspace, pk: int) -> Study | None:
    return study_list(workspace=workspace).filter(pk=pk).first()


def studies_targeting(*, segment: Segment) -> QuerySet[Study]:
    """The studies of the segment's workspace that target it, by title."""
    return Study.objects.filter(
        workspace_id=segment.workspace_id, targets__segment_id=segment.pk
    ).order_by("title", "id")


def study_segment_ids(*, study: Study) -> list[int]:
    """Target segment ids in the study's order (uses the prefetch when there is one)."""
    return [target.segment_id for target in study.targets.all()]


def study_has_responses(*, study: Study) -> bool:
    """Whether any answer to the study may exist, which locks the meaning of its questions.

    Until interviews store answers this is "someone opened or completed an
    invitation"; interviews will answer it from their own rows.
    """
    return Invitation.objects.filter(_opened(), study=study).exists()


def _opened() -> Q:
    """Opened, including those who went on to complete (an open may be recorded by
    status alone)."""
    return Q(opened_at__isnull=False) | Q(
        status__in=[InvitationStatus.OPENED, InvitationStatus.COMPLETED]
    )


@dataclass(frozen=True)
class StudyTotals:
    """A study's invitations over all its segments."""

    invited: int = 0
    opened: int = 0
    completed: int = 0

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.invited if self.invited else None


def study_totals(*, workspace: Workspace) -> dict[int, StudyTotals]:
    """Invited, opened and completed per study of the workspace, in one grouped query
    whatever the number of studies; a study without invitations is absent."""
    rows = (
        Invitation.objects.filter(study__workspace=workspace)
        .values("study_id")
        .annotate(
            invited=Count("id"),
            opened=Count("id", filter=_opened()),
            completed=Count("id", filter=Q(status=InvitationStatus.COMPLETED)),
        )
        .order_by()
    )
    return {
        row["study_id"]: StudyTotals(
            invited=row["invited"], opened=row["opened"], completed=row["completed"]
        )
        for row in rows
    }


@dataclass(frozen=True)
class SegmentProgress:
    segment_id: int
    invited: int
    opened: int
    completed: int

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.invited if self.invited else None


def study_progress(*, study: Study) -> list[SegmentProgress]:
    """Per target segment, in the study's order: invited, opened (including those who
    went on to complete), completed; one grouped query."""
    opened = _opened()
    rows = (
        Invitation.objects.filter(study=study)
        .values("segment_id")
        .annotate(
            invited=Count("id"),
            opened=Count("id", filter=opened),
            completed=Count("id", filter=Q(status=InvitationStatus.COMPLETED)),
        )
        .order_by()
    )
    by_segment: dict[int | None, dict[str, Any]] = {row["segment_id"]: dict(row) for row in rows}
    progress = []
    for segment_id in study_segment_ids(study=study):
        row: dict[str, Any] = by_segment.get(segment_id, {})
        progress.append(
            SegmentProgress(
                segment_id=segment_id,
                invited=row.get("invited", 0),
                opened=row.get("opened", 0),
                completed=row.get("completed", 0),
            )
        )
    return progress


def study_launch_preview(
    *, study: Study, now: datetime | None = None
) -> dict[int, targeting.SegmentCounts]:
    """What launching now would do, per target segment, without inviting anyone."""
    return targeting.launch_counts(study=study, now=now or timezone.now())


@dataclass(frozen=True)
class InvitationFilter:
    """The study page's filters of its invitations, as the page and its CSV link share
    them; None is "any"."""

    status: str | None = None
    segment_id: int | None = None

    def __bool__(self) -> bool:
        return bool(self.status or self.segment_id is not None)

    def query(self) -> str:
        """The filters as a query string (without `?`), empty when there are none."""
        return urlencode(
            {
                name: value
                for name, value in (("status", self.status), ("segment", self.segment_id))
                if value is not None
            }
        )


def invitation_filter(*, study: Study, status: str | None, segment: str | None) -> InvitationFilter:
    """The filters a page was given, known ones only: a status that does not exist or a
    segment the study does not target is ignored (means "any"), not an error."""
    segment_id = parse_id(segment)
    return InvitationFilter(
        status=status if status in InvitationStatus.values else None,
        segment_id=segment_id if segment_id in study_segment_ids(study=study) else None,
    )


def invitation_list(
    *, study: Study, status: str | None = None, segment_id: int | None = None
) -> QuerySet[Invitation]:
    invitations = Invitation.objects.filter(study=study).select_related("person")
    if status:
        invitations = invitations.filter(status=status)
    if segment_id is not None:
        invitations = invitations.filter(segment_id=segment_id)
    return invitations.order_by("id")


def question_revisions(*, study: Study) -> QuerySet[QuestionRevision]:
    return (
        QuestionRevision.objects.filter(question__study=study)
        .select_related("question")
        .order_by("created_at", "id")
    )


def invitation_by_token(*, token: str) -> Invitation | None:
    """A respondent's invitation; the token is the credential, so no workspace scope."""
    if not TOKEN_PATTERN.fullmatch(token):  # also keeps NUL and the like from the database
        return None
    return (
        Invitation.objects.select_related("workspace", "study", "person")
        .filter(token=token)
        .first()
    )


# --- buying committees ---------------------------------------------------------------

# The traits read for a person's role when the study names none, the first one set.
DEFAULT_ROLE_TRAITS: Final = ("role", "title")


@dataclass(frozen=True)
class AccountCoverage:
    """How well one account's buying committee is covered by a study."""

    account_id: int
    group_id: str
    name: str
    invited: int
    completed: int
    # Distinct roles of the people who completed an interview, sorted; compared
    # without case or surrounding spaces.
    roles: list[str]
    # People who completed an interview without a role trait.
    without_role: int


def coverage_accounts(*, study: Study) -> QuerySet[Account]:
    """The accounts with at least one completed invitation to the study, annotated
    with `invited` and `completed`, most completed first (then by group id). Page it,
    then pass the page to `coverage`."""
    completed = Q(people__invitations__status=InvitationStatus.COMPLETED)
    return (
        Account.objects.filter(workspace_id=study.workspace_id, people__invitations__study=study)
        .annotate(
            invited=Count("people__invitations", distinct=True),
            completed=Count("people__invitations", filter=completed, distinct=True),
        )
        .filter(completed__gte=1)
        .order_by("-completed", "group_id", "id")
    )


def _role_expression(study: Study) -> Any:
    keys = [study.role_trait] if study.role_trait else list(DEFAULT_ROLE_TRAITS)
    # KeyTextTransform reads one key even when it contains "__" or ".".
    parts = [KeyTextTransform(key, "person__traits") for key in keys]
    return parts[0] if len(parts) == 1 else Coalesce(*parts)


def coverage(
    *, study: Study, accounts: Sequence[Account] | None = None, limit: int = 50
) -> list[AccountCoverage]:
    """Coverage of the given accounts (a page of `coverage_accounts`), or of the first
    `limit` of them; roles come from the study's `role_trait`, else `role`, else
    `title`. Two queries whatever the number of accounts."""
    page = list(accounts) if accounts is not None else list(coverage_accounts(study=study)[:limit])
    roles: dict[int, dict[str, str]] = {a.pk: {} for a in page}
    without: dict[int, int] = dict.fromkeys(roles, 0)
    rows = (
        Invitation.objects.filter(
            study=study, status=InvitationStatus.COMPLETED, person__account_id__in=list(roles)
        )
        .annotate(role=_role_expression(study))
        .values_list("person__account_id", "role")
    )
    for account_id, role in rows:
        text = (role or "").strip()
        if not text:
            without[account_id] += 1
        else:
            roles[account_id].setdefault(text.casefold(), text)
    return [
        AccountCoverage(
            account_id=account.pk,
            group_id=account.group_id,
            name=_account_name(account),
            invited=getattr(account, "invited", 0),
            completed=getattr(account, "completed", 0),
            roles=sorted(roles[account.pk].values(), key=str.casefold),
            without_role=without[account.pk],
        )
        for account in page
    ]


def _account_name(account: Account) -> str:
    name = account.traits.get("name") if isinstance(account.traits, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else account.group_id
