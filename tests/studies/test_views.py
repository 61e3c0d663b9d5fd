"""The study pages: list, new study, builder (every question type, branching, errors
beside their inputs, reorder/duplicate/delete), launch checklist, lifecycle, study page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from django.utils import timezone

from studies import guides
from studies.models import Invitation, QuestionRevision, Study, StudyStatus
from tests.factories import (
    AccountFactory,
    InvitationFactory,
    MembershipFactory,
    OptOutFactory,
    PersonFactory,
    QuestionFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    StudyFactory,
    StudySegmentFactory,
    WorkspaceFactory,
)
from tests.llm.fake_openai import Reply
from tests.studies.test_guides import MODEL_GUIDE
from workspaces.models import Role

LIST = reverse("studies:list")
NEW = reverse("studies:new")


@pytest.fixture
def browser(client, owner):
    client.force_login(owner)
    return client


def edit_url(study: Study) -> str:
    return reverse("studies:edit", kwargs={"study_id": study.pk})


def detail_url(study: Study) -> str:
    return reverse("studies:detail", kwargs={"study_id": study.pk})


SETTINGS = {
    "title": "Why do pricing visitors stall?",
    "objective": "Decide which onboarding to send",
    "mode": "one_off",
    "quota_per_segment": "30",
    "recontact_days": "60",
    "account_cap": "",
    "role_trait": "",
    "listening_cap": "20",
    "listening_period_days": "7",
    "language": "en",
    "consent_text": "We record your answers.",
    "incentive_text": "",
    "moderator_tone": "neutral",
    "invitation_expiry_days": "30",
    "channel": "link",
}


def question_fields(index: int, **fields: Any) -> dict[str, Any]:
    """POST fields of one question editor, as the builder names them."""
    data: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "options":
            for n, option in enumerate(value):
                data[f"q-{index}-options-{n}"] = option
        elif name == "required":
            if value:
                data[f"q-{index}-required"] = "on"
        else:
            data[f"q-{index}-{name}"] = value
    return data


def builder_post(segment_ids: list[int], *questions: dict[str, Any], **overrides: Any):
    data: dict[str, Any] = {**SETTINGS, "segments": [str(s) for s in segment_ids]}
    for index, fields in enumerate(questions):
        data |= question_fields(index, **fields)
    return data | overrides


ALL_SIX = [
    {
        "key": "why",
        "type": "open_ended",
        "prompt": "What brought you here?",
        "required": True,
        "followups": "2",
        "instructions": "Dig into the trigger",
    },
    {
        "key": "nps",
        "type": "scale",
        "prompt": "How likely?",
        "required": True,
        "min": "0",
        "max": "10",
        "min_label": "Not at all",
        "max_label": "Extremely",
    },
    {
        "key": "plan",
        "type": "single_choice",
        "prompt": "Which plan?",
        "required": True,
        "options": ["Free", "Pro", ""],
        "allow_other": "on",
    },
    {
        "key": "feat",
        "type": "multiple_choice",
        "prompt": "Which features?",
        "required": True,
        "options": ["A", "B", "C", ""],
        "min_selected": "1",
        "max_selected": "2",
    },
    {
        "key": "rank",
        "type": "ranking",
        "prompt": "Rank these",
        "required": True,
        "options": ["Price", "Speed", "Support"],
    },
    {
        "key": "team",
        "type": "yes_no",
        "prompt": "Do you work in a team?",
        "required": False,
        "show_if_question": "plan",
        "show_if_op": "eq",
        "show_if_value": "Pro",
    },
]


# --- list and new ----------------------------------------------------------------------


def test_list_shows_studies_with_status(browser, workspace):
    study = StudyFactory(workspace=workspace, title="Pricing stall")
    StudyFactory(title="Elsewhere")  # another workspace
    html = browser.get(LIST).content.decode()
    assert "Pricing stall" in html
    assert "Elsewhere" not in html
    assert detail_url(study) in html


def list_rows(html: str) -> list[list[str]]:
    """The study list's cells, text only, one list per study."""
    body = html.split('data-testid="study-list"')[1].split("<tbody>")[1].split("</tbody>")[0]
    rows = []
    for row in body.split("<tr>")[1:]:
        cells = [cell.split("</td>")[0] for cell in row.split("<td")[1:]]
        rows.append([" ".join(re.sub(r"<[^>]+>|^[^>]*>", " ", c).split()) for c in cells])
    return rows


def test_list_shows_mode_segments_and_progress_per_study(browser, workspace):
    # Given a live continuous study at two segments with invitations in each state,
    # and a draft nobody is invited to yet
    first = SegmentFactory(workspace=workspace, name="Stalled")
    second = SegmentFactory(workspace=workspace, name="Churned")
    live = StudyFactory(
        workspace=workspace,
        title="Live one",
        objective="",
        status=StudyStatus.LIVE,
        mode="continuous",
    )
    StudySegmentFactory(study=live, segment=first, position=0)
    StudySegmentFactory(study=live, segment=second, position=1)
    for segment, status in (
        (first, "completed"),
        (first, "opened"),
        (second, "sent"),
        (second, "completed"),
        (first, "pending"),
    ):
        InvitationFactory(study=live, segment=segment, status=status)
    # an open recorded by its time only, after which the invitation expired
    InvitationFactory(study=live, segment=first, status="expired", opened_at=timezone.now())
    StudyFactory(workspace=workspace, title="Draft one", objective="")
    other = StudyFactory(title="Elsewhere", status=StudyStatus.LIVE)
    InvitationFactory(study=other, status="completed")
    # When the list is shown
    rows = {row[0]: row[1:] for row in list_rows(browser.get(LIST).content.decode())}
    # Then each study has its status, mode, segments and counts over all its segments
    assert rows["Live one"][:2] == ["live", "Continuous"]
    assert rows["Live one"][2] == "Stalled, Churned"
    assert rows["Live one"][4:8] == ["6", "4", "2", "33%"]
    assert rows["Draft one"][:2] == ["draft", "One-off"]
    assert rows["Draft one"][4:8] == ["0", "0", "0", "—"]
    assert len(rows) == 2


def test_list_queries_do_not_grow_with_the_studies(browser, workspace):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(LIST).status_code == 200
        return len(captured)

    def add_study() -> None:
        segment = SegmentFactory(workspace=workspace)
        study = StudyFactory(workspace=workspace, status=StudyStatus.LIVE)
        StudySegmentFactory(study=study, segment=segment, position=0)
        QuestionFactory(study=study)
        InvitationFactory(study=study, segment=segment, status="completed")

    add_study()
    one = queries()
    for _ in range(4):
        add_study()
    assert queries() == one
    assert len(list_rows(browser.get(LIST).content.decode())) == 5


def test_empty_list_offers_a_new_study_once_there_are_segments(browser, workspace):
    SegmentFactory(workspace=workspace)
    html = browser.get(LIST).content.decode()
    assert "No studies yet" in html
    assert NEW in html


def test_new_study_creates_a_draft_and_redirects_to_the_builder(browser, workspace):
    segment = SegmentFactory(workspace=workspace)
    response = browser.post(
        NEW, {"title": "Downgrades", "objective": "Why", "segments": [segment.pk], "template": ""}
    )
    study = Study.objects.get(workspace=workspace)
    assert response.status_code == 302
    assert response["Location"] == edit_url(study)
    assert study.status == StudyStatus.DRAFT
    assert list(study.targets.values_list("segment_id", flat=True)) == [segment.pk]


def test_new_study_without_a_title_shows_the_error_beside_it(browser, workspace):
    response = browser.post(NEW, {"title": "", "objective": "x"})
    assert response.status_code == 400
    assert 'class="field field-error"' in response.content.decode()
    assert not Study.objects.filter(workspace=workspace).exists()


def test_new_study_from_a_template_fills_objective_and_guide(browser, workspace):
    response = browser.post(NEW, {"title": "", "objective": "", "template": "why-downgrade"})
    study = Study.objects.get(workspace=workspace)
    assert response.status_code == 302
    assert study.title == guides.DOWNGRADE.title
    assert study.objective == guides.DOWNGRADE.objective
    assert [q.key for q in study.questions.order_by("position")] == [
        q["key"] for q in guides.DOWNGRADE.questions
    ]


def test_the_template_picker_lists_the_catalog(browser):
    html = browser.get(NEW).content.decode()
    for template in guides.template_list():
        assert f'value="{template.key}"' in html


def test_draft_from_objective_without_a_model_uses_the_best_template_and_says_so(
    browser, workspace
):
    segment = SegmentFactory(workspace=workspace, name="Downgraders")
    data = {"title": "", "objective": "Why do customers downgrade their plan?"}
    response = browser.post(NEW, data | {"segments": [segment.pk], "draft": "1"}, follow=True)
    study = Study.objects.get(workspace=workspace)
    assert study.title == guides.DOWNGRADE.title
    assert study.objective == data["objective"]
    assert [q.key for q in study.questions.order_by("position")] == [
        q["key"] for q in guides.DOWNGRADE.questions
    ]
    assert "because no language model is configured" in response.content.decode()


def test_draft_from_objective_with_a_model_uses_its_guide(browser, workspace, llm_online):
    llm_online.script(Reply.json(MODEL_GUIDE))
    data = {"title": "My title", "objective": "Decide how to rescue stalled trials", "draft": "1"}
    response = browser.post(NEW, data, follow=True)
    study = Study.objects.get(workspace=workspace)
    assert study.title == "My title"
    assert [q.key for q in study.questions.order_by("position")] == ["moment", "plan", "why_pro"]
    assert "drafted by the language model" in response.content.decode()
    assert len(llm_online.received) == 1


def test_draft_from_objective_needs_an_objective(browser, workspace):
    response = browser.post(NEW, {"title": "T", "objective": "", "draft": "1"})
    assert response.status_code == 400
    assert "describe the decision" in response.content.decode()
    assert not Study.objects.filter(workspace=workspace).exists()


def test_new_study_refuses_another_workspaces_segment(browser, workspace):
    other = SegmentFactory()
    response = browser.post(NEW, {"title": "T", "segments": [other.pk]})
    assert response.status_code == 400
    assert not Study.objects.filter(workspace=workspace).exists()


def test_interview_this_segment_prefills_the_segment(browser, workspace):
    segment = SegmentFactory(workspace=workspace, name="Stalled")
    html = browser.get(f"{NEW}?segment={segment.pk}").content.decode()
    assert f'value="{segment.pk}"' in html
    assert "checked" in html.split(f'value="{segment.pk}"')[1].split(">")[0]


def test_segment_page_links_to_interview_it(browser, workspace):
    segment = SegmentFactory(workspace=workspace)
    html = browser.get(reverse("segments:detail", kwargs={"segment_id": segment.pk})).content
    assert f"{NEW}?segment={segment.pk}" in html.decode()


# --- the builder -------------------------------------------------------------------------


@pytest.fixture
def draft(workspace):
    study = StudyFactory(workspace=workspace, title="Draft", consent_text="OK")
    segment = SegmentFactory(workspace=workspace, name="Stalled")
    StudySegmentFactory(study=study, segment=segment, position=0)
    return study


def segment_of(study: Study) -> int:
    return study.targets.get().segment_id


def test_builder_renders_an_editor_per_type(browser, draft):
    for position, (qtype, config) in enumerate(
        [
            ("open_ended", {}),
            ("scale", {"min": 0, "max": 10, "min_label": "Low", "max_label": "High"}),
            ("single_choice", {"options": ["Free", "Pro"], "allow_other": True}),
            ("multiple_choice", {"options": ["A", "B"], "min_selected": 1, "max_selected": 2}),
            ("ranking", {"options": ["X", "Y"]}),
            ("yes_no", {}),
        ]
    ):
        QuestionFactory(study=draft, position=position, key=qtype, type=qtype, config=config)
    html = browser.get(edit_url(draft)).content.decode()
    assert 'name="q-1-min"' in html and 'name="q-1-max_label"' in html
    assert 'name="q-2-options-1" id="q-2-options-1" value="Pro"' in html
    assert 'name="q-2-allow_other" id="q-2-allow_other" checked' in html
    assert 'name="q-3-min_selected"' in html and 'name="q-3-max_selected"' in html
    assert 'name="q-4-options-0"' in html
    assert 'name="q-5-type"' in html and 'name="q-5-options-0"' not in html
    # Every input has a label tied to it.
    assert '<label for="q-1-min_label">' in html
    assert '<label class="visually-hidden" for="q-2-options-1">' in html


def test_builder_saves_all_six_types_with_branching_then_redirects(browser, draft):
    response = browser.post(edit_url(draft), builder_post([segment_of(draft)], *ALL_SIX))
    assert response.status_code == 302
    assert response["Location"] == edit_url(draft)
    rows = {q.key: q for q in draft.questions.all()}
    assert [q.key for q in draft.questions.order_by("position")] == [
        "why",
        "nps",
        "plan",
        "feat",
        "rank",
        "team",
    ]
    assert rows["nps"].config == {
        "min": 0,
        "max": 10,
        "min_label": "Not at all",
        "max_label": "Extremely",
    }
    assert rows["plan"].config == {"options": ["Free", "Pro"], "allow_other": True}
    assert rows["feat"].config == {"options": ["A", "B", "C"], "min_selected": 1, "max_selected": 2}
    assert rows["team"].show_if == {"question": "plan", "op": "eq", "value": "Pro"}
    assert rows["team"].required is False
    assert rows["why"].probe_max_followups == 2
    assert rows["why"].probe_instructions == "Dig into the trigger"
    draft.refresh_from_db()
    assert draft.title == SETTINGS["title"]
    assert draft.channel == "link"


@pytest.mark.parametrize(
    "value,op,stored",
    [("yes", "eq", True), ("7", "gte", 7)],
)
def test_branching_values_take_the_earlier_questions_type(browser, draft, value, op, stored):
    first = (
        {"key": "a", "type": "yes_no", "prompt": "A?", "required": True}
        if op == "eq"
        else {
            "key": "a",
            "type": "scale",
            "prompt": "A?",
            "required": True,
            "min": "0",
            "max": "10",
        }
    )
    second = {
        "key": "b",
        "type": "open_ended",
        "prompt": "B?",
        "required": True,
        "show_if_question": "a",
        "show_if_op": op,
        "show_if_value": value,
    }
    response = browser.post(edit_url(draft), builder_post([segment_of(draft)], first, second))
    assert response.status_code == 302
    assert draft.questions.get(key="b").show_if == {"question": "a", "op": op, "value": stored}


def test_branching_in_takes_several_values(browser, draft):
    first = {
        "key": "plan",
        "type": "single_choice",
        "prompt": "P?",
        "required": True,
        "options": ["Free", "Pro", "Team"],
    }
    second = {
        "key": "b",
        "type": "open_ended",
        "prompt": "B?",
        "required": True,
        "show_if_question": "plan",
        "show_if_op": "in",
    }
    data = builder_post([segment_of(draft)], first, second)
    data["q-1-show_if_value"] = ["Pro", "Team"]
    assert browser.post(edit_url(draft), data).status_code == 302
    assert draft.questions.get(key="b").show_if["value"] == ["Pro", "Team"]


def test_branching_picker_offers_only_earlier_questions_and_their_values(browser, draft):
    QuestionFactory(study=draft, position=0, key="intro", type="open_ended")
    QuestionFactory(
        study=draft,
        position=1,
        key="plan",
        type="single_choice",
        config={"options": ["Free", "Pro"], "allow_other": False},
    )
    QuestionFactory(study=draft, position=2, key="later", type="yes_no", config={})
    html = browser.get(edit_url(draft)).content.decode()
    second = html.split('id="question-1"')[1].split('id="question-2"')[0]
    third = html.split('id="question-2"')[1]
    # The second question may branch on nothing (the open-ended one cannot decide).
    assert 'name="q-1-show_if_question"' not in second
    # The third offers "plan" with its two options, and not itself or the open question.
    picker = third.split('name="q-2-show_if_question"')[1].split("</select>")[0]
    assert 'value="plan"' in picker and 'value="later"' not in picker
    assert 'value="intro"' not in picker
    values = third.split('name="q-2-show_if_value"')[1].split("</select>")[0]
    assert '<option value="Free"' in values and '<option value="Pro"' in values


@pytest.mark.parametrize(
    "question,error_input,words",
    [
        (
            {
                "key": "plan",
                "type": "single_choice",
                "prompt": "P",
                "required": True,
                "options": ["Free", "free"],
            },
            'id="q-0-options-1-error"',
            "repeats",
        ),
        (
            {
                "key": "nps",
                "type": "scale",
                "prompt": "N",
                "required": True,
                "min": "5",
                "max": "1",
            },
            'id="q-0-max-error"',
            "must be greater than min",
        ),
        (
            {"key": "Bad Key", "type": "open_ended", "prompt": "P", "required": True},
            'id="q-0-key-error"',
            "lowercase letters",
        ),
        (
            {
                "key": "feat",
                "type": "multiple_choice",
                "prompt": "F",
                "required": True,
                "options": ["A", "B"],
                "max_selected": "3",
            },
            'id="q-0-max_selected-error"',
            "between",
        ),
        (
            {
                "key": "rank",
                "type": "ranking",
                "prompt": "R",
                "required": True,
                "options": ["Only", ""],
            },
            'id="q-0-options"',
            "at least 2 options",
        ),
        (
            {"key": "why", "type": "open_ended", "prompt": "W", "required": True, "followups": "9"},
            'id="q-0-followups-error"',
            "between 0 and 3",
        ),
    ],
)
def test_an_invalid_question_shows_the_error_beside_its_input(
    browser, draft, question, error_input, words
):
    before = list(draft.questions.values_list("key", flat=True))
    response = browser.post(edit_url(draft), builder_post([segment_of(draft)], question))
    html = response.content.decode()
    assert response.status_code == 400
    assert error_input in html
    assert words in html
    assert 'class="error-summary"' in html
    assert list(draft.questions.values_list("key", flat=True)) == before


def test_an_option_error_skips_blank_boxes_to_find_its_input(browser, draft):
    question = {
        "key": "plan",
        "type": "single_choice",
        "prompt": "P",
        "required": True,
        "options": ["Free", "", "free"],
    }
    html = browser.post(edit_url(draft), builder_post([segment_of(draft)], question)).content
    # questions[0].options[1] is the third box: the blank second one was left out.
    assert b'id="q-0-options-2-error"' in html


def test_branching_on_a_later_question_is_refused_beside_the_picker(browser, draft):
    first = {
        "key": "a",
        "type": "open_ended",
        "prompt": "A",
        "required": True,
        "show_if_question": "b",
        "show_if_op": "eq",
        "show_if_value": "yes",
    }
    second = {"key": "b", "type": "yes_no", "prompt": "B", "required": True}
    response = browser.post(edit_url(draft), builder_post([segment_of(draft)], first, second))
    html = response.content.decode()
    assert response.status_code == 400
    assert "not an earlier question" in html
    assert 'href="#q-0-show_if_question"' in html


def test_a_settings_error_from_the_service_is_shown_beside_its_field(browser, draft):
    data = builder_post([segment_of(draft)], quota_per_segment="0")
    response = browser.post(edit_url(draft), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_quota_per_segment-error"' in html
    assert "must be between 1 and 100,000" in html
    draft.refresh_from_db()
    assert draft.quota_per_segment == 30


def test_listening_and_coverage_settings_are_saved(browser, draft):
    data = builder_post(
        [segment_of(draft)],
        mode="continuous",
        listening_cap="5",
        listening_period_days="14",
        role_trait="job_title",
        account_cap="2",
    )
    assert browser.post(edit_url(draft), data).status_code == 302
    draft.refresh_from_db()
    assert (draft.mode, draft.listening_cap, draft.listening_period_days) == (
        "continuous",
        5,
        14,
    )
    assert (draft.role_trait, draft.account_cap) == ("job_title", 2)


def test_a_bad_role_trait_is_refused_beside_its_field(browser, draft):
    response = browser.post(edit_url(draft), builder_post([segment_of(draft)], role_trait="a b"))
    assert response.status_code == 400
    assert b'id="id_role_trait-error"' in response.content
    draft.refresh_from_db()
    assert draft.role_trait == ""


def test_field_and_question_errors_are_shown_together(browser, draft):
    question = {
        "key": "nps",
        "type": "scale",
        "prompt": "N",
        "required": True,
        "min": "5",
        "max": "1",
    }
    data = builder_post([segment_of(draft)], question, title="")
    html = browser.post(edit_url(draft), data).content.decode()
    assert 'id="id_title-error"' in html
    assert 'id="q-0-max-error"' in html
    assert not draft.questions.exists()


def test_typed_text_survives_an_invalid_post(browser, draft):
    question = {
        "key": "nps",
        "type": "scale",
        "prompt": "Keep me",
        "required": True,
        "min": "5",
        "max": "1",
    }
    html = browser.post(edit_url(draft), builder_post([segment_of(draft)], question)).content
    assert b"Keep me" in html


@pytest.mark.parametrize(
    "qtype", ["open_ended", "scale", "single_choice", "multiple_choice", "ranking", "yes_no"]
)
def test_add_a_question_of_each_type(browser, draft, qtype):
    response = browser.post(
        edit_url(draft), builder_post([segment_of(draft)], action=f"add:{qtype}")
    )
    assert response.status_code == 302
    assert response["Location"] == edit_url(draft) + "?focus=0#question-0"
    added = draft.questions.get()
    assert (added.key, added.type) == ("q1", qtype)


def three(draft):
    return [
        {"key": key, "type": "open_ended", "prompt": key.upper(), "required": True}
        for key in ("a", "b", "c")
    ]


@pytest.mark.parametrize(
    "action,keys",
    [
        ("up:1", ["b", "a", "c"]),
        ("down:1", ["a", "c", "b"]),
        ("up:0", ["a", "b", "c"]),
        ("duplicate:0", ["a", "a_copy", "b", "c"]),
        ("delete:1", ["a", "c"]),
        ("save", ["a", "b", "c"]),
    ],
)
def test_reorder_duplicate_and_delete_buttons(browser, draft, action, keys):
    data = builder_post([segment_of(draft)], *three(draft), action=action)
    assert browser.post(edit_url(draft), data).status_code == 302
    assert list(draft.questions.order_by("position").values_list("key", flat=True)) == keys


def test_dragging_rewrites_positions_which_decide_the_order(browser, draft):
    data = builder_post([segment_of(draft)], *three(draft))
    data |= {"q-0-position": "2", "q-1-position": "0", "q-2-position": "1"}
    assert browser.post(edit_url(draft), data).status_code == 302
    assert list(draft.questions.order_by("position").values_list("key", flat=True)) == [
        "b",
        "c",
        "a",
    ]


def test_changing_the_type_fills_the_new_types_defaults(browser, draft):
    QuestionFactory(study=draft, position=0, key="q1", type="open_ended")
    data = builder_post(
        [segment_of(draft)], {"key": "q1", "type": "scale", "prompt": "P", "required": True}
    )
    assert browser.post(edit_url(draft), data).status_code == 302
    assert draft.questions.get().config["min"] == 1


def test_a_viewer_cannot_save_the_builder(client, workspace, draft):
    client.force_login(MembershipFactory(workspace=workspace, role=Role.VIEWER).user)
    response = client.post(edit_url(draft), builder_post([segment_of(draft)], *three(draft)))
    assert response.status_code == 403
    assert not draft.questions.exists()


# --- a launched study: wording only --------------------------------------------------------


@pytest.fixture
def live(workspace):
    segment = SegmentFactory(workspace=workspace, name="Stalled")
    person = PersonFactory(workspace=workspace)
    SegmentMembershipFactory(segment=segment, person=person)
    study = StudyFactory(workspace=workspace, title="Live", consent_text="OK")
    StudySegmentFactory(study=study, segment=segment, position=0)
    QuestionFactory(
        study=study,
        position=0,
        key="nps",
        type="scale",
        prompt="Old wording",
        config={"min": 0, "max": 10, "min_label": "", "max_label": ""},
        probe_max_followups=0,
    )
    study.status = StudyStatus.LIVE
    study.save()
    InvitationFactory(study=study, person=person, segment=segment, status="opened")
    return study


def test_launched_builder_offers_wording_only(browser, live):
    html = browser.get(edit_url(live)).content.decode()
    assert 'name="q-0-prompt"' in html
    assert '<input type="hidden" name="q-0-type" value="scale">' in html
    assert 'value="add:' not in html and 'value="delete:0"' not in html


def test_a_wording_fix_is_saved_and_recorded(browser, live):
    response = browser.get(edit_url(live))
    assert response.status_code == 200
    data = {
        **SETTINGS,
        "title": "Live",
        "q-0-key": "nps",
        "q-0-type": "scale",
        "q-0-required": "on",
        "q-0-min": "0",
        "q-0-max": "10",
        "q-0-followups": "0",
        "q-0-prompt": "New wording",
        "q-0-min_label": "",
        "q-0-max_label": "",
        "q-0-instructions": "",
        "q-0-show_if_question": "",
        "q-0-show_if_op": "",
    }
    assert browser.post(edit_url(live), data).status_code == 302
    assert live.questions.get().prompt == "New wording"
    assert QuestionRevision.objects.get().changes == {
        "prompt": {"from": "Old wording", "to": "New wording"}
    }


def test_a_launched_builder_ignores_structural_buttons(browser, live):
    data = {
        **SETTINGS,
        "title": "Live",
        "q-0-key": "nps",
        "q-0-type": "scale",
        "q-0-required": "on",
        "q-0-min": "0",
        "q-0-max": "10",
        "q-0-followups": "0",
        "q-0-prompt": "Old wording",
        "action": "delete:0",
    }
    assert browser.post(edit_url(live), data).status_code == 302
    assert list(live.questions.values_list("key", flat=True)) == ["nps"]


def test_a_closed_study_has_no_builder(browser, workspace):
    study = StudyFactory(workspace=workspace, status=StudyStatus.CLOSED)
    response = browser.get(edit_url(study))
    assert response.status_code == 302
    assert response["Location"] == detail_url(study)


def test_a_change_of_meaning_after_answers_is_refused_beside_the_field(browser, live):
    data = {
        **SETTINGS,
        "title": "Live",
        "q-0-key": "nps",
        "q-0-type": "scale",
        "q-0-required": "on",
        "q-0-min": "1",
        "q-0-max": "10",
        "q-0-followups": "0",
        "q-0-prompt": "Old wording",
    }
    response = browser.post(edit_url(live), data)
    assert response.status_code == 400
    html = response.content.decode()
    # Bounds have no input on a launched study: the error stands over the question.
    assert 'href="#question-0"' in html
    assert "cannot change once responses may exist" in html
    assert live.questions.get().config["min"] == 0


# --- launch checklist and lifecycle ---------------------------------------------------------


def launch_url(study: Study) -> str:
    return reverse("studies:launch", kwargs={"study_id": study.pk})


@pytest.fixture
def ready(workspace):
    """A draft with a question, targeting a segment of five: one opted out, one invited
    to another study last week."""
    segment = SegmentFactory(workspace=workspace, name="Stalled", size=5)
    people = [PersonFactory(workspace=workspace) for _ in range(5)]
    for person in people:
        SegmentMembershipFactory(segment=segment, person=person)
    OptOutFactory(person=people[0])
    InvitationFactory(study=StudyFactory(workspace=workspace), person=people[1])
    study = StudyFactory(workspace=workspace, title="Ready", consent_text="OK", channel="link")
    StudySegmentFactory(study=study, segment=segment, position=0)
    QuestionFactory(study=study, position=0, key="why")
    return study


def test_checklist_counts_who_will_be_invited_before_launch(browser, ready):
    response = browser.get(launch_url(ready))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="will-invite">3<' in html
    assert "Launch and invite 3 people" in html
    assert "Excluded by opt-out</dt><dd>1<" in html
    assert "Excluded by recontact (60 days)</dt><dd>1<" in html
    assert "Links only" in html
    assert not Invitation.objects.filter(study=ready).exists()


def test_checklist_sizes_each_segment_and_checks_quota_consent_and_channel(browser, ready):
    # The segment's size, who is considered, excluded and over quota, per segment
    ready.quota_per_segment, ready.channel = 2, "email"
    ready.save()
    html = browser.get(launch_url(ready)).content.decode()
    table = html.split('data-testid="launch-checklist"')[1].split("</table>")[0]
    row = table.split("<tbody>")[1]
    cells = [cell.split("</td>")[0] for cell in row.split('<td class="num">')[1:]]
    # size, members considered, opted out, recontact, over quota, will be invited
    assert cells == ["5", "5", "1", "1", "1", "<strong>2</strong>"]
    assert "Quota per segment</dt><dd>2<" in html
    assert "Consent text</dt><dd>present<" in html
    assert "Sending channel</dt><dd>Email, sent by Motive<" in html
    # Without consent text the checklist says so before the button is pressed
    ready.consent_text = ""
    ready.save()
    html = browser.get(launch_url(ready)).content.decode()
    assert 'Consent text</dt><dd><span class="badge badge-attention">missing</span>' in html


def test_checklist_of_a_continuous_study_shows_the_listening_cap(browser, ready):
    ready.mode, ready.listening_cap, ready.listening_period_days = "continuous", 5, 14
    ready.save()
    html = browser.get(launch_url(ready)).content.decode()
    assert "Then, new entrants</dt><dd>at most 5 per 14 days" in html


def test_checklist_names_what_is_missing_and_hides_the_button(browser, workspace):
    study = StudyFactory(workspace=workspace)
    QuestionFactory(study=study, position=0, prompt="")
    html = browser.get(launch_url(study)).content.decode()
    assert "Choose at least one target segment." in html
    assert "Write the text of question 1." in html
    assert "Launch and invite" not in html


def test_launch_invites_and_redirects_to_the_study(browser, ready):
    response = browser.post(launch_url(ready))
    assert response.status_code == 302
    assert response["Location"] == detail_url(ready)
    ready.refresh_from_db()
    assert ready.status == StudyStatus.LIVE
    assert Invitation.objects.filter(study=ready).count() == 3


def test_a_refused_launch_says_why_and_invites_no_one(browser, workspace):
    study = StudyFactory(workspace=workspace)
    response = browser.post(launch_url(study), follow=True)
    assert "choose at least one target segment" in response.content.decode()
    study.refresh_from_db()
    assert study.status == StudyStatus.DRAFT


@pytest.mark.parametrize(
    "status,action,after",
    [
        (StudyStatus.LIVE, "pause", StudyStatus.PAUSED),
        (StudyStatus.PAUSED, "resume", StudyStatus.LIVE),
        (StudyStatus.LIVE, "close", StudyStatus.CLOSED),
        (StudyStatus.PAUSED, "close", StudyStatus.CLOSED),
    ],
)
def test_lifecycle_buttons_post_then_redirect(browser, workspace, status, action, after):
    study = StudyFactory(workspace=workspace, status=status)
    response = browser.post(reverse(f"studies:{action}", kwargs={"study_id": study.pk}))
    assert response.status_code == 302
    assert response["Location"] == detail_url(study)
    study.refresh_from_db()
    assert study.status == after


def test_a_transition_the_status_does_not_allow_is_a_message(browser, workspace):
    study = StudyFactory(workspace=workspace)
    response = browser.post(reverse("studies:pause", kwargs={"study_id": study.pk}), follow=True)
    assert "Cannot pause a study that is draft" in response.content.decode()
    study.refresh_from_db()
    assert study.status == StudyStatus.DRAFT


def test_close_asks_for_confirmation_first(browser, workspace):
    study = StudyFactory(workspace=workspace, status=StudyStatus.LIVE)
    response = browser.get(reverse("studies:close", kwargs={"study_id": study.pk}))
    assert response.status_code == 200
    assert "cannot be undone" in response.content.decode()
    study.refresh_from_db()
    assert study.status == StudyStatus.LIVE


def test_delete_a_draft_after_confirming(browser, workspace):
    study = StudyFactory(workspace=workspace)
    url = reverse("studies:delete", kwargs={"study_id": study.pk})
    assert browser.get(url).status_code == 200
    response = browser.post(url)
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert not Study.objects.filter(pk=study.pk).exists()


def test_a_launched_study_is_not_deleted(browser, workspace):
    study = StudyFactory(workspace=workspace, status=StudyStatus.LIVE)
    browser.post(reverse("studies:delete", kwargs={"study_id": study.pk}))
    assert Study.objects.filter(pk=study.pk).exists()


# --- the study page --------------------------------------------------------------------------


def test_study_page_shows_progress_per_segment_and_invitations(browser, workspace):
    segment = SegmentFactory(workspace=workspace, name="Stalled")
    study = StudyFactory(workspace=workspace, status=StudyStatus.LIVE)
    StudySegmentFactory(study=study, segment=segment, position=0)
    for status in ("completed", "opened", "sent", "sent"):
        InvitationFactory(study=study, segment=segment, status=status)
    html = browser.get(detail_url(study)).content.decode()
    progress = html.split('data-testid="study-progress"')[1].split("</table>")[0]
    cells = [c.split("<")[0] for c in progress.split('class="num">')[1:]]
    assert cells[:4] == ["Invited", "Opened", "Completed", "Completion rate"]
    assert cells[4:8] == ["4", "2", "1", "25% "]
    assert "n=4" in progress
    assert reverse("studies:invitations-csv", kwargs={"study_id": study.pk}) in html
    assert html.count("<tr>") >= 6


def test_study_page_shows_coverage_when_a_role_trait_is_set(browser, workspace):
    study = StudyFactory(workspace=workspace, status=StudyStatus.LIVE, role_trait="job")
    acme = AccountFactory(workspace=workspace, group_id="acme", traits={"name": "Acme Inc"})
    for job, status in (("CFO", "completed"), ("Engineer", "completed"), ("CEO", "sent")):
        person = PersonFactory(workspace=workspace, account=acme, traits={"job": job})
        InvitationFactory(study=study, person=person, status=status)
    html = browser.get(detail_url(study)).content.decode()
    table = html.split('data-testid="coverage"')[1].split("</table>")[0]
    assert "Acme Inc" in table
    assert "CFO, Engineer" in table
    assert "CEO" not in table
    assert "1 account covered" in html


def test_study_page_has_no_coverage_without_cap_or_role_trait(browser, workspace):
    study = StudyFactory(workspace=workspace, status=StudyStatus.LIVE)
    assert "Buying committee coverage" not in browser.get(detail_url(study)).content.decode()


@pytest.fixture
def two_segment_study(workspace):
    study = StudyFactory(workspace=workspace, status=StudyStatus.LIVE)
    first = SegmentFactory(workspace=workspace, name="First")
    second = SegmentFactory(workspace=workspace, name="Second")
    StudySegmentFactory(study=study, segment=first, position=0)
    StudySegmentFactory(study=study, segment=second, position=1)
    InvitationFactory(study=study, segment=first, status="completed", person__user_id="done_1")
    InvitationFactory(study=study, segment=first, status="sent", person__user_id="sent_1")
    InvitationFactory(study=study, segment=second, status="sent", person__user_id="sent_2")
    return study, first, second


def invited_users(html: str) -> list[str]:
    table = html.split('data-testid="invitations"')[1].split("</table>")[0]
    return [cell.split("<")[0] for cell in table.split('/">')[1:]]


def test_invitations_filter_by_status_and_segment(browser, two_segment_study):
    study, _first, second = two_segment_study
    html = browser.get(detail_url(study) + "?status=sent").content.decode()
    assert invited_users(html) == ["sent_1", "sent_2"]
    assert "2 invitations match" in html
    html = browser.get(detail_url(study) + f"?status=sent&segment={second.pk}").content.decode()
    assert invited_users(html) == ["sent_2"]


@pytest.mark.parametrize("query", ["?status=bogus", "?segment=99999999", "?segment=%C2%B2"])
def test_unknown_filters_are_ignored(browser, two_segment_study, query):
    study, _first, _second = two_segment_study
    html = browser.get(detail_url(study) + query).content.decode()
    assert invited_users(html) == ["done_1", "sent_1", "sent_2"]


def test_invitations_are_paginated(browser, workspace):
    study = StudyFactory(workspace=workspace, status=StudyStatus.LIVE)
    for _ in range(51):
        InvitationFactory(study=study)
    html = browser.get(detail_url(study)).content.decode()
    assert "51 invitations" in html
    assert "Page 1 of 2" in html
    second = browser.get(detail_url(study) + "?page=2").content.decode()
    assert "Page 2 of 2" in second


def test_study_page_shows_questions_read_only(browser, live):
    html = browser.get(detail_url(live)).content.decode()
    assert reverse("interviews:preview", kwargs={"study_id": live.pk}) in html
    assert reverse("interviews:list", kwargs={"study_id": live.pk}) in html
    assert "Old wording" in html
    assert 'name="q-0-prompt"' not in html
    assert "Fix wording" in html


# --- isolation and methods ----------------------------------------------------------------------


def study_routes() -> list[str]:
    """Every studies page that takes a study id: a new one is covered once routed."""
    return [
        pattern.name
        for pattern in get_resolver("studies.urls").url_patterns
        if "study_id" in pattern.pattern.regex.groupindex and pattern.name
    ]


ROUTES = study_routes()


def test_the_isolation_walk_covers_the_study_pages():
    assert {"detail", "edit", "launch", "pause", "resume", "close", "delete"} <= set(ROUTES)


@pytest.mark.parametrize("name", ROUTES)
def test_another_workspaces_study_is_a_404(browser, name):
    other = StudyFactory(workspace=WorkspaceFactory())
    url = reverse(f"studies:{name}", kwargs={"study_id": other.pk})
    # Each route answers 404 for the methods it serves (the others are 405 for any id).
    statuses = {browser.get(url).status_code, browser.post(url).status_code}
    assert 404 in statuses
    assert statuses <= {404, 405}
    other.refresh_from_db()
    assert other.status == StudyStatus.DRAFT


@pytest.mark.parametrize(
    "name,method",
    [
        ("list", "post"),
        ("detail", "post"),
        ("pause", "get"),
        ("resume", "get"),
        ("edit", "put"),
        ("launch", "delete"),
        ("new", "patch"),
    ],
)
def test_wrong_methods_are_405(browser, workspace, name, method):
    study = StudyFactory(workspace=workspace)
    kwargs = {} if name in ("list", "new") else {"study_id": study.pk}
    response = getattr(browser, method)(reverse(f"studies:{name}", kwargs=kwargs))
    assert response.status_code == 405


def test_a_study_id_past_bigint_is_a_404(browser):
    assert browser.get(f"/studies/{2**63}/").status_code == 404


def test_anonymous_is_sent_to_log_in(client, workspace):
    study = StudyFactory(workspace=workspace)
    response = client.get(detail_url(study))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
