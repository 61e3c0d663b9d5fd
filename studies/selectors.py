"""Reads for studies, always scoped to one workspace."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

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
    return Invitation.objects.filter(
        Q(opened_at__isnull=False)
        | Q(status__in=[InvitationStatus.OPENED, InvitationStatus.COMPLETED]),
        study=study,
    ).exists()


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
    opened = Q(opened_at__isnull=False) | Q(
        status__in=[InvitationStatus.OPENED, InvitationStatus.COMPLETED]
    )
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
