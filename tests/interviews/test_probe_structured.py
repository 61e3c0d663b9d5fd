"""A study says whether structured answers (a score, a choice) are followed up too."""

from __future__ import annotations

import pytest

from interviews.models import Step
from tests.interviews.conftest import launched_study, post_answer, url

pytestmark = pytest.mark.django_db

NPS = {
    "key": "nps",
    "type": "scale",
    "prompt": "How likely are you to recommend us?",
    "min": 0,
    "max": 10,
    "probe": {"max_followups": 1},
}
PLAN = {
    "key": "plan",
    "type": "single_choice",
    "prompt": "Which plan are you on?",
    "options": ["Free", "Pro"],
    "probe": {"max_followups": 1},
}


def _steps_after(respondent, study, answers: list) -> list[tuple[str, str]]:
    token = study.invitations.get().token
    body = respondent.get(url(token)).json()
    for value in answers:
        body = post_answer(respondent, token, body["step"]["id"], value).json()
    return list(Step.objects.filter(interview__study=study).values_list("kind", "question_key"))


@pytest.mark.parametrize("question,value", [(NPS, 7), (PLAN, "Pro")])
def test_structured_answers_are_followed_up_only_when_the_study_says_so(
    workspace, respondent, question, value
):
    quiet = launched_study(workspace, questions=[question], title="Quiet")
    probing = launched_study(
        workspace, questions=[question], title="Probing", probe_structured=True
    )

    assert _steps_after(respondent, quiet, [value]) == [("question", question["key"])]
    steps = _steps_after(respondent, probing, [value])
    assert steps == [("question", question["key"]), ("followup", question["key"])]


def test_the_setting_goes_through_the_api_and_the_builder(workspace, api, client, owner):
    created = api.post(
        "/api/v1/studies/",
        {"title": "Scores", "questions": [NPS], "probe_structured": True},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["probe_structured"] is True
    default = api.post("/api/v1/studies/", {"title": "Default", "questions": [NPS]}, format="json")
    assert default.json()["probe_structured"] is False

    client.force_login(owner)
    page = client.get(f"/studies/{default.json()['id']}/edit/")
    assert page.status_code == 200
    assert b'name="probe_structured"' in page.content
