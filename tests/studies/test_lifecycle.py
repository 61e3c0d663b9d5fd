"""Lifecycle transitions, and which question edits a study accepts at each stage."""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from studies import selectors, services
from studies.models import (
    Invitation,
    InvitationStatus,
    Question,
    QuestionRevision,
    Study,
    StudyStatus,
)
from studies.question_types import QuestionError
from studies.services import StudyStateError
from tests.factories import (
    DESIGN_QUESTIONS,
    SegmentFactory,
    SegmentMembershipFactory,
    StudyFactory,
)
from workspaces.services import ServiceError

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def design_questions() -> list[dict]:
    return [{"prompt": "Tell us", **q} for q in copy.deepcopy(DESIGN_QUESTIONS)]


@pytest.fixture
def segment(workspace):
    segment = SegmentFactory(workspace=workspace)
    SegmentMembershipFactory.create_batch(3, segment=segment)
    return segment


@pytest.fixture
def study(workspace, segment):
    return services.study_create(
        workspace=workspace,
        title="Why do pricing-page visitors stall?",
        segments=[segment.pk],
        questions=design_questions(),
    )


def snapshot(study: Study) -> list[tuple]:
    return list(
        Question.objects.filter(study=study)
        .order_by("position")
        .values_list("key", "type", "prompt", "config", "show_if", "probe_max_followups")
    )


def test_create_fills_key_from_title_and_defaults(workspace, segment, study):
    assert study.key == "why-do-pricing-page-visitors-stall"
    assert (study.status, study.mode, study.invitation_expiry_days) == ("draft", "one_off", 30)
    again = services.study_create(workspace=workspace, title="Why do pricing-page visitors stall?")
    assert again.key == "why-do-pricing-page-visitors-stall-2"
    assert [q.key for q in study.questions.order_by("position")] == [
        "why",
        "nps",
        "plan",
        "feat",
        "rank",
        "team",
    ]


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"title": "  "}, "title: a study needs a title."),
        (
            {"key": "Bad Key"},
            'key: use lowercase letters, digits, "-" and "_" (at most 64 characters).',
        ),
        ({"quota_per_segment": 0}, "quota_per_segment: must be between 1 and 100,000."),
        ({"recontact_days": 4000}, "recontact_days: must be between 0 and 3,650."),
        ({"invitation_expiry_days": 0}, "invitation_expiry_days: must be between 1 and 365."),
        ({"account_cap": 0}, "account_cap: must be between 1 and 1,000."),
        ({"language": "english!"}, 'language: a language tag such as "en" or "pt-BR".'),
        ({"segments": [10**9]}, "segments[0]: no segment 1000000000 in this workspace."),
        ({"colour": "red"}, "colour: not a field of a study."),
    ],
)
def test_create_refuses_bad_settings(workspace, fields, message):
    with pytest.raises(ServiceError) as caught:
        services.study_create(workspace=workspace, **{"title": "T", **fields})
    assert caught.value.message == message
    assert not Study.objects.exists()


def test_duplicate_segment_and_taken_key(workspace, segment, study):
    with pytest.raises(ServiceError, match=r"^segments\[1\]: segment \d+ is listed twice\.$"):
        services.study_create(workspace=workspace, title="T", segments=[segment.pk, segment.pk])
    with pytest.raises(
        ServiceError, match=r'^key: "why-do-pricing-page-visitors-stall" is already'
    ):
        services.study_create(workspace=workspace, title="T", key=study.key)


def test_transitions(study):
    services.study_launch(study=study, now=NOW)
    paused = services.study_pause(study=study, now=NOW)
    assert (paused.status, paused.paused_at) == (StudyStatus.PAUSED, NOW)
    assert services.study_resume(study=study).status == StudyStatus.LIVE
    services.study_pause(study=study)
    closed = services.study_close(study=study, now=NOW)
    assert (closed.status, closed.closed_at) == (StudyStatus.CLOSED, NOW)


@pytest.mark.parametrize(
    "status,action,message",
    [
        (
            "draft",
            services.study_pause,
            "Cannot pause a study that is draft; only a live study can be.",
        ),
        (
            "paused",
            services.study_pause,
            "Cannot pause a study that is paused; only a live study can be.",
        ),
        (
            "live",
            services.study_resume,
            "Cannot resume a study that is live; only a paused study can be.",
        ),
        (
            "draft",
            services.study_close,
            "Cannot close a study that is draft; only a live or paused study can be.",
        ),
        (
            "closed",
            services.study_close,
            "Cannot close a study that is closed; only a live or paused study can be.",
        ),
        (
            "closed",
            services.study_resume,
            "Cannot resume a study that is closed; only a paused study can be.",
        ),
    ],
)
def test_invalid_transitions_are_conflicts(workspace, status, action, message):
    study = StudyFactory(workspace=workspace, status=status)
    with pytest.raises(StudyStateError) as caught:
        action(study=study)
    assert (caught.value.message, caught.value.status_code) == (message, 409)
    study.refresh_from_db()
    assert study.status == status


def test_draft_questions_change_freely_without_revisions(study):
    questions = design_questions()
    questions[2]["options"] = ["Free", "Pro", "Team"]
    questions[1]["type"] = "yes_no"
    for name in ("min", "max", "min_label", "max_label"):
        del questions[1][name]
    questions.append({"key": "extra", "type": "open_ended", "prompt": "Anything else?"})
    services.study_update(study=study, questions=questions)
    assert [q[:2] for q in snapshot(study)][1] == ("nps", "yes_no")
    assert len(snapshot(study)) == 7
    assert not QuestionRevision.objects.exists()
    services.study_update(study=study, questions=questions[:2])
    assert [q[0] for q in snapshot(study)] == ["why", "nps"]


def test_live_without_responses_records_every_change(study):
    services.study_launch(study=study, now=NOW)
    questions = design_questions()
    questions[2]["options"] = ["Free", "Pro", "Team"]
    services.study_update(study=study, questions=questions)
    [revision] = QuestionRevision.objects.all()
    assert revision.question.key == "plan"
    assert revision.changes == {"options": {"from": ["Free", "Pro"], "to": ["Free", "Pro", "Team"]}}


def open_one(study):
    invitation = Invitation.objects.filter(study=study).first()
    invitation.status, invitation.opened_at = InvitationStatus.OPENED, NOW
    invitation.save()


def meaning_edit(name):
    questions = design_questions()
    if name == "type":
        questions[0]["type"] = "yes_no"
        del questions[0]["probe"]
    elif name == "options":
        questions[2]["options"] = ["Free", "Pro", "Team"]
    elif name == "max":
        questions[1]["max"] = 5
    elif name == "show_if":
        questions[5]["show_if"] = {"question": "plan", "op": "eq", "value": "Free"}
    elif name == "allow_other":
        questions[2]["allow_other"] = False
    elif name == "required":
        questions[0]["required"] = False
    return questions


@pytest.mark.parametrize(
    "name,path",
    [
        ("type", "questions[0].type"),
        ("options", "questions[2].options"),
        ("max", "questions[1].max"),
        ("show_if", "questions[5].show_if"),
        ("allow_other", "questions[2].allow_other"),
        ("required", "questions[0].required"),
    ],
)
def test_meaning_is_locked_once_responses_may_exist(study, name, path):
    services.study_launch(study=study, now=NOW)
    open_one(study)
    assert selectors.study_has_responses(study=study)
    before = snapshot(study)
    with pytest.raises(QuestionError) as caught:
        services.study_update(study=study, questions=meaning_edit(name), title="New title")
    key = path.split("]")[0].split("[")[1]
    assert caught.value.path == path
    assert caught.value.message == (
        f"{path}: cannot change once responses may exist: a report would mix two questions under "
        f'the key "{design_questions()[int(key)]["key"]}". Wording (prompt, labels, probe '
        "instructions) can still change; for a different question, add it to a new study."
    )
    assert snapshot(study) == before
    study.refresh_from_db()
    assert study.title == "Why do pricing-page visitors stall?"


@pytest.mark.parametrize(
    "edit,path",
    [
        (lambda qs: qs[:5], "questions"),
        (lambda qs: [*qs, {"key": "more", "type": "yes_no", "prompt": "More?"}], "questions[6]"),
        (lambda qs: [qs[1], qs[0], *qs[2:]], "questions[0]"),
        (lambda qs: [{**qs[0], "key": "why2"}, *qs[1:]], "questions[0]"),
    ],
)
def test_keys_and_order_are_locked_once_responses_may_exist(study, edit, path):
    services.study_launch(study=study, now=NOW)
    open_one(study)
    before = snapshot(study)
    with pytest.raises(QuestionError) as caught:
        services.study_update(study=study, questions=edit(design_questions()))
    assert caught.value.message == (
        f"{path}: questions cannot be added, removed or reordered once responses may exist "
        "(expected the keys why, nps, plan, feat, rank, team in this order); fix their wording, "
        "or start a new study."
    )
    assert snapshot(study) == before


def test_wording_fixes_are_allowed_and_recorded(study):
    services.study_launch(study=study, now=NOW)
    open_one(study)
    questions = design_questions()
    questions[1]["prompt"] = "How likely are you to recommend us?"
    questions[1]["max_label"] = "Very likely"
    questions[0]["probe"] = {"max_followups": 2, "instructions": "Ask about the trigger"}
    services.study_update(study=study, questions=questions)
    revisions = {r.question.key: r.changes for r in QuestionRevision.objects.all()}
    assert revisions == {
        "nps": {
            "prompt": {"from": "How likely...?", "to": "How likely are you to recommend us?"},
            "max_label": {"from": "Extremely", "to": "Very likely"},
        },
        "why": {
            "probe_instructions": {"from": "Dig into the trigger", "to": "Ask about the trigger"}
        },
    }
    assert Question.objects.get(study=study, key="nps").prompt == (
        "How likely are you to recommend us?"
    )


@pytest.mark.parametrize(
    "change,message",
    [
        ({"key": "other"}, "key: cannot change once the study is launched."),
        ({"mode": "continuous"}, "mode: cannot change once the study is launched."),
        ({"segments": []}, "segments: cannot change once the study is launched."),
    ],
)
def test_targeting_is_fixed_at_launch(study, change, message):
    services.study_launch(study=study, now=NOW)
    with pytest.raises(StudyStateError) as caught:
        services.study_update(study=study, **change)
    assert caught.value.message == message


def test_unchanged_targeting_may_be_resent_after_launch(study, segment):
    services.study_launch(study=study, now=NOW)
    updated = services.study_update(
        study=study, key=study.key, segments=[segment.pk], mode="one_off", title="Renamed"
    )
    assert updated.title == "Renamed"


def test_closed_study_is_read_only_and_only_drafts_delete(study):
    services.study_launch(study=study, now=NOW)
    with pytest.raises(
        StudyStateError, match=r"^Only a draft study can be deleted; this one is live"
    ):
        services.study_delete(study=study)
    services.study_close(study=study)
    with pytest.raises(StudyStateError, match=r"^This study is closed"):
        services.study_update(study=study, title="x")
    assert Study.objects.filter(pk=study.pk).exists()


def test_draft_deletes(study):
    services.study_delete(study=study)
    assert not Study.objects.exists() and not Question.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_launches_invite_once(workspace):
    segment = SegmentFactory(workspace=workspace)
    SegmentMembershipFactory.create_batch(5, segment=segment)
    study = services.study_create(
        workspace=workspace, title="Race", segments=[segment.pk], questions=design_questions()
    )
    barrier, outcomes = threading.Barrier(2), []

    def launch():
        try:
            barrier.wait()
            services.study_launch(study=study)
            outcomes.append("launched")
        except StudyStateError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=launch) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "launched"]
    assert Invitation.objects.filter(study=study).count() == 5
