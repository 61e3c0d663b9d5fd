"""The respondent page in a real browser: a six-question interview with a follow-up from the
offline moderator, on a phone (390x844) and a desktop (1440x900), once by keyboard alone.
Screenshots go to var/screenshots/ as artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from interviews.models import Answer, Interview, StepKind
from studies import services as study_services
from studies.models import Invitation
from tests.factories import WorkspaceFactory, segment_with_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "why",
        "type": "open_ended",
        "prompt": "What brought you to our pricing page?",
        "probe": {"max_followups": 1},
    },
    {
        "key": "nps",
        "type": "scale",
        "prompt": "How likely are you to recommend us?",
        "min": 0,
        "max": 10,
        "min_label": "Not at all likely",
        "max_label": "Extremely likely",
    },
    {
        "key": "plan",
        "type": "single_choice",
        "prompt": "Which plan are you on?",
        "options": ["Free", "Pro", "Team"],
        "allow_other": True,
    },
    {
        "key": "features",
        "type": "multiple_choice",
        "prompt": "Which features do you use every week?",
        "options": ["Dashboards", "Funnels", "Cohorts", "Exports"],
        "max_selected": 2,
    },
    {
        "key": "priorities",
        "type": "ranking",
        "prompt": "Rank what matters most to you.",
        "options": ["Price", "Speed", "Support"],
    },
    {"key": "team", "type": "yes_no", "prompt": "Do you work in a team of five or more?"},
]
VAGUE = "idk"
CONCRETE = (
    "Our trial ended on Friday and I had to check whether the Team plan includes SSO "
    "for our 40 engineers."
)
EXPECTED = {
    "why": VAGUE,
    "nps": 8,
    "plan": "Pro",
    "features": ["Dashboards", "Exports"],
    "priorities": ["Speed", "Price", "Support"],
    "team": True,
}


@pytest.fixture
def invitation() -> Invitation:
    workspace = WorkspaceFactory(name="Acme")
    segment = segment_with_member(workspace)
    study = study_services.study_create(
        workspace=workspace,
        title="Why do pricing-page visitors stall?",
        segments=[segment.pk],
        questions=QUESTIONS,
        consent_text="We keep your answers for 90 days.",
        channel="link",
    )
    study_services.study_launch(study=study)
    return Invitation.objects.get(study=study)


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"interview-{name}.png"), full_page=True)


def heading(page: Any) -> str:
    return str(page.locator("h1#question").inner_text()).strip()


def wait_for_question(page: Any, text: str) -> None:
    page.wait_for_function(
        "text => document.querySelector('h1#question')?.textContent.includes(text)", arg=text
    )


def fits_the_width(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def assert_stored(invitation: Invitation) -> None:
    interview = Interview.objects.get(invitation=invitation)
    assert interview.status == "completed"
    answers = {
        a.step.question_key: a.value
        for a in Answer.objects.filter(
            step__interview=interview, step__kind=StepKind.QUESTION
        ).select_related("step")
    }
    assert answers == EXPECTED
    followup = Answer.objects.select_related("step").get(
        step__interview=interview, step__kind=StepKind.FOLLOWUP
    )
    assert followup.step.moderator == "offline"
    assert followup.step.text.startswith("Take your time.")
    assert followup.text == CONCRETE


@pytest.mark.parametrize(("viewport", "size"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_a_respondent_completes_six_questions_and_a_follow_up(
    browser: Any, live_server: Any, invitation: Invitation, viewport: str, size: dict[str, int]
) -> None:
    context = browser.new_context(viewport=size)
    page = context.new_page()
    page.goto(f"{live_server.url}/i/{invitation.token}/")
    assert "We keep your answers for 90 days." in page.content()
    shoot(page, f"{viewport}-1-consent")
    page.get_by_role("button", name="I agree, start the interview").click()

    wait_for_question(page, "What brought you to our pricing page?")
    page.get_by_label("What brought you to our pricing page?").fill(VAGUE)
    page.get_by_role("button", name="Continue").click()

    # The offline moderator probes the vague answer; the conversation so far stays in view.
    wait_for_question(page, "Take your time.")
    assert page.locator(".said-respondent").first.inner_text().endswith(VAGUE)
    assert fits_the_width(page)
    shoot(page, f"{viewport}-2-followup")
    page.locator("textarea#answer").fill(CONCRETE)
    page.get_by_role("button", name="Continue").click()

    wait_for_question(page, "How likely are you to recommend us?")
    assert fits_the_width(page)
    shoot(page, f"{viewport}-3-scale")
    page.get_by_role("button", name="8", exact=True).click()

    wait_for_question(page, "Which plan are you on?")
    page.get_by_label("Pro").check()
    page.get_by_role("button", name="Continue").click()

    wait_for_question(page, "Which features do you use every week?")
    page.get_by_label("Dashboards").check()
    page.get_by_label("Exports").check()
    # At most two: the others are disabled now.
    assert page.get_by_label("Funnels").is_disabled()
    page.get_by_role("button", name="Continue").click()

    wait_for_question(page, "Rank what matters most to you.")
    page.get_by_role("button", name="Move Speed up").click()
    shoot(page, f"{viewport}-4-ranking")
    page.get_by_role("button", name="Continue").click()

    wait_for_question(page, "Do you work in a team of five or more?")
    page.get_by_role("button", name="Yes").click()

    wait_for_question(page, "Thank you. Your interview is complete.")
    assert fits_the_width(page)
    shoot(page, f"{viewport}-5-done")
    context.close()

    assert_stored(invitation)


def tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def wait_for_focus_on_question(page: Any) -> None:
    page.wait_for_function("document.activeElement?.id === 'question'", timeout=5000)


def test_the_interview_works_with_the_keyboard_alone(
    browser: Any, live_server: Any, invitation: Invitation
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/i/{invitation.token}/")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    wait_for_question(page, "What brought you to our pricing page?")
    tab_to(page, "textarea#answer")
    page.keyboard.type(VAGUE)
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    wait_for_question(page, "Take your time.")
    # Focus moves to the new question (once htmx has settled the swap), so the next
    # Tab lands in its answer.
    wait_for_focus_on_question(page)
    tab_to(page, "textarea#answer")
    page.keyboard.type(CONCRETE)
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    wait_for_question(page, "How likely are you to recommend us?")
    wait_for_focus_on_question(page)
    tab_to(page, "button.scale-point[value='8']")
    page.keyboard.press("Enter")

    wait_for_question(page, "Which plan are you on?")
    wait_for_focus_on_question(page)
    tab_to(page, "input[type=radio]")
    # Arrow keys move through a radio group and select as they go: Free → Pro.
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") == "Pro"
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    wait_for_question(page, "Which features do you use every week?")
    wait_for_focus_on_question(page)
    tab_to(page, "input[value='Dashboards']")
    page.keyboard.press("Space")
    tab_to(page, "input[value='Exports']")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    wait_for_question(page, "Rank what matters most to you.")
    wait_for_focus_on_question(page)
    tab_to(page, "button[aria-label='Move Speed up']")
    page.keyboard.press("Enter")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    wait_for_question(page, "Do you work in a team of five or more?")
    wait_for_focus_on_question(page)
    tab_to(page, "button[value='yes']")
    page.keyboard.press("Enter")

    wait_for_question(page, "Thank you. Your interview is complete.")
    shoot(page, "keyboard-done")
    context.close()

    assert_stored(invitation)
