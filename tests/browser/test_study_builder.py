"""The study builder in a real browser: from a segment's page to a launched study with
all six question types and a branching rule; errors beside their inputs; phone width.
Screenshots go to var/screenshots/ as artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from studies.models import Invitation, Study, StudyStatus
from tests.browser.conftest import log_in
from tests.factories import (
    MembershipFactory,
    PersonFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    WorkspaceFactory,
)
from workspaces.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
TYPES = ["Open-ended", "Scale", "Single choice", "Multiple choice", "Ranking", "Yes / no"]


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def stalled_segment(workspace, members: int = 3):
    segment = SegmentFactory(workspace=workspace, name="Stalled evaluators", size=members)
    for n in range(members):
        SegmentMembershipFactory(
            segment=segment, person=PersonFactory(workspace=workspace, user_id=f"u_{n}")
        )
    return segment


def question(page, index: int):
    return page.locator(f"#question-{index}")


def swaps(page) -> int:
    return int(page.evaluate("document.body.dataset.builderSwaps || 0"))


def press(page, name: str) -> None:
    """Click a builder button; htmx posts the form and swaps the builder back in."""
    before = swaps(page)
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_function(f"Number(document.body.dataset.builderSwaps || 0) > {before}")


def save(page) -> None:
    press(page, "Save")


def options(card, values: list[str]) -> None:
    for n, value in enumerate(values):
        card.get_by_label(f"Option {n + 1}", exact=True).fill(value)


def test_build_all_six_types_with_branching_and_launch(page, live_server):
    workspace = WorkspaceFactory(name="Acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    segment = stalled_segment(workspace)
    log_in(page, live_server, owner.email)

    # "Interview this segment" starts a study aimed at it.
    page.goto(f"{live_server.url}/segments/{segment.pk}/")
    page.get_by_role("link", name="Interview this segment").click()
    assert page.get_by_label("Stalled evaluators (3)").is_checked()
    page.get_by_label("Title").fill("Why do pricing visitors stall?")
    page.get_by_label("Objective").fill("Decide which onboarding to send")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url("**/studies/*/edit/")

    for label in TYPES:
        press(page, label)
    assert page.locator("[data-question]").count() == 6

    question(page, 0).get_by_label("Question", exact=True).fill("What brought you here?")
    question(page, 0).get_by_text("Probing").click()
    question(page, 0).get_by_label("Instructions for the moderator").fill("Dig into the trigger")
    scale = question(page, 1)
    scale.get_by_label("Question", exact=True).fill("How likely are you to buy?")
    scale.get_by_label("Lowest point", exact=True).fill("0")
    scale.get_by_label("Highest point", exact=True).fill("10")
    scale.get_by_label("Label of the lowest point").fill("Not at all")
    scale.get_by_label("Label of the highest point").fill("Extremely")
    single = question(page, 2)
    single.get_by_label("Key").fill("plan")
    single.get_by_label("Question", exact=True).fill("Which plan are you on?")
    options(single, ["Free", "Pro"])
    single.get_by_label("Allow “Other”").check()
    multiple = question(page, 3)
    multiple.get_by_label("Question", exact=True).fill("Which features matter?")
    options(multiple, ["Reports", "Exports"])
    multiple.get_by_role("button", name="Add an option").click()  # the enhancement
    options(multiple, ["Reports", "Exports", "Alerts", "Sharing"])
    multiple.get_by_label("At most (choices)").fill("2")
    ranking = question(page, 4)
    ranking.get_by_label("Question", exact=True).fill("Rank what matters most")
    options(ranking, ["Price", "Speed", "Support"])
    question(page, 5).get_by_label("Question", exact=True).fill("Do you work in a team?")
    save(page)
    assert page.locator("[data-builder-status]").inner_text() == "Saved."

    # Branching offers the earlier questions that can decide, with their values.
    team = question(page, 5)
    team.get_by_label("Earlier question").select_option(label="3. Which plan are you on?")
    op_labels = team.get_by_label("Condition").evaluate(
        "s => [...s.options].filter(o => !o.disabled).map(o => o.textContent)"
    )
    assert op_labels == ["is", "is not", "is one of"]
    team.get_by_label("Condition").select_option(label="is")
    values = team.get_by_label("Value").evaluate(
        "s => [...s.querySelectorAll('optgroup:not([disabled]) option')].map(o => o.value)"
    )
    assert values == ["Free", "Pro"]
    team.get_by_label("Value").select_option("Pro")
    shot(page, "study-builder")
    save(page)

    study = Study.objects.get(workspace=workspace)
    rows = {q.key: q for q in study.questions.all()}
    assert [q.type for q in study.questions.order_by("position")] == [
        "open_ended",
        "scale",
        "single_choice",
        "multiple_choice",
        "ranking",
        "yes_no",
    ]
    assert rows["q2"].config == {
        "min": 0,
        "max": 10,
        "min_label": "Not at all",
        "max_label": "Extremely",
    }
    assert rows["plan"].config == {"options": ["Free", "Pro"], "allow_other": True}
    assert rows["q4"].config["options"] == ["Reports", "Exports", "Alerts", "Sharing"]
    assert rows["q4"].config["max_selected"] == 2
    assert rows["q6"].show_if == {"question": "plan", "op": "eq", "value": "Pro"}
    assert rows["q1"].probe_instructions == "Dig into the trigger"

    # The checklist counts before anything is sent; launching invites that many.
    page.get_by_role("link", name="Review and launch").click()
    assert page.get_by_test_id("will-invite").inner_text() == "3"
    shot(page, "study-launch-checklist")
    page.get_by_role("button", name="Launch and invite 3 people").click()
    page.wait_for_url(f"**/studies/{study.pk}/")
    assert page.get_by_test_id("study-status").inner_text() == "live"
    assert Invitation.objects.filter(study=study).count() == 3
    study.refresh_from_db()
    assert study.status == StudyStatus.LIVE
    shot(page, "study-page")


def test_an_error_stands_beside_its_input_and_nothing_typed_is_lost(page, live_server):
    workspace = WorkspaceFactory(name="Acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    stalled_segment(workspace, members=1)
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/studies/new/")
    page.get_by_label("Title").fill("Errors")
    page.get_by_role("button", name="Create draft").click()
    press(page, "Single choice")
    card = question(page, 0)
    card.get_by_label("Question", exact=True).fill("Which plan?")
    options(card, ["Pro", "pro"])
    save(page)
    option = card.get_by_label("Option 2", exact=True)
    assert option.get_attribute("aria-invalid") == "true"
    assert "repeats" in page.locator("#q-0-options-1-error").inner_text()
    assert card.get_by_label("Question", exact=True).input_value() == "Which plan?"
    # The summary links to the input.
    page.get_by_role("link", name="Question 1, option 2").click()
    assert page.evaluate("document.activeElement.id") in ("q-0-options-1", "")


def offered_values(card) -> list[str]:
    """The values the card's branching picker offers for the chosen earlier question."""
    return card.get_by_label("Value").evaluate(
        "s => [...s.querySelectorAll('optgroup:not([disabled]) option')].map(o => o.value)"
    )


def test_branching_values_follow_options_typed_but_not_saved(page, live_server):
    workspace = WorkspaceFactory(name="Acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    stalled_segment(workspace, members=1)
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/studies/new/")
    page.get_by_label("Title").fill("Typed values")
    page.get_by_role("button", name="Create draft").click()
    for label in ("Single choice", "Scale", "Yes / no"):
        press(page, label)
    plan = question(page, 0)
    plan.get_by_label("Key").fill("plan")
    plan.get_by_label("Question", exact=True).fill("Which plan?")
    options(plan, ["Free", "Pro"])
    save(page)
    team = question(page, 2)
    team.get_by_label("Earlier question").select_option(label="1. Which plan?")
    team.get_by_label("Value").select_option("Pro")
    assert offered_values(team) == ["Free", "Pro"]

    # Typed, not saved: a new option is offered, a blanked one is no longer (and is
    # no longer chosen), a repeat and surrounding spaces count once.
    plan = question(page, 0)
    plan.get_by_label("Option 2", exact=True).fill("")
    plan.get_by_label("Option 3", exact=True).fill("  Enterprise ")
    plan.get_by_label("Option 4", exact=True).fill("Free")
    assert offered_values(team) == ["Free", "Enterprise"]
    assert team.get_by_label("Value").input_value() == ""
    team.get_by_label("Value").select_option("Enterprise")
    plan.get_by_label("Option 4", exact=True).fill("")
    plan.get_by_label("Option 1", exact=True).fill("Free ")
    assert offered_values(team) == ["Free", "Enterprise"]
    assert team.get_by_label("Value").input_value() == "Enterprise"
    save(page)
    study = Study.objects.get(workspace=workspace)
    rows = {q.key: q for q in study.questions.all()}
    assert rows["plan"].config["options"] == ["Free", "Enterprise"]
    assert rows["q3"].show_if == {"question": "plan", "op": "eq", "value": "Enterprise"}

    # A scale's points follow its bounds as typed; bounds that make no sense offer none.
    scale, team = question(page, 1), question(page, 2)
    scale.get_by_label("Question", exact=True).fill("How sure?")
    team.get_by_label("Earlier question").select_option(label="2. q2")
    scale.get_by_label("Lowest point", exact=True).fill("1")
    scale.get_by_label("Highest point", exact=True).fill("3")
    assert offered_values(team) == ["1", "2", "3"]
    scale.get_by_label("Highest point", exact=True).fill("0")
    assert offered_values(team) == []
    scale.get_by_label("Highest point", exact=True).fill("4")
    team.get_by_label("Condition").select_option(label="is at least")
    team.get_by_label("Value").select_option("4")
    save(page)
    rows = {q.key: q for q in study.questions.all()}
    assert rows["q2"].config["max"] == 4
    assert rows["q3"].show_if == {"question": "q2", "op": "gte", "value": 4}


def test_drag_a_question_to_reorder(page, live_server):
    workspace = WorkspaceFactory(name="Acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    stalled_segment(workspace, members=1)
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server.url}/studies/new/")
    page.get_by_label("Title").fill("Drag")
    page.get_by_role("button", name="Create draft").click()
    for label in ("Open-ended", "Scale", "Yes / no"):
        press(page, label)
    # Choosing another type saves at once and brings that type's editor.
    before = swaps(page)
    question(page, 2).get_by_label("Type").select_option(label="Ranking")
    page.wait_for_function(f"Number(document.body.dataset.builderSwaps || 0) > {before}")
    assert question(page, 2).get_by_label("Option 1", exact=True).input_value() == "Option 1"
    question(page, 2).get_by_label("Type").select_option(label="Yes / no")
    page.wait_for_function(f"Number(document.body.dataset.builderSwaps || 0) > {before + 1}")
    before = swaps(page)
    # Tall enough that both cards are on screen: a drag cannot scroll.
    page.set_viewport_size({"width": 1280, "height": 4000})
    page.evaluate("window.scrollTo(0, 0)")
    last = question(page, 2)
    bottom = last.bounding_box()["height"] - 10
    question(page, 0).locator("[data-drag-handle]").drag_to(
        last, target_position={"x": 40, "y": bottom}
    )
    page.wait_for_function(f"Number(document.body.dataset.builderSwaps || 0) > {before}")
    study = Study.objects.get(workspace=workspace)
    assert list(study.questions.order_by("position").values_list("type", flat=True)) == [
        "scale",
        "yes_no",
        "open_ended",
    ]


def test_builder_fits_a_phone(browser, live_server):
    workspace = WorkspaceFactory(name="Acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    stalled_segment(workspace, members=1)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        log_in(page, live_server, owner.email)
        page.goto(f"{live_server.url}/studies/new/")
        page.get_by_label("Title").fill("Phone")
        page.get_by_role("button", name="Create draft").click()
        for label in ("Scale", "Single choice"):
            press(page, label)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "study-builder-phone")
        study = Study.objects.get(workspace=workspace)
        for path in ("launch/", ""):
            page.goto(f"{live_server.url}/studies/{study.pk}/{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    finally:
        context.close()
