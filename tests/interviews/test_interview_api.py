"""The respondent's API (DESIGN.md "Interviews"): steps, values, branching, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from interviews.models import Answer, Interview, InterviewStatus, Step, StepStatus
from studies import services as study_services
from studies.models import InvitationStatus
from tests.interviews.conftest import answer_url, launched_study, post_answer, url

pytestmark = pytest.mark.django_db

# Informative answers, so the offline moderator does not probe.
WHY = (
    "Because my team grew to 12 people and the free plan limits us to 3 seats, "
    "so I compared Pro with Acme's pricing last week."
)


def test_first_open_starts_the_interview_at_the_first_question(respondent, invitation):
    response = respondent.get(url(invitation.token))

    assert response.status_code == 200
    body = response.json()
    interview = Interview.objects.get(invitation=invitation)
    first = Step.objects.get(interview=interview)
    assert body == {
        "status": "in_progress",
        "progress": {"answered": 0, "total": 6},
        "step": {
            "id": first.pk,
            "kind": "question",
            "text": "What brought you to our pricing page?",
            "question": {
                "key": "why",
                "type": "open_ended",
                "prompt": "What brought you to our pricing page?",
                "required": True,
            },
        },
    }
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPENED
    assert invitation.opened_at is not None
    assert response["Cache-Control"] == "no-store"


def test_opening_twice_keeps_one_interview_and_one_step(respondent, invitation):
    first = respondent.get(url(invitation.token)).json()
    second = respondent.get(url(invitation.token)).json()

    assert first == second
    assert Interview.objects.count() == 1
    assert Step.objects.count() == 1


def _walk(respondent, token, answers):
    """Answer each current step with the value for its question key; follow-ups get WHY."""
    body = respondent.get(url(token)).json()
    seen = []
    while body["step"]["kind"] != "done":
        step = body["step"]
        seen.append((step["kind"], step["question"]["key"]))
        value = WHY if step["kind"] == "followup" else answers[step["question"]["key"]]
        response = post_answer(respondent, token, step["id"], value)
        assert response.status_code == 200, response.json()
        body = response.json()
    return body, seen


def test_a_whole_interview_with_branching_taken(respondent, invitation):
    answers = {
        "why": WHY,
        "nps": 7,
        "plan": "Pro",
        "feat": ["A", "C"],
        "rank": ["Speed", "Price", "Support"],
        "team": True,
    }

    body, seen = _walk(respondent, invitation.token, answers)

    assert [key for _, key in seen] == ["why", "nps", "plan", "feat", "rank", "team"]
    assert body["status"] == "completed"
    assert body["progress"] == {"answered": 6, "total": 6}
    assert body["step"]["kind"] == "done" and body["step"]["id"] is None
    interview = Interview.objects.get(invitation=invitation)
    assert interview.status == InterviewStatus.COMPLETED
    stored = {
        a.step.question_key: a.value
        for a in Answer.objects.filter(step__interview=interview, step__kind="question")
    }
    assert stored == answers
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.COMPLETED
    assert invitation.completed_at is not None


def test_a_question_hidden_by_show_if_is_recorded_as_skipped(respondent, invitation):
    answers = {
        "why": WHY,
        "nps": 3,
        "plan": {"other": "Enterprise trial"},
        "feat": ["B"],
        "rank": ["Price", "Speed", "Support"],
    }

    body, seen = _walk(respondent, invitation.token, answers)

    assert "team" not in [key for _, key in seen]
    assert body["progress"] == {"answered": 6, "total": 6}
    team = Step.objects.get(interview__invitation=invitation, question_key="team")
    assert team.status == StepStatus.SKIPPED
    assert not Answer.objects.filter(step=team).exists()


@pytest.mark.parametrize(
    "key,value,message",
    [
        ("nps", 11, "Choose a whole number from 0 to 10."),
        ("nps", "7", "Choose a whole number from 0 to 10."),
        ("plan", "Gold", "Choose one of: Free, Pro or write your own."),
        ("feat", ["A", "B", "C"], "Choose at most 2 options."),
        ("feat", [], "Choose at least 1 option."),
        ("rank", ["Price", "Speed"], "Rank all 3 options, each once."),
        ("why", "   ", "Please write an answer."),
        ("why", None, "This question needs an answer."),
    ],
)
def test_a_wrong_value_is_a_400_the_respondent_can_act_on(respondent, study, key, value, message):
    invitation = study.invitations.get()
    # Reach the question under test with valid answers before it.
    valid = {
        "why": WHY,
        "nps": 5,
        "plan": "Pro",
        "feat": ["A"],
        "rank": ["Price", "Speed", "Support"],
    }
    body = respondent.get(url(invitation.token)).json()
    while body["step"]["question"]["key"] != key or body["step"]["kind"] != "question":
        step = body["step"]
        value_ = WHY if step["kind"] == "followup" else valid[step["question"]["key"]]
        body = post_answer(respondent, invitation.token, step["id"], value_).json()
    answers_before = Answer.objects.count()

    response = post_answer(respondent, invitation.token, body["step"]["id"], value)

    assert response.status_code == 400
    assert response.json() == {
        "error": message,
        "detail": {"code": "invalid_answer", "field": "value"},
    }
    assert Answer.objects.count() == answers_before
    assert respondent.get(url(invitation.token)).json()["step"]["id"] == body["step"]["id"]


def test_answering_a_step_twice_is_a_409_and_keeps_the_first(respondent, invitation):
    step = respondent.get(url(invitation.token)).json()["step"]
    assert post_answer(respondent, invitation.token, step["id"], WHY).status_code == 200

    again = post_answer(respondent, invitation.token, step["id"], "something else")

    assert again.status_code == 409
    assert again.json()["detail"]["code"] == "answered"
    assert Answer.objects.get(step_id=step["id"]).value == WHY


def test_a_completed_interview_takes_nothing_more(respondent, invitation):
    answers = {
        "why": WHY,
        "nps": 7,
        "plan": "Free",
        "feat": ["A"],
        "rank": ["Speed", "Price", "Support"],
    }
    _walk(respondent, invitation.token, answers)
    last = Step.objects.filter(interview__invitation=invitation).order_by("-position")[:1].get()

    response = post_answer(respondent, invitation.token, last.pk, "more")

    assert response.status_code == 409
    assert response.json()["detail"]["code"] == "completed"
    assert respondent.get(url(invitation.token)).json()["status"] == "completed"


def test_unknown_token_is_a_404(respondent, invitation):
    for token in ("x" * 43, "not a token", "\x00", "a" * 300):
        assert respondent.get(url(token)).status_code == 404
        assert post_answer(respondent, token, 1, "x").status_code == 404
    assert Interview.objects.count() == 0


def test_a_step_of_another_interview_is_refused(respondent, workspace, invitation):
    other = launched_study(workspace, title="Other study").invitations.get()
    foreign = respondent.get(url(other.token)).json()["step"]["id"]
    respondent.get(url(invitation.token))

    response = post_answer(respondent, invitation.token, foreign, WHY)

    assert response.status_code == 400
    assert response.json()["detail"] == {"code": "unknown_step", "field": "step"}
    assert Answer.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"value": "x"},
        {"step": "1", "value": "x"},
        {"step": True, "value": 1},
        {"step": 1},
        {"step": 2**70, "value": 1},
    ],
)
def test_a_malformed_body_is_a_400(respondent, invitation, body):
    respondent.get(url(invitation.token))

    response = respondent.post(answer_url(invitation.token), body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]
    assert Answer.objects.count() == 0


def test_an_expired_invitation_is_a_410(respondent, invitation):
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()

    response = respondent.get(url(invitation.token))

    assert response.status_code == 410
    assert response.json()["detail"]["code"] == "expired"
    assert Interview.objects.count() == 0


def test_an_opted_out_invitation_is_a_410(respondent, invitation):
    study_services.opt_out_record(workspace=invitation.workspace, person=invitation.person)

    response = respondent.get(url(invitation.token))

    assert response.status_code == 410
    assert response.json()["detail"]["code"] == "opted_out"


def test_a_closed_study_is_a_410_and_a_paused_one_a_409(respondent, study, invitation):
    study_services.study_pause(study=study)
    paused = respondent.get(url(invitation.token))
    study_services.study_close(study=study)
    closed = respondent.get(url(invitation.token))

    assert (paused.status_code, paused.json()["detail"]["code"]) == (409, "paused")
    assert "paused" in paused.json()["error"]
    assert (closed.status_code, closed.json()["detail"]["code"]) == (410, "closed")


def test_an_interview_in_progress_resumes_where_it_stopped(respondent, invitation):
    first = respondent.get(url(invitation.token)).json()["step"]
    second = post_answer(respondent, invitation.token, first["id"], WHY).json()["step"]

    again = respondent.get(url(invitation.token)).json()

    assert again["step"] == second
    assert again["progress"] == {"answered": 1, "total": 6}


def test_an_answer_turn_takes_the_same_few_queries_however_far_along(respondent, invitation):
    answers = {
        "why": WHY,
        "nps": 7,
        "plan": "Pro",
        "feat": ["A"],
        "rank": ["Speed", "Price", "Support"],
    }
    body = respondent.get(url(invitation.token)).json()
    counts = {}
    while body["step"]["kind"] != "done" and body["step"]["question"]["key"] != "team":
        step = body["step"]
        with CaptureQueriesContext(connection) as queries:
            body = post_answer(
                respondent, invitation.token, step["id"], answers[step["question"]["key"]]
            ).json()
        counts[step["question"]["key"]] = len(queries)

    structured = [counts[key] for key in ("nps", "plan", "feat", "rank")]
    assert max(structured) == min(structured) <= 12, counts
