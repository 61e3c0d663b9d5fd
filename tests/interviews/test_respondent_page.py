"""The respondent page `/i/<token>/` as plain forms (no JavaScript), through Django's
test client: consent, every widget, errors, htmx swaps, origin checks, languages."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from interviews.models import Answer, Interview, Step, StepStatus
from studies import services as study_services
from tests.interviews.conftest import launched_study

pytestmark = pytest.mark.django_db

WHY = (
    "Because my team grew to 12 people and the free plan limits us to 3 seats, "
    "so I compared Pro with Acme's pricing last week."
)
SITE = "http://testserver"


def page(token: str) -> str:
    return f"/i/{token}/"


@pytest.fixture
def browser() -> Client:
    return Client(HTTP_ORIGIN=SITE)


def heading(response) -> str:
    match = re.search(r'<h1 id="question"[^>]*>(.*?)</h1>', response.content.decode(), re.S)
    assert match, response.content.decode()[:2000]
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def current_step_id(response) -> str:
    match = re.search(r'name="step" value="(\d+)"', response.content.decode())
    assert match
    return match.group(1)


def start(browser: Client, token: str):
    response = browser.get(page(token))
    assert response.status_code == 200
    assert f"/i/{token}/start/" in response.content.decode()  # the consent form
    consent = browser.post(f"/i/{token}/start/")
    assert consent.status_code == 302 and consent["Location"] == page(token)
    return browser.get(page(token))


def submit(browser: Client, token: str, data: dict, **extra):
    response = browser.get(page(token))
    return browser.post(page(token), {"step": current_step_id(response), **data}, **extra)


def test_consent_comes_first_with_the_incentive(browser, workspace):
    study = launched_study(
        workspace, consent_text="We keep answers for 90 days.", incentive_text="A $20 voucher"
    )
    token = study.invitations.get().token

    response = browser.get(page(token))

    text = response.content.decode()
    assert "We keep answers for 90 days." in text and "A $20 voucher" in text
    assert 'name="text"' not in text
    interview = Interview.objects.get()
    assert interview.consented_at is None
    start(browser, token)
    interview.refresh_from_db()
    assert interview.consented_at is not None


def test_the_whole_interview_without_javascript(browser, study):
    token = study.invitations.get().token
    response = start(browser, token)
    assert heading(response) == "What brought you to our pricing page?"
    assert "0 of 6 questions" in response.content.decode()

    steps = [
        ({"text": WHY}, "How likely...?"),
        ({"value": "8"}, "Question plan"),
        ({"choice": "__other__", "other": "Enterprise trial"}, "Question feat"),
        ({"choice": ["A", "C"]}, "Question rank"),
        ({"rank-0": "3", "rank-1": "1", "rank-2": "2"}, None),
    ]
    for data, next_heading in steps:
        posted = submit(browser, token, data)
        assert posted.status_code == 302, posted.content.decode()[:500]
        response = browser.get(page(token))
        if next_heading:
            assert heading(response) == next_heading

    assert heading(response) == "Thank you. Your interview is complete."
    values = {
        a.step.question_key: a.value
        for a in Answer.objects.filter(step__kind="question").select_related("step")
    }
    assert values == {
        "why": WHY,
        "nps": 8,
        "plan": {"other": "Enterprise trial"},
        "feat": ["A", "C"],
        "rank": ["Speed", "Support", "Price"],
    }
    assert Step.objects.get(question_key="team").status == StepStatus.SKIPPED


def test_yes_no_is_two_buttons(browser, workspace):
    study = launched_study(
        workspace, questions=[{"key": "team", "type": "yes_no", "prompt": "In a team?"}]
    )
    token = study.invitations.get().token
    response = start(browser, token)
    text = response.content.decode()
    assert 'name="value" value="yes"' in text and 'name="value" value="no"' in text

    submit(browser, token, {"value": "no"})

    assert Answer.objects.get().value is False


def test_a_wrong_answer_shows_the_error_and_stores_nothing(browser, study):
    token = study.invitations.get().token
    start(browser, token)
    submit(browser, token, {"text": WHY})
    submit(browser, token, {"value": "8"})
    submit(browser, token, {"choice": "Pro"})

    response = submit(browser, token, {"choice": ["A", "B", "C"]})

    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text
    assert "Choose at most 2 options." in text
    assert 'value="A" aria-describedby="choice-hint" checked' in text  # kept what was sent
    assert Answer.objects.count() == 3


def test_an_optional_question_can_be_skipped(browser, workspace):
    study = launched_study(
        workspace,
        questions=[
            {"key": "nps", "type": "scale", "min": 0, "max": 10, "required": False},
            {"key": "why", "type": "open_ended", "prompt": "Why?"},
        ],
    )
    token = study.invitations.get().token
    start(browser, token)

    submit(browser, token, {"skip": "1"})

    answer = Answer.objects.get()
    assert answer.value is None and answer.step.question_key == "nps"
    assert heading(browser.get(page(token))) == "Why?"


def test_htmx_swaps_the_conversation_and_announces_the_new_question(browser, study):
    token = study.invitations.get().token
    start(browser, token)

    response = submit(browser, token, {"text": WHY}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text
    assert text.startswith('<div id="interview"')
    assert 'hx-swap-oob="innerHTML"' in text
    assert heading(response) == "How likely...?"
    assert "autofocus" in text


def test_htmx_form_errors_are_swapped_in_with_200(browser, study):
    token = study.invitations.get().token
    start(browser, token)

    response = submit(browser, token, {"text": ""}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Please write an answer." in response.content.decode()
    assert Answer.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_REFERER": "https://evil.example/page"},
        {"HTTP_ORIGIN": "null"},
    ],
)
def test_a_post_from_another_site_is_refused_with_a_clear_page(study, headers):
    token = study.invitations.get().token
    start(Client(HTTP_ORIGIN=SITE), token)
    step = Step.objects.get()
    foreign = Client(**headers)

    response = foreign.post(page(token), {"step": step.pk, "text": WHY})
    consent = foreign.post(f"/i/{token}/start/")

    assert response.status_code == 403
    assert consent.status_code == 403
    assert "answers are only accepted from the interview page" in response.content.decode()
    assert Answer.objects.count() == 0


def test_the_configured_public_address_is_an_allowed_origin(study, settings):
    settings.MOTIVE_PUBLIC_URL = "https://interviews.example.com"
    token = study.invitations.get().token
    browser = Client(HTTP_ORIGIN="https://interviews.example.com")
    start(browser, token)

    response = submit(browser, token, {"text": WHY})

    assert response.status_code == 302
    assert Answer.objects.count() == 1


def test_the_page_in_german(browser, workspace):
    study = launched_study(
        workspace,
        language="de",
        questions=[
            {"key": "warum", "type": "open_ended", "prompt": "Was hat Sie hergeführt?"},
            {"key": "team", "type": "yes_no", "prompt": "Arbeiten Sie im Team?"},
        ],
    )
    token = study.invitations.get().token

    consent = browser.get(page(token)).content.decode()
    assert '<html lang="de">' in consent
    assert "Bevor wir beginnen" in consent
    response = start(browser, token)
    text = response.content.decode()
    assert "0 von 2 Fragen" in text
    assert "Weiter" in text
    error = submit(browser, token, {"text": " "})
    assert "Bitte schreiben Sie eine Antwort." in error.content.decode()
    submit(browser, token, {"text": WHY})
    buttons = browser.get(page(token)).content.decode()
    assert ">Ja</button>" in buttons and ">Nein</button>" in buttons


@pytest.mark.parametrize(
    "change,status,words",
    [
        ("expire", 410, "This invitation has expired"),
        ("opt_out", 410, "You will not be invited again"),
        ("close", 410, "This study has closed"),
        ("pause", 409, "This interview is paused"),
    ],
)
def test_links_that_no_longer_work_say_so(browser, study, change, status, words):
    invitation = study.invitations.get()
    if change == "expire":
        invitation.expires_at = timezone.now() - timedelta(days=1)
        invitation.save()
    elif change == "opt_out":
        study_services.opt_out_record(workspace=invitation.workspace, person=invitation.person)
    elif change == "close":
        study_services.study_close(study=study)
    else:
        study_services.study_pause(study=study)

    response = browser.get(page(invitation.token))

    assert response.status_code == status
    assert words in response.content.decode()


def test_an_unknown_link_is_a_404_page(browser, db):
    response = browser.get(page("no-such-token"))

    assert response.status_code == 404
    assert "We could not find this interview" in response.content.decode()


def test_a_completed_interview_shows_the_thanks_and_takes_nothing(browser, workspace):
    study = launched_study(workspace, questions=[{"key": "team", "type": "yes_no"}])
    token = study.invitations.get().token
    start(browser, token)
    step = Step.objects.get()
    submit(browser, token, {"value": "yes"})

    again = browser.post(page(token), {"step": step.pk, "value": "no"})
    response = browser.get(page(token))

    assert again.status_code == 302
    assert heading(response) == "Thank you. Your interview is complete."
    assert Answer.objects.get().value is True


def test_the_page_keeps_its_address_private(browser, study):
    response = browser.get(page(study.invitations.get().token))

    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Robots-Tag"] == "noindex"
    for cookie in response.cookies.values():
        assert cookie["samesite"] == "Lax"


def test_writing_in_other_chooses_other(browser, workspace):
    study = launched_study(
        workspace,
        questions=[
            {
                "key": "plan",
                "type": "single_choice",
                "options": ["Free", "Pro"],
                "allow_other": True,
            }
        ],
    )
    token = study.invitations.get().token
    start(browser, token)

    submit(browser, token, {"other": "Enterprise trial"})

    assert Answer.objects.get().value == {"other": "Enterprise trial"}


def test_an_error_takes_the_focus_from_the_question(browser, study):
    token = study.invitations.get().token
    start(browser, token)

    text = submit(browser, token, {"text": ""}, HTTP_HX_REQUEST="true").content.decode()

    assert 'role="alert" tabindex="-1" autofocus' in text
    assert text.count("autofocus") == 1
