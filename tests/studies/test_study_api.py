"""The studies REST API end to end: CRUD with nested questions, lifecycle, invitations."""

from __future__ import annotations

import copy
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from people.models import Person
from studies.models import Invitation, InvitationStatus, Question, QuestionRevision, Study
from tests.conftest import bearer_client
from tests.factories import (
    DESIGN_QUESTIONS,
    OptOutFactory,
    PersonFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    WorkspaceFactory,
    make_api_key,
)
from tests.studies.test_question_types import INVALID

DESIGN_BODY = {
    "title": "Why do pricing-page visitors stall?",
    "objective": "Decide which onboarding to send",
    "mode": "one_off",
    "quota_per_segment": 30,
    "recontact_days": 60,
    "language": "en",
    "questions": DESIGN_QUESTIONS,
}


@pytest.fixture
def segments(workspace):
    first, second = SegmentFactory(workspace=workspace), SegmentFactory(workspace=workspace)
    for user_id in ("u1", "u2", "u3"):
        SegmentMembershipFactory(
            segment=first, person=PersonFactory(workspace=workspace, user_id=user_id)
        )
    SegmentMembershipFactory(
        segment=second, person=PersonFactory(workspace=workspace, user_id="u4")
    )
    return first, second


def create(api, targets, **changes):
    body = {**copy.deepcopy(DESIGN_BODY), "segments": [s.pk for s in targets], **changes}
    return api.post("/api/v1/studies/", body, format="json")


def with_prompts(questions=DESIGN_QUESTIONS):
    return [{"prompt": "Tell us", **q} for q in copy.deepcopy(questions)]


def launched(api, segments):
    study = create(api, segments, questions=with_prompts()).json()
    response = api.post(f"/api/v1/studies/{study['id']}/launch")
    assert response.status_code == 200, response.json()
    return study


def test_design_shape_creates_a_draft(api, segments):
    response = create(api, segments)
    assert response.status_code == 201, response.json()
    study = response.json()
    assert study["status"] == "draft" and study["segments"] == [s.pk for s in segments]
    assert study["key"] == "why-do-pricing-page-visitors-stall"
    assert study["invitation_expiry_days"] == 30 and study["account_cap"] is None
    assert study["questions"][0] == {
        "key": "why",
        "type": "open_ended",
        "prompt": "What brought you to our pricing page?",
        "required": True,
        "probe": {"max_followups": 2, "instructions": "Dig into the trigger"},
        "show_if": None,
    }
    assert study["questions"][3] == {
        "key": "feat",
        "type": "multiple_choice",
        "prompt": "",
        "required": True,
        "probe": {"max_followups": 0, "instructions": ""},
        "show_if": None,
        "options": ["A", "B", "C"],
        "min_selected": 1,
        "max_selected": 2,
    }
    assert study["questions"][5]["show_if"] == {"question": "plan", "op": "eq", "value": "Pro"}
    assert study["progress"] == [
        {"segment": s.pk, "invited": 0, "opened": 0, "completed": 0, "completion_rate": None}
        for s in segments
    ]
    # What the API answers can be sent back unchanged.
    again = api.put(
        f"/api/v1/studies/{study['id']}/",
        {k: study[k] for k in ("title", "segments", "questions")},
        format="json",
    )
    assert again.status_code == 200 and again.json()["questions"] == study["questions"]


@pytest.mark.parametrize(
    "changes,error,detail_key",
    [
        (
            {"questions": [{"key": "plan", "type": "single_choice", "options": ["A", ""]}]},
            "questions[0].options[1]: must not be empty.",
            "questions[0].options[1]",
        ),
        ({"colour": "red"}, "colour: Unknown field.", "colour"),
        ({"title": "a\x00b"}, "title: Null characters are not allowed.", "title"),
        (
            {"quota_per_segment": 10**40},
            "quota_per_segment: Ensure this value is less than or equal to 100000.",
            "quota_per_segment",
        ),
        ({"segments": "3"}, 'segments: Expected a list of items but got type "str".', "segments"),
        ({"segments": [999999]}, "segments[0]: no segment 999999 in this workspace.", "segments"),
        ({"mode": "sometimes"}, 'mode: "sometimes" is not a valid choice.', "mode"),
        ({"questions": {"key": "x"}}, "questions: expected a list of questions.", "questions"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, segments, changes, error, detail_key):
    response = create(api, segments, **changes)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == error
    assert detail_key in body["detail"]
    assert not Study.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 50_000 + "]" * 50_000,
        '{"title": "x", "questions": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"title": "x", "questions": [{"key": "a", "type": "open_ended", "prompt": "\\u0000"}]}',
        '{"title": "x", "questions": [{"key": "a", "type": "scale", "min": 0, "max": 1e400}]}',
        '{"title": "x", "account_cap": "many"}',
        "not json",
    ],
)
def test_malformed_bodies_are_400(api, raw):
    response = api.post("/api/v1/studies/", raw, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert set(response.json()) == {"error", "detail"}
    assert not Study.objects.exists()


def test_lifecycle_through_the_api(api, segments):
    study = create(api, segments, questions=with_prompts()).json()
    base = f"/api/v1/studies/{study['id']}"
    launch = api.post(f"{base}/launch")
    assert launch.status_code == 200
    body = launch.json()
    assert body["invited"] == 4 and body["study"]["status"] == "live"
    assert body["segments"] == [
        {
            "segment": segments[0].pk,
            "members": 3,
            "invited": 3,
            "opted_out": 0,
            "recontact": 0,
            "over_account_cap": 0,
            "over_quota": 0,
        },
        {
            "segment": segments[1].pk,
            "members": 1,
            "invited": 1,
            "opted_out": 0,
            "recontact": 0,
            "over_account_cap": 0,
            "over_quota": 0,
        },
    ]
    again = api.post(f"{base}/launch/")
    assert again.status_code == 409
    assert again.json() == {
        "error": "Cannot launch a study that is live; only a draft study can be.",
        "detail": {"status": ["Cannot launch a study that is live; only a draft study can be."]},
    }
    assert api.post(f"{base}/pause").json()["status"] == "paused"
    assert api.post(f"{base}/resume").json()["status"] == "live"
    assert api.delete(f"{base}/").status_code == 409
    assert api.post(f"{base}/close").json()["status"] == "closed"
    assert api.post(f"{base}/resume").status_code == 409
    assert api.patch(f"{base}/", {"title": "x"}, format="json").status_code == 409


def test_launch_without_prompts_names_the_question(api, segments):
    study = create(api, segments).json()
    response = api.post(f"/api/v1/studies/{study['id']}/launch")
    assert response.status_code == 400
    assert response.json()["error"] == (
        "questions[2].prompt: write the question's text before launching."
    )
    assert not Invitation.objects.exists()


def test_draft_deletes(api, segments):
    study = create(api, segments).json()
    assert api.delete(f"/api/v1/studies/{study['id']}/").status_code == 204
    assert not Study.objects.exists()


def test_invitations_list_with_urls_and_filters(api, segments, settings):
    settings.MOTIVE_BASE_URL = "https://motive.example/"
    study = launched(api, segments)
    url = f"/api/v1/studies/{study['id']}/invitations/"
    body = api.get(url).json()
    assert body["count"] == 4 and {"next", "previous", "results"} <= set(body)
    row = body["results"][0]
    assert set(row) >= {"user_id", "segment", "token", "url", "status"}
    assert row["url"] == f"https://motive.example/i/{row['token']}/"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", row["token"])
    assert {r["user_id"]: r["segment"] for r in body["results"]} == {
        "u1": segments[0].pk,
        "u2": segments[0].pk,
        "u3": segments[0].pk,
        "u4": segments[1].pk,
    }
    Invitation.objects.filter(person__user_id="u1").update(status=InvitationStatus.SENT)
    sent = api.get(url, {"status": "sent"}).json()
    assert [r["user_id"] for r in sent["results"]] == ["u1"]
    second = api.get(url, {"segment": segments[1].pk}).json()
    assert [r["user_id"] for r in second["results"]] == ["u4"]
    assert api.get(url, {"status": "lost"}).status_code == 400


def test_lists_do_not_grow_queries_with_rows(api, segments):
    launched(api, segments)
    study = Study.objects.get()
    url = f"/api/v1/studies/{study.pk}/invitations/"

    def count(path):
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path).status_code == 200
        return len(queries)

    few_invitations, few_studies = count(url), count("/api/v1/studies/")
    for user_id in ("x1", "x2", "x3"):
        Invitation.objects.create(
            workspace=study.workspace,
            study=study,
            expires_at=study.created_at,
            person=PersonFactory(workspace=study.workspace, user_id=user_id),
        )
    create(api, segments)
    create(api, segments)
    assert count(url) == few_invitations
    assert count("/api/v1/studies/") == few_studies


def test_explicit_invitations(api, workspace, segments):
    study = launched(api, segments)
    url = f"/api/v1/studies/{study['id']}/invitations/"
    PersonFactory(workspace=workspace, user_id="crm-1")
    OptOutFactory(person=PersonFactory(workspace=workspace, user_id="gone"))
    response = api.post(url, {"user_ids": ["crm-1", "ghost", "gone", "u1", "crm-1"]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(i["user_id"], i["segment"], i["status"]) for i in body["invitations"]] == [
        ("crm-1", None, "pending")
    ]
    assert body["invitations"][0]["url"].endswith(f"/i/{body['invitations'][0]['token']}/")
    assert body["skipped"] == [
        {"user_id": "ghost", "reason": "unknown_user"},
        {"user_id": "gone", "reason": "opted_out"},
        {"user_id": "u1", "reason": "already_invited"},
    ]
    assert not Person.objects.filter(user_id="ghost").exists()


def test_explicit_invitations_can_create_people_and_attribute(api, workspace, segments):
    study = launched(api, segments)
    url = f"/api/v1/studies/{study['id']}/invitations/"
    response = api.post(
        url,
        {"user_ids": ["new-1"], "segment": segments[1].pk, "create_unknown": True},
        format="json",
    )
    assert response.status_code == 201
    [created] = response.json()["invitations"]
    assert (created["user_id"], created["segment"]) == ("new-1", segments[1].pk)
    assert Person.objects.filter(workspace=workspace, user_id="new-1").exists()
    other = SegmentFactory(workspace=workspace)
    refused = api.post(url, {"user_ids": ["u9"], "segment": other.pk}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"] == f"segment: segment {other.pk} is not a target of this study."


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"user_ids": []},
        {"user_ids": "u1"},
        {"user_ids": [None]},
        {"user_ids": [{"a": 1}]},
        {"user_ids": ["a\x00"]},
        {"user_ids": ["u1"], "extra": 1},
        {"user_ids": ["x" * 256]},
    ],
)
def test_explicit_invitation_bodies_are_checked(api, segments, body):
    study = launched(api, segments)
    before = Invitation.objects.count()
    response = api.post(f"/api/v1/studies/{study['id']}/invitations/", body, format="json")
    assert response.status_code == 400, response.json()
    assert Invitation.objects.count() == before


def test_explicit_invitations_need_a_live_study(api, segments):
    study = create(api, segments).json()
    response = api.post(
        f"/api/v1/studies/{study['id']}/invitations/", {"user_ids": ["u1"]}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"] == (
        "Cannot invite people to a study that is draft; only a live study can be."
    )


def test_progress_per_segment(api, segments):
    study = launched(api, segments)
    Invitation.objects.filter(person__user_id="u1").update(
        status=InvitationStatus.COMPLETED, opened_at="2026-12-01T00:00:00Z"
    )
    Invitation.objects.filter(person__user_id="u2").update(status=InvitationStatus.OPENED)
    progress = api.get(f"/api/v1/studies/{study['id']}/").json()["progress"]
    assert progress == [
        {
            "segment": segments[0].pk,
            "invited": 3,
            "opened": 2,
            "completed": 1,
            "completion_rate": pytest.approx(1 / 3),
        },
        {
            "segment": segments[1].pk,
            "invited": 1,
            "opened": 0,
            "completed": 0,
            "completion_rate": 0.0,
        },
    ]


def test_questions_lock_once_opened_but_wording_can_change(api, segments):
    study = launched(api, segments)
    Invitation.objects.filter(person__user_id="u1").update(status=InvitationStatus.OPENED)
    base = f"/api/v1/studies/{study['id']}/"
    questions = with_prompts()
    questions[2]["options"] = ["Free", "Pro", "Team"]
    refused = api.patch(base, {"questions": questions}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("questions[2].options: cannot change once responses")
    assert Question.objects.get(key="plan").config["options"] == ["Free", "Pro"]

    questions = with_prompts()
    questions[2]["prompt"] = "Which plan are you on?"
    fixed = api.patch(base, {"questions": questions}, format="json")
    assert fixed.status_code == 200
    assert fixed.json()["questions"][2]["prompt"] == "Which plan are you on?"
    revisions = api.get(f"{base}revisions/").json()
    assert revisions["count"] == 1
    assert revisions["results"][0]["question"] == "plan"
    assert revisions["results"][0]["changes"] == {
        "prompt": {"from": "Tell us", "to": "Which plan are you on?"}
    }
    assert QuestionRevision.objects.count() == 1


def test_another_workspace_cannot_act_on_the_study(api, segments):
    study = launched(api, segments)
    other = bearer_client(make_api_key(WorkspaceFactory())[1])
    base = f"/api/v1/studies/{study['id']}"
    for path, body in [
        ("/pause", None),
        ("/close", None),
        ("/invitations/", {"user_ids": ["u1"], "create_unknown": True}),
    ]:
        response = other.post(base + path, body, format="json")
        assert response.status_code == 404
        assert response.json() == {"error": "Not found.", "detail": {"code": "not_found"}}
    assert other.get(base + "/invitations/").status_code == 404
    assert Study.objects.get().status == "live"
    assert Invitation.objects.count() == 4
    assert "u1" not in json.dumps(other.get("/api/v1/studies/").json())


@pytest.mark.parametrize(("questions", "message"), INVALID)
def test_every_question_rule_is_a_400_naming_the_path(api, segments, questions, message):
    # Creating a study with the questions, and replacing a draft's questions with them.
    response = create(api, segments, questions=questions)
    assert response.status_code == 400
    assert response.json()["error"] == message
    assert message.split(": ", 1)[0] in response.json()["detail"]
    assert not Study.objects.exists()

    study = create(api, segments).json()
    response = api.patch(f"/api/v1/studies/{study['id']}/", {"questions": questions}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == message
    stored = Study.objects.get(pk=study["id"]).questions.order_by("position")
    assert [q.key for q in stored] == [q["key"] for q in DESIGN_QUESTIONS]
