"""Launch: quota with reproducible sampling, recontact, opt-outs, two segments, account cap."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segments.models import SegmentMembership
from studies import selectors, services
from studies.models import Invitation, InvitationSource, InvitationStatus, StudyStatus
from studies.question_types import QuestionError
from studies.services import StudyStateError
from studies.targeting import SegmentCounts
from tests.factories import (
    AccountFactory,
    InvitationFactory,
    OptOutFactory,
    PersonFactory,
    QuestionFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    StudyFactory,
    StudySegmentFactory,
)
from workspaces.services import ServiceError

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def members(segment, n, **person):
    people = PersonFactory.create_batch(n, workspace=segment.workspace, **person)
    for p in people:
        SegmentMembershipFactory(segment=segment, person=p)
    return people


def study_at(workspace, *segments, **fields):
    study = StudyFactory(workspace=workspace, **fields)
    for position, segment in enumerate(segments):
        StudySegmentFactory(study=study, segment=segment, position=position)
    QuestionFactory(study=study)
    return study


def invited(study):
    return dict(Invitation.objects.filter(study=study).values_list("person_id", "segment_id"))


def draw_order(seed, person_ids):
    """The documented sampling order, computed independently of the database."""
    return sorted(
        person_ids, key=lambda pid: (hashlib.md5(f"{seed}:{pid}".encode()).hexdigest(), pid)
    )


def test_quota_samples_reproducibly_by_the_study_seed(workspace):
    segment = SegmentFactory(workspace=workspace)
    people = members(segment, 20)
    study = study_at(workspace, segment, quota_per_segment=5, sampling_seed="seed-one")

    result = services.study_launch(study=study, now=NOW)

    expected = draw_order("seed-one", [p.pk for p in people])[:5]
    assert sorted(invited(study)) == sorted(expected)
    assert result.segments == [SegmentCounts(segment.pk, invited=5, over_quota=15)]
    assert result.study.status == StudyStatus.LIVE and result.study.launched_at == NOW


def test_another_seed_draws_other_people(workspace):
    segment = SegmentFactory(workspace=workspace)
    people = members(segment, 30)
    study = study_at(workspace, segment, quota_per_segment=5, sampling_seed="seed-two")
    services.study_launch(study=study, now=NOW)
    assert sorted(invited(study)) == sorted(draw_order("seed-two", [p.pk for p in people])[:5])
    assert sorted(invited(study)) != sorted(draw_order("seed-one", [p.pk for p in people])[:5])


def test_everyone_is_invited_under_the_quota_with_tokens_and_expiry(workspace):
    segment = SegmentFactory(workspace=workspace)
    people = members(segment, 3)
    study = study_at(workspace, segment, quota_per_segment=30, invitation_expiry_days=14)

    services.study_launch(study=study, now=NOW)

    rows = list(Invitation.objects.filter(study=study))
    assert {r.person_id for r in rows} == {p.pk for p in people}
    for row in rows:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43,64}", row.token)
        assert (row.status, row.source) == (InvitationStatus.PENDING, InvitationSource.LAUNCH)
        assert (row.created_at, row.expires_at) == (NOW, NOW + timedelta(days=14))
        assert row.workspace_id == workspace.pk and row.segment_id == segment.pk
    assert len({r.token for r in rows}) == 3


def test_people_who_left_the_segment_are_not_invited(workspace):
    segment = SegmentFactory(workspace=workspace)
    [stays, leaves] = members(segment, 2)
    SegmentMembership.objects.filter(person=leaves).update(exited_at=NOW - timedelta(days=1))
    study = study_at(workspace, segment)
    services.study_launch(study=study, now=NOW)
    assert invited(study) == {stays.pk: segment.pk}


def test_recontact_window_spans_every_study_of_the_workspace(workspace):
    segment = SegmentFactory(workspace=workspace)
    recent, old, fresh = members(segment, 3)
    earlier = StudyFactory(workspace=workspace)
    InvitationFactory(study=earlier, person=recent, created_at=NOW - timedelta(days=59))
    InvitationFactory(study=earlier, person=old, created_at=NOW - timedelta(days=61))
    study = study_at(workspace, segment, recontact_days=60)

    result = services.study_launch(study=study, now=NOW)

    assert set(invited(study)) == {old.pk, fresh.pk}
    assert result.segments == [SegmentCounts(segment.pk, invited=2, recontact=1)]


def test_opted_out_people_are_skipped(workspace):
    segment = SegmentFactory(workspace=workspace)
    keen, opted = members(segment, 2)
    OptOutFactory(person=opted)
    study = study_at(workspace, segment)
    result = services.study_launch(study=study, now=NOW)
    assert set(invited(study)) == {keen.pk}
    assert result.segments == [SegmentCounts(segment.pk, invited=1, opted_out=1)]


def test_opt_out_outranks_recontact(workspace):
    segment = SegmentFactory(workspace=workspace)
    [both] = members(segment, 1)
    OptOutFactory(person=both)
    InvitationFactory(study=StudyFactory(workspace=workspace), person=both, created_at=NOW)
    study = study_at(workspace, segment)
    result = services.study_launch(study=study, now=NOW)
    assert result.segments == [SegmentCounts(segment.pk, opted_out=1)]


def test_a_person_in_two_segments_is_invited_once_for_the_first(workspace):
    first, second = SegmentFactory(workspace=workspace), SegmentFactory(workspace=workspace)
    only_first = members(first, 1)[0]
    only_second = members(second, 1)[0]
    both = members(first, 1)[0]
    SegmentMembershipFactory(segment=second, person=both)
    # The study's order, not the segments' ids, decides: second is listed first.
    study = study_at(workspace, second, first)

    result = services.study_launch(study=study, now=NOW)

    assert invited(study) == {
        only_first.pk: first.pk,
        only_second.pk: second.pk,
        both.pk: second.pk,
    }
    assert result.segments == [
        SegmentCounts(second.pk, invited=2),
        SegmentCounts(first.pk, invited=1),
    ]


def test_quota_is_per_segment(workspace):
    a, b = SegmentFactory(workspace=workspace), SegmentFactory(workspace=workspace)
    members(a, 4)
    members(b, 1)
    study = study_at(workspace, a, b, quota_per_segment=2)
    result = services.study_launch(study=study, now=NOW)
    assert result.segments == [
        SegmentCounts(a.pk, invited=2, over_quota=2),
        SegmentCounts(b.pk, invited=1),
    ]


def test_account_cap_limits_each_buying_committee(workspace):
    segment = SegmentFactory(workspace=workspace)
    acme, globex = AccountFactory(workspace=workspace), AccountFactory(workspace=workspace)
    acme_people = members(segment, 3, account=acme)
    members(segment, 1, account=globex)
    members(segment, 2)  # no account: not capped
    study = study_at(workspace, segment, account_cap=2, sampling_seed="cap")

    result = services.study_launch(study=study, now=NOW)

    assert result.segments == [SegmentCounts(segment.pk, invited=5, over_account_cap=1)]
    kept = set(invited(study)) & {p.pk for p in acme_people}
    assert kept == set(draw_order("cap", [p.pk for p in acme_people])[:2])


def test_preview_counts_without_inviting(workspace):
    segment = SegmentFactory(workspace=workspace)
    members(segment, 3)
    study = study_at(workspace, segment, quota_per_segment=2)
    preview = selectors.study_launch_preview(study=study, now=NOW)
    assert preview == {segment.pk: SegmentCounts(segment.pk, invited=2, over_quota=1)}
    assert preview[segment.pk].members == 3
    assert not Invitation.objects.exists()


def test_a_target_without_members_reports_zeros(workspace):
    empty = SegmentFactory(workspace=workspace)
    study = study_at(workspace, empty)
    result = services.study_launch(study=study, now=NOW)
    assert result.segments == [SegmentCounts(empty.pk)] and result.invited == 0


def test_launch_runs_one_insert(workspace):
    segment = SegmentFactory(workspace=workspace)
    members(segment, 25)
    study = study_at(workspace, segment)

    with CaptureQueriesContext(connection) as queries:
        services.study_launch(study=study, now=NOW)
    inserts = [q["sql"] for q in queries if "INSERT INTO" in q["sql"].upper()]
    assert len(inserts) == 1 and "studies_invitation" in inserts[0]
    assert Invitation.objects.filter(study=study).count() == 25


@pytest.mark.parametrize("status", [StudyStatus.LIVE, StudyStatus.PAUSED, StudyStatus.CLOSED])
def test_only_a_draft_launches(workspace, status):
    segment = SegmentFactory(workspace=workspace)
    members(segment, 1)
    study = study_at(workspace, segment, status=status)
    with pytest.raises(StudyStateError) as caught:
        services.study_launch(study=study, now=NOW)
    assert caught.value.message == (
        f"Cannot launch a study that is {status}; only a draft study can be."
    )
    assert caught.value.status_code == 409
    assert not Invitation.objects.exists()


def test_launch_needs_segments_questions_and_prompts(workspace):
    segment = SegmentFactory(workspace=workspace)
    no_segments = StudyFactory(workspace=workspace)
    QuestionFactory(study=no_segments)
    with pytest.raises(ServiceError, match=r"^segments: choose at least one target segment"):
        services.study_launch(study=no_segments)
    no_questions = StudyFactory(workspace=workspace)
    StudySegmentFactory(study=no_questions, segment=segment)
    with pytest.raises(ServiceError, match=r"^questions: add at least one question"):
        services.study_launch(study=no_questions)
    no_prompt = study_at(workspace, segment)
    QuestionFactory(study=no_prompt, prompt="", key="blank")
    with pytest.raises(QuestionError) as caught:
        services.study_launch(study=no_prompt)
    assert (
        caught.value.message == "questions[1].prompt: write the question's text before launching."
    )
    no_prompt.refresh_from_db()
    assert no_prompt.status == StudyStatus.DRAFT
