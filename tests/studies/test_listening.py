"""Continuous listening: the segments hook, and live continuous studies inviting entrants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from segments import hooks
from segments.membership import apply_members, change_members
from segments.models import SegmentKind, SegmentMembership
from studies import listening, services, tasks
from studies.models import Invitation, InvitationSource, InvitationStatus, StudyMode
from studies.targeting import Entrants
from tests.factories import (
    AccountFactory,
    InvitationFactory,
    OptOutFactory,
    PersonFactory,
    QuestionFactory,
    SegmentFactory,
    StudyFactory,
    StudySegmentFactory,
)
from workspaces.services import ServiceError

LAUNCH = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def heard():
    """Every members_entered sent during the test, as its keyword arguments."""
    calls: list[dict] = []

    def receiver(sender, **kwargs):
        calls.append({k: v for k, v in kwargs.items() if k != "signal"})

    hooks.members_entered.connect(receiver, dispatch_uid="test_listening.heard")
    yield calls
    hooks.members_entered.disconnect(dispatch_uid="test_listening.heard")


def static_segment(workspace):
    return SegmentFactory(workspace=workspace, kind=SegmentKind.STATIC, definition={})


def enter(segment, people, now):
    """People enter a segment through the membership diff every compute uses."""
    return change_members(segment=segment, add={p.pk for p in people}, now=now)


def live_study(workspace, *segments, mode=StudyMode.CONTINUOUS, **fields):
    study = StudyFactory(workspace=workspace, mode=mode, **fields)
    for position, segment in enumerate(segments):
        StudySegmentFactory(study=study, segment=segment, position=position)
    QuestionFactory(study=study)
    return services.study_launch(study=study, now=LAUNCH).study


def listened(study):
    return set(
        Invitation.objects.filter(study=study, source=InvitationSource.LISTENING).values_list(
            "person_id", flat=True
        )
    )


# --- the hook ------------------------------------------------------------------------


def test_a_compute_announces_its_entrants_after_commit(
    workspace, heard, django_capture_on_commit_callbacks
):
    segment = SegmentFactory(workspace=workspace)
    old = PersonFactory(workspace=workspace)
    enter(segment, [old], LAUNCH)
    new = PersonFactory.create_batch(2, workspace=workspace)
    heard.clear()

    with django_capture_on_commit_callbacks() as callbacks:
        diff = apply_members(
            segment=segment,
            members_sql="SELECT id AS person_id FROM segments_person WHERE workspace_id = %s",
            members_params=[workspace.pk],
            now=LATER,
        )
        assert heard == []  # nothing before the commit

    for callback in callbacks:
        callback()
    assert diff.entered == 2
    assert heard == [
        {"workspace_id": workspace.pk, "segment_id": segment.pk, "entered_at": LATER, "entered": 2}
    ]
    entrants = SegmentMembership.objects.filter(
        **hooks.entrants_filter(segment_id=segment.pk, entered_at=LATER)
    )
    assert sorted(entrants.values_list("person_id", flat=True)) == sorted(p.pk for p in new)


def test_a_diff_without_entrants_announces_nothing(
    workspace, heard, django_capture_on_commit_callbacks
):
    segment = static_segment(workspace)
    person = PersonFactory(workspace=workspace)
    with django_capture_on_commit_callbacks(execute=True):
        enter(segment, [person], LAUNCH)
    heard.clear()

    with django_capture_on_commit_callbacks(execute=True):
        enter(segment, [person], LATER)  # still a member: nobody new
        change_members(segment=segment, remove={person.pk}, now=LATER)

    assert heard == []


# --- inviting entrants ---------------------------------------------------------------


def test_a_live_continuous_study_invites_new_entrants(
    workspace, django_capture_on_commit_callbacks
):
    segment = static_segment(workspace)
    founders = PersonFactory.create_batch(2, workspace=workspace)
    enter(segment, founders, LAUNCH - timedelta(days=1))
    study = live_study(workspace, segment)
    mail.outbox.clear()
    newcomer = PersonFactory(workspace=workspace)

    with django_capture_on_commit_callbacks(execute=True):
        enter(segment, [newcomer], LATER)

    invitation = Invitation.objects.get(study=study, person=newcomer)
    assert (invitation.source, invitation.segment_id) == (InvitationSource.LISTENING, segment.pk)
    assert invitation.status == InvitationStatus.SENT  # sending queued as at launch
    assert [newcomer.traits["email"]] in [m.to for m in mail.outbox]
    # The founders were the launch's, and are not invited twice.
    assert Invitation.objects.filter(study=study).count() == 3


@pytest.mark.parametrize("action", ["one_off", "pause", "close"])
def test_studies_that_do_not_listen_invite_no_entrant(
    workspace, django_capture_on_commit_callbacks, action
):
    segment = static_segment(workspace)
    mode = StudyMode.ONE_OFF if action == "one_off" else StudyMode.CONTINUOUS
    study = live_study(workspace, segment, mode=mode)
    if action == "pause":
        services.study_pause(study=study, now=LAUNCH)
    elif action == "close":
        services.study_close(study=study, now=LAUNCH)

    with django_capture_on_commit_callbacks(execute=True):
        enter(segment, PersonFactory.create_batch(2, workspace=workspace), LATER)

    assert not Invitation.objects.filter(study=study).exists()


def test_the_period_cap_is_a_rolling_window_in_draw_order(workspace):
    segment = static_segment(workspace)
    study = live_study(workspace, segment, listening_cap=2, listening_period_days=7)
    first = PersonFactory.create_batch(5, workspace=workspace)
    enter(segment, first, LATER)
    window = Entrants(since=LATER, until=LATER, segment_id=segment.pk)

    assert listening.invite_entrants(study=study, entrants=window, now=LATER) == 2
    # The draw order decides who: the study's md5 order, as at launch.
    chosen = listened(study)
    assert len(chosen) == 2

    second = PersonFactory.create_batch(3, workspace=workspace)
    day_after = LATER + timedelta(days=1)
    enter(segment, second, day_after)
    next_window = Entrants(since=day_after, until=day_after, segment_id=segment.pk)
    assert listening.invite_entrants(study=study, entrants=next_window, now=day_after) == 0
    assert listened(study) == chosen

    week_after = LATER + timedelta(days=7)
    third = PersonFactory.create_batch(3, workspace=workspace)
    enter(segment, third, week_after)
    last_window = Entrants(since=week_after, until=week_after, segment_id=segment.pk)
    assert listening.invite_entrants(study=study, entrants=last_window, now=week_after) == 2
    # Entrants past the room are not kept for later: only the third batch was drawn.
    assert listened(study) - chosen <= {p.pk for p in third}


def test_launch_and_explicit_invitations_do_not_use_the_listening_room(workspace):
    segment = static_segment(workspace)
    enter(segment, PersonFactory.create_batch(3, workspace=workspace), LAUNCH - timedelta(1))
    study = live_study(workspace, segment, listening_cap=1)
    assert Invitation.objects.filter(study=study).count() == 3
    assert listening.listening_room(study=study, now=LATER) == 1


def test_entrants_honor_opt_out_recontact_and_earlier_invitations(workspace):
    segment = static_segment(workspace)
    study = live_study(workspace, segment, recontact_days=30)
    opted_out, recent, fresh = PersonFactory.create_batch(3, workspace=workspace)
    OptOutFactory(person=opted_out)
    InvitationFactory(
        study=StudyFactory(workspace=workspace), person=recent, created_at=LATER - timedelta(5)
    )
    enter(segment, [opted_out, recent, fresh], LATER)

    window = Entrants(since=LATER, until=LATER, segment_id=segment.pk)
    assert listening.invite_entrants(study=study, entrants=window, now=LATER) == 1
    assert listened(study) == {fresh.pk}
    # A rerun of the same diff (a redelivered task) invites no one twice.
    assert listening.invite_entrants(study=study, entrants=window, now=LATER) == 0


def test_the_account_cap_counts_the_account_invitations_so_far(workspace):
    segment = static_segment(workspace)
    account = AccountFactory(workspace=workspace)
    enter(segment, [PersonFactory(workspace=workspace, account=account)], LAUNCH - timedelta(1))
    study = live_study(workspace, segment, account_cap=2)
    colleagues = PersonFactory.create_batch(3, workspace=workspace, account=account)
    loner = PersonFactory(workspace=workspace)
    enter(segment, [*colleagues, loner], LATER)

    window = Entrants(since=LATER, until=LATER, segment_id=segment.pk)
    assert listening.invite_entrants(study=study, entrants=window, now=LATER) == 2
    invited = listened(study)
    assert loner.pk in invited and len(invited & {p.pk for p in colleagues}) == 1


def test_entrants_are_attributed_like_launch_to_the_first_target(workspace):
    first, second = static_segment(workspace), static_segment(workspace)
    study = live_study(workspace, first, second)
    person = PersonFactory(workspace=workspace)
    enter(first, [person], LATER - timedelta(hours=1))  # entered the first while listening
    enter(second, [person], LATER)

    window = Entrants(since=LATER, until=LATER, segment_id=second.pk)
    assert listening.invite_entrants(study=study, entrants=window, now=LATER) == 1
    assert Invitation.objects.get(study=study, person=person).segment_id == first.pk


def test_people_who_entered_before_the_launch_are_not_entrants(workspace):
    segment = static_segment(workspace)
    study = live_study(workspace, segment)
    early = PersonFactory(workspace=workspace)
    # A history backfill records an entry before the study listened.
    enter(segment, [early], LAUNCH - timedelta(days=3))
    window = Entrants(since=LAUNCH - timedelta(days=3), until=LATER, segment_id=segment.pk)
    assert listening.invite_entrants(study=study, entrants=window, now=LATER) == 0


def test_inviting_entrants_is_one_insert_select(workspace):
    segment = static_segment(workspace)
    study = live_study(workspace, segment)
    enter(segment, PersonFactory.create_batch(4, workspace=workspace), LATER)
    window = Entrants(since=LATER, until=LATER, segment_id=segment.pk)

    with CaptureQueriesContext(connection) as queries:
        assert listening.invite_entrants(study=study, entrants=window, now=LATER) == 4

    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"].upper()]
    assert len(inserts) == 1 and "SELECT" in inserts[0]


# --- pause and resume ----------------------------------------------------------------


def test_resume_invites_who_entered_while_paused_within_the_room(
    workspace, django_capture_on_commit_callbacks
):
    segment = static_segment(workspace)
    study = live_study(workspace, segment, listening_cap=3, listening_period_days=7)
    before_pause = PersonFactory(workspace=workspace)
    with django_capture_on_commit_callbacks(execute=True):
        enter(segment, [before_pause], LATER)
    assert listened(study) == {before_pause.pk}

    paused_at = LATER + timedelta(hours=1)
    services.study_pause(study=study, now=paused_at)
    while_paused = PersonFactory.create_batch(6, workspace=workspace)
    with django_capture_on_commit_callbacks(execute=True):
        enter(segment, while_paused, paused_at + timedelta(hours=1))
    assert listened(study) == {before_pause.pk}  # paused: no one

    resumed_at = paused_at + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.study_resume(study=study, now=resumed_at)

    caught_up = listened(study) - {before_pause.pk}
    # The room left in the period (3 - 1), not the six who entered meanwhile.
    assert len(caught_up) == 2 and caught_up <= {p.pk for p in while_paused}


def test_resuming_a_one_off_study_invites_no_one(workspace):
    segment = static_segment(workspace)
    study = live_study(workspace, segment, mode=StudyMode.ONE_OFF)
    services.study_pause(study=study, now=LATER)
    enter(segment, [PersonFactory(workspace=workspace)], LATER + timedelta(hours=1))
    services.study_resume(study=study, now=LATER + timedelta(days=1))
    assert not Invitation.objects.filter(study=study).exists()


# --- settings through the API ----------------------------------------------------------


def test_listening_settings_round_trip_through_the_api(api, workspace):
    response = api.post(
        "/api/v1/studies/",
        {"title": "Listen", "mode": "continuous", "listening_cap": 5, "listening_period_days": 14},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["listening_cap"], body["listening_period_days"]) == (5, 14)

    defaults = api.post("/api/v1/studies/", {"title": "Defaults"}, format="json").json()
    assert (defaults["listening_cap"], defaults["listening_period_days"]) == (20, 7)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("listening_cap", 0),
        ("listening_cap", 10_001),
        ("listening_period_days", 0),
        ("listening_period_days", 366),
        ("listening_cap", "many"),
    ],
)
def test_bad_listening_settings_are_400(api, workspace, field, value):
    response = api.post("/api/v1/studies/", {"title": "Listen", field: value}, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    assert not workspace.studies.exists()


def test_the_service_refuses_bad_listening_settings(workspace):
    with pytest.raises(ServiceError, match="listening_period_days"):
        services.study_create(workspace=workspace, title="X", listening_period_days=0)


# --- the task ------------------------------------------------------------------------------


def test_the_listen_task_is_quiet_about_a_deleted_study_and_safe_to_rerun(
    workspace, django_capture_on_commit_callbacks
):
    segment = static_segment(workspace)
    study = live_study(workspace, segment)
    enter(segment, PersonFactory.create_batch(2, workspace=workspace), LATER)
    arguments = {"segment_id": segment.pk, "entered_at": LATER.isoformat()}

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.listen(study_id=study.pk, **arguments) == 2
        assert tasks.listen(study_id=study.pk, **arguments) == 0  # a redelivery
    assert len(listened(study)) == 2
    assert tasks.listen(study_id=study.pk + 1000, **arguments) == 0


def test_the_listen_task_retries_database_hiccups_with_backoff():
    assert tasks.listen.autoretry_for == (OperationalError,)
    assert tasks.listen.retry_backoff and tasks.listen.max_retries == 3
