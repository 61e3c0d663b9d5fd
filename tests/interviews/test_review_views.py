"""The researcher's side: interview list, transcript, include/exclude, CSV and JSON
exports, preview as respondent; every page scoped to the workspace."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from interviews import selectors
from interviews.models import Answer, Inclusion, Interview
from studies import services as study_services
from tests.factories import MembershipFactory, WorkspaceFactory
from tests.interviews.conftest import launched_study, post_answer, url
from workspaces.models import Role

pytestmark = pytest.mark.django_db

WHY = (
    "Because my team grew to 12 people and the free plan limits us to 3 seats, "
    "so I compared Pro with Acme's pricing last week."
)
QUESTIONS = [
    {
        "key": "why",
        "type": "open_ended",
        "prompt": "What brought you here?",
        "probe": {"max_followups": 1},
    },
    {"key": "plan", "type": "single_choice", "options": ["Free", "Pro"], "prompt": "Plan?"},
    {
        "key": "team",
        "type": "yes_no",
        "prompt": "In a team?",
        "show_if": {"question": "plan", "op": "eq", "value": "Pro"},
    },
]


@pytest.fixture
def researcher(workspace, owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def interview(workspace, respondent) -> Interview:
    study = launched_study(workspace, questions=QUESTIONS)
    token = study.invitations.get().token
    body = respondent.get(url(token)).json()
    body = post_answer(respondent, token, body["step"]["id"], "idk").json()  # a follow-up
    body = post_answer(respondent, token, body["step"]["id"], WHY).json()
    post_answer(respondent, token, body["step"]["id"], "Free")
    return Interview.objects.get()


def test_the_list_shows_each_interview_with_its_numbers(researcher, interview):
    study = interview.study

    response = researcher.get(f"/studies/{study.pk}/interviews/")

    assert response.status_code == 200
    text = response.content.decode()
    assert f"/studies/{study.pk}/interviews/{interview.pk}/" in text
    assert interview.person.user_id in text
    assert "Completed" in text
    assert f"/studies/{study.pk}/interviews.csv" in text


def test_an_empty_list_says_what_to_do(researcher, workspace):
    study = launched_study(workspace, questions=QUESTIONS)

    text = researcher.get(f"/studies/{study.pk}/interviews/").content.decode()

    assert "No interviews yet" in text
    assert f"/studies/{study.pk}/preview/" in text


def test_the_transcript_shows_questions_answers_follow_ups_and_skips(researcher, interview):
    study = interview.study

    response = researcher.get(f"/studies/{study.pk}/interviews/{interview.pk}/")

    text = response.content.decode()
    assert response.status_code == 200
    assert "What brought you here?" in text
    assert "idk" in text and WHY.replace("'", "&#x27;") in text
    assert "Follow-up" in text and "offline" in text
    assert "Skipped by branching" in text


def test_include_and_exclude_are_the_researchers_call(researcher, interview):
    study = interview.study
    detail = f"/studies/{study.pk}/interviews/{interview.pk}/"

    excluded = researcher.post(f"{detail}inclusion/", {"inclusion": "exclude"})
    interview.refresh_from_db()
    assert excluded.status_code == 302 and excluded["Location"] == detail
    assert (interview.inclusion, interview.included) == (Inclusion.EXCLUDE, False)

    bad = researcher.post(f"{detail}inclusion/", {"inclusion": "maybe"})
    interview.refresh_from_db()
    assert bad.status_code == 302 and interview.inclusion == Inclusion.EXCLUDE

    researcher.post(f"{detail}inclusion/", {"inclusion": "include"})
    interview.refresh_from_db()
    assert interview.included is True


def test_a_viewer_cannot_change_inclusion(workspace, interview):
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER).user
    client = Client()
    client.force_login(viewer)
    study = interview.study

    response = client.post(
        f"/studies/{study.pk}/interviews/{interview.pk}/inclusion/", {"inclusion": "exclude"}
    )

    assert response.status_code == 403
    interview.refresh_from_db()
    assert interview.inclusion == Inclusion.AUTO


def test_transcripts_as_csv(researcher, interview):
    study = interview.study

    response = researcher.get(f"/studies/{study.pk}/interviews.csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{study.key}-transcripts.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["kind"], r["question"], r["status"], r["answer"]) for r in rows] == [
        ("question", "why", "answered", "idk"),
        ("followup", "why", "answered", WHY),
        ("question", "plan", "answered", "Free"),
        ("question", "team", "skipped", ""),
    ]
    assert rows[0]["user_id"] == interview.person.user_id
    assert rows[1]["moderator"] == "offline"
    assert rows[2]["value"] == '"Free"'


def test_csv_cells_cannot_run_as_formulas(researcher, workspace, respondent):
    study = launched_study(workspace, questions=[QUESTIONS[0]])
    token = study.invitations.get().token
    step = respondent.get(url(token)).json()["step"]["id"]
    post_answer(respondent, token, step, '=HYPERLINK("http://evil.example","x") because')

    body = b"".join(researcher.get(f"/studies/{study.pk}/interviews.csv").streaming_content)

    assert "'=HYPERLINK" in body.decode()


def test_transcripts_as_json(researcher, interview):
    study = interview.study

    response = researcher.get(f"/studies/{study.pk}/interviews.json")

    document = json.loads(b"".join(response.streaming_content))
    assert document["study"] == {"id": study.pk, "key": study.key, "title": study.title}
    [item] = document["interviews"]
    assert item["id"] == interview.pk and item["status"] == "completed"
    assert [s["kind"] for s in item["steps"]] == ["question", "followup", "question", "question"]
    assert item["steps"][1]["moderator"] == "offline"
    assert item["steps"][3]["status"] == "skipped"
    assert item["included"] is True


def test_another_workspaces_study_and_interview_are_404(researcher, respondent):
    other = WorkspaceFactory(name="Other")
    study = launched_study(other, questions=QUESTIONS)
    token = study.invitations.get().token
    respondent.get(url(token))
    interview = Interview.objects.get(study=study)

    for path in (
        f"/studies/{study.pk}/interviews/",
        f"/studies/{study.pk}/interviews/{interview.pk}/",
        f"/studies/{study.pk}/interviews.csv",
        f"/studies/{study.pk}/interviews.json",
        f"/studies/{study.pk}/preview/",
    ):
        assert researcher.get(path).status_code == 404, path
    assert (
        researcher.post(
            f"/studies/{study.pk}/interviews/{interview.pk}/inclusion/", {"inclusion": "exclude"}
        ).status_code
        == 404
    )
    interview.refresh_from_db()
    assert interview.inclusion == Inclusion.AUTO


def test_an_interview_of_another_study_is_404(researcher, workspace, interview):
    other = launched_study(workspace, questions=QUESTIONS, title="Another")

    response = researcher.get(f"/studies/{other.pk}/interviews/{interview.pk}/")

    assert response.status_code == 404


# --- preview as respondent -------------------------------------------------------------


def test_preview_runs_the_real_page_on_a_draft_and_records_nothing(researcher, workspace):
    study = study_services.study_create(workspace=workspace, title="Draft", questions=QUESTIONS)
    preview = f"/studies/{study.pk}/preview/"

    first = researcher.get(preview)
    assert first.status_code == 200
    assert "Preview: nothing you answer here is recorded." in first.content.decode()
    assert "What brought you here?" in first.content.decode()
    assert researcher.post(preview, {"step": "1", "text": "idk"}).status_code == 302
    followup = researcher.get(preview).content.decode()
    assert "idk" in followup  # the conversation so far, with the moderator's follow-up
    researcher.post(preview, {"step": "2", "text": WHY})
    researcher.post(preview, {"step": "3", "choice": "Pro"})
    assert "In a team?" in researcher.get(preview).content.decode()
    researcher.post(preview, {"step": "4", "value": "yes"})
    done = researcher.get(preview).content.decode()

    assert "Thank you. Your interview is complete." in done
    assert not Interview.objects.exists() and not Answer.objects.exists()
    study.refresh_from_db()
    assert study.status == "draft"
    restarted = researcher.get(f"/studies/{study.pk}/preview/restart/")
    assert restarted.status_code == 302
    assert "What brought you here?" in researcher.get(preview).content.decode()


def test_preview_shows_errors_like_the_real_page(researcher, workspace):
    study = study_services.study_create(workspace=workspace, title="Draft", questions=QUESTIONS)
    preview = f"/studies/{study.pk}/preview/"
    researcher.get(preview)

    response = researcher.post(preview, {"step": "1", "text": ""})

    assert response.status_code == 400
    assert "Please write an answer." in response.content.decode()


def test_preview_of_a_study_without_questions_is_404(researcher, workspace):
    study = study_services.study_create(workspace=workspace, title="Empty", questions=[])

    assert researcher.get(f"/studies/{study.pk}/preview/").status_code == 404


def test_researcher_pages_need_a_login(interview):
    study = interview.study

    response = Client().get(f"/studies/{study.pk}/interviews/")

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_person_page_lists_their_interviews(researcher, interview):
    study = interview.study

    text = researcher.get(f"/people/{interview.person_id}/").content.decode()

    assert f"/studies/{study.pk}/interviews/{interview.pk}/" in text
    assert study.title in text


def test_reports_count_completed_interviews_the_review_lets_through(researcher, interview):
    study = interview.study
    assert list(selectors.interviews_for_reports(study=study)) == [interview]

    Interview.objects.filter(pk=interview.pk).update(low_quality=True)
    assert list(selectors.interviews_for_reports(study=study)) == []

    Interview.objects.filter(pk=interview.pk).update(inclusion=Inclusion.INCLUDE)
    assert list(selectors.interviews_for_reports(study=study)) == [interview]

    Interview.objects.filter(pk=interview.pk).update(low_quality=False, inclusion="exclude")
    assert list(selectors.interviews_for_reports(study=study)) == []
