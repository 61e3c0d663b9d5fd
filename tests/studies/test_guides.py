"""Start fast: the template catalog, and drafting a guide through llm/ or from a template."""

from __future__ import annotations

import json

import pytest

from studies import guides
from studies.models import Study
from studies.question_types import QuestionType, validate_questions
from tests.factories import SegmentFactory, WorkspaceFactory
from tests.llm.fake_openai import Reply

MODEL_GUIDE = {
    "title": "Why trials stall",
    "questions": [
        {
            "key": "moment",
            "type": "open_ended",
            "prompt": "Tell me about the last time you opened the app.",
            "probe": {"max_followups": 2, "instructions": "Find the trigger"},
            # Models fill fields their type does not take; the draft drops them.
            "options": [],
            "min": 0,
        },
        {
            "key": "plan",
            "type": "single_choice",
            "prompt": "Which plan are you on?",
            "options": ["Free", "Pro"],
            "allow_other": False,
        },
        {
            "key": "why_pro",
            "type": "open_ended",
            "prompt": "What made you choose Pro?",
            "show_if": {"question": "plan", "op": "eq", "value": "Pro"},
        },
    ],
}


# --- the catalog ------------------------------------------------------------------------


def test_the_catalog_covers_the_common_segment_questions():
    titles = {t.key: t.title for t in guides.template_list()}
    assert len(titles) >= 5
    assert {
        "why-downgrade",
        "what-brought-you-to-pricing",
        "what-makes-power-users-stay",
        "why-did-you-choose-us",
        "what-almost-stopped-you",
    } <= set(titles)
    assert len(set(titles.values())) == len(titles)


@pytest.mark.parametrize("template", guides.TEMPLATES, ids=lambda t: t.key)
def test_every_template_is_a_valid_guide(template):
    specs = validate_questions(template.questions)

    types = {spec.type for spec in specs}
    assert len(types) >= 3, "a guide mixes several question types"
    assert specs[0].type == QuestionType.OPEN_ENDED
    assert all(
        s.probe_max_followups >= 1 and s.probe_instructions
        for s in specs
        if s.type == QuestionType.OPEN_ENDED
    ), "open-ended questions are probed, with instructions"
    assert all(s.probe_max_followups == 0 for s in specs if s.type != QuestionType.OPEN_ENDED)
    assert all(s.prompt for s in specs) and template.objective.startswith("Decide")


@pytest.mark.parametrize("template", guides.TEMPLATES, ids=lambda t: t.key)
def test_every_template_creates_a_study_through_the_api(api, workspace, template):
    body = {"title": template.title, "objective": template.objective}
    response = api.post("/api/v1/studies/", {**body, "questions": template.questions}, "json")
    assert response.status_code == 201, response.json()
    assert [q["key"] for q in response.json()["questions"]] == [
        q["key"] for q in template.questions
    ]


@pytest.mark.parametrize(
    ("objective", "key"),
    [
        ("Why do customers downgrade to the cheaper plan?", "why-downgrade"),
        ("Pricing page visitors who never buy", "what-brought-you-to-pricing"),
        ("Learn what keeps our power users engaged", "what-makes-power-users-stay"),
        ("Why new customers chose us over the alternatives", "why-did-you-choose-us"),
        ("What almost stopped people during onboarding", "what-almost-stopped-you"),
        ("Customers who cancelled last quarter", "why-did-you-leave"),
        ("Zebra quokka", "what-brought-you-to-pricing"),  # nothing shared: the first
    ],
)
def test_the_best_template_shares_the_most_words(objective, key):
    assert guides.best_template(objective).key == key


def test_the_templates_api_lists_the_catalog(api):
    response = api.get("/api/v1/studies/templates/")
    assert response.status_code == 200
    body = response.json()
    assert [t["key"] for t in body] == [t.key for t in guides.TEMPLATES]
    assert body[0]["questions"] == guides.TEMPLATES[0].guide()
    assert body[0]["questions"][3]["show_if"] == {
        "question": "found_it",
        "op": "eq",
        "value": False,
    }
    assert set(body[0]) == {"key", "title", "objective", "summary", "questions"}


# --- drafting ---------------------------------------------------------------------------


def test_without_a_model_the_draft_is_the_best_template(workspace):
    segment = SegmentFactory(workspace=workspace, name="Downgraders")
    draft = guides.draft_guide(
        objective="Why do customers downgrade their plan?", segments=[segment]
    )
    assert (draft.source, draft.template) == ("template", "why-downgrade")
    assert draft.reason == "no language model is configured"
    assert draft.questions == guides.DOWNGRADE.guide()
    assert [q["key"] for q in draft.questions] == [q["key"] for q in guides.DOWNGRADE.questions]
    assert draft.body()["segments"] == [segment.pk]


def test_with_a_model_the_draft_is_the_models_validated_guide(llm_online, workspace):
    segment = SegmentFactory(workspace=workspace, name="Stalled trials", playbook="Offer a call")
    llm_online.script(Reply.json(MODEL_GUIDE))

    draft = guides.draft_guide(objective="Decide how to rescue stalled trials", segments=[segment])

    assert (draft.source, draft.template, draft.reason) == ("model", None, None)
    assert draft.title == "Why trials stall"
    assert [q["key"] for q in draft.questions] == ["moment", "plan", "why_pro"]
    assert draft.questions[0] == {
        "key": "moment",
        "type": "open_ended",
        "prompt": "Tell me about the last time you opened the app.",
        "required": True,
        "probe": {"max_followups": 2, "instructions": "Find the trigger"},
        "show_if": None,
    }
    assert draft.questions[2]["show_if"] == {"question": "plan", "op": "eq", "value": "Pro"}
    validate_questions(draft.questions)
    [request] = llm_online.received
    assert request.response_format["type"] == "json_schema"
    prompt = request.messages[-1]["content"]
    assert '<untrusted label="objective">\nDecide how to rescue stalled trials' in prompt
    assert "Stalled trials" in prompt and "Offer a call" in prompt


def test_an_invalid_model_guide_falls_back_to_the_template_saying_why(llm_online, workspace):
    broken = json.loads(json.dumps(MODEL_GUIDE))
    broken["questions"][2]["show_if"] = {"question": "plan", "op": "eq", "value": "Enterprise"}
    llm_online.script(Reply.json(broken))

    draft = guides.draft_guide(objective="Why do people look at pricing?", segments=[])

    assert (draft.source, draft.template) == ("template", "what-brought-you-to-pricing")
    assert draft.reason is not None
    assert draft.reason.startswith("the model's guide was not valid (questions[2].show_if.value")


def test_a_failing_model_falls_back_to_the_template(llm_online, settings):
    settings.MOTIVE_LLM_MAX_RETRIES = 0
    llm_online.script(Reply.error(500), Reply.error(500))
    draft = guides.draft_guide(objective="What almost stopped you at signup?", segments=[])
    assert (draft.source, draft.template) == ("template", "what-almost-stopped-you")
    assert draft.reason is not None and draft.reason.startswith("the model failed")


def test_the_draft_api_returns_a_body_that_creates_the_study(api, workspace):
    segment = SegmentFactory(workspace=workspace)
    response = api.post(
        "/api/v1/studies/draft",
        {"objective": "Why did new customers choose us?", "segments": [segment.pk]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["source"], body["template"]) == ("template", "why-did-you-choose-us")
    assert body["reason"] == "no language model is configured"
    assert not Study.objects.exists()  # a draft is not saved

    created = api.post("/api/v1/studies/", body["study"], format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["segments"] == [segment.pk]


def test_the_draft_api_through_the_model(api, llm_online):
    llm_online.script(Reply.json(MODEL_GUIDE))
    response = api.post("/api/v1/studies/draft/", {"objective": "Rescue trials"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["source"] == "model" and body["study"]["title"] == "Why trials stall"
    assert api.post("/api/v1/studies/", body["study"], format="json").status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "objective"),
        ({"objective": "   "}, "objective"),
        ({"objective": "x" * 2001}, "objective"),
        ({"objective": "Why?", "segments": "3"}, "segments"),
        ({"objective": "Why?", "segments": [999_999]}, "segments"),
        ({"objective": "Why?", "mode": "continuous"}, "mode"),
    ],
)
def test_bad_draft_requests_are_400(api, body, field):
    response = api.post("/api/v1/studies/draft", body, format="json")
    assert response.status_code == 400
    assert field in json.dumps(response.json())


def test_another_workspaces_segment_cannot_be_drafted_for(api):
    other = SegmentFactory(workspace=WorkspaceFactory())
    response = api.post(
        "/api/v1/studies/draft", {"objective": "Why?", "segments": [other.pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == f"segments[0]: no segment {other.pk} in this workspace."
