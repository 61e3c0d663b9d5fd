"""The builder's question editors (studies.builder): a stored question survives the
round trip through the form, service errors find their input, buttons edit the list."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from studies import services
from studies.builder import (
    QuestionEditor,
    apply_action,
    editor_from_question,
    editors_from_post,
    place_error,
    raw_questions,
)
from studies.question_types import validate_questions
from tests.factories import DESIGN_QUESTIONS

BRANCHING = [
    {"key": "ok", "type": "yes_no", "prompt": "OK?"},
    {"key": "n", "type": "scale", "prompt": "N?", "min": 0, "max": 10},
    {"key": "f", "type": "multiple_choice", "prompt": "F?", "options": ["A", "B"]},
    {"key": "p", "type": "single_choice", "prompt": "P?", "options": ["X", "Y", "Z"]},
    {"key": "b1", "type": "open_ended", "show_if": {"question": "ok", "op": "eq", "value": False}},
    {"key": "b2", "type": "open_ended", "show_if": {"question": "n", "op": "gte", "value": 9}},
    {
        "key": "b3",
        "type": "open_ended",
        "show_if": {"question": "f", "op": "contains", "value": "B"},
    },
    {
        "key": "b4",
        "type": "open_ended",
        "show_if": {"question": "p", "op": "in", "value": ["X", "Z"]},
    },
]


def as_post(editors: list[QuestionEditor]) -> QueryDict:
    """The fields the builder renders for these editors, as the browser posts them."""
    data = QueryDict(mutable=True)
    for i, e in enumerate(editors):
        p = f"q-{i}-"
        data.update({p + "key": e.key, p + "type": e.type, p + "prompt": e.prompt})
        data.update({p + "followups": e.followups, p + "instructions": e.instructions})
        data.update({p + "position": str(i), p + "show_if_question": e.show_if_question})
        data[p + "show_if_op"] = e.show_if_op
        data.setlist(p + "show_if_value", e.show_if_value)
        if e.required:
            data[p + "required"] = "on"
        if e.allow_other:
            data[p + "allow_other"] = "on"
        for n, option in enumerate(e.option_inputs if e.has_options else []):
            data[f"{p}options-{n}"] = option
        if e.type == "scale":
            data.update({p + "min": e.min, p + "max": e.max})
            data.update({p + "min_label": e.min_label, p + "max_label": e.max_label})
        if e.type == "multiple_choice":
            data.update({p + "min_selected": e.min_selected, p + "max_selected": e.max_selected})
    return data


@pytest.mark.parametrize("questions", [DESIGN_QUESTIONS, BRANCHING], ids=["design", "branching"])
def test_a_stored_question_list_survives_the_form(workspace, questions):
    body = [{**q, "prompt": q.get("prompt", "Tell us")} for q in questions]
    study = services.study_create(workspace=workspace, title="T", questions=body)
    editors = [editor_from_question(q) for q in study.questions.order_by("position")]

    posted = editors_from_post(as_post(editors))

    assert validate_questions(raw_questions(posted)) == validate_questions(body)


@pytest.mark.parametrize(
    "path,options,expected",
    [
        ("questions[0].options[1]", ["A", "", "B"], "options-2"),
        ("questions[0].options", [], "options"),
        ("questions[0].probe.max_followups", [], "followups"),
        ("questions[0].show_if.value[1]", [], "show_if_value"),
        ("questions[0].show_if.question", [], "show_if_question"),
        ("questions[0].max", [], "max"),
        ("questions[0]", [], ""),
    ],
)
def test_a_service_error_finds_its_input(path, options, expected):
    editor = QuestionEditor(key="q", type="single_choice", options=options)
    assert place_error(path, f"{path}: the problem.", [editor])
    assert editor.errors == {expected: ["the problem."]}


@pytest.mark.parametrize("path", ["questions", "questions[3].key", "title", ""])
def test_an_error_naming_no_question_is_left_to_the_caller(path):
    editor = QuestionEditor(key="q", type="open_ended")
    assert not place_error(path, f"{path}: the problem.", [editor])
    assert editor.errors == {}


def keys(editors: list[QuestionEditor]) -> list[str]:
    return [e.key for e in editors]


@pytest.mark.parametrize(
    "action,expected,focus",
    [
        ("up:2", ["a", "c", "b"], 1),
        ("down:0", ["b", "a", "c"], 1),
        ("down:2", ["a", "b", "c"], 2),
        ("duplicate:1", ["a", "b", "b_copy", "c"], 2),
        ("delete:2", ["a", "b"], 1),
        ("add:ranking", ["a", "b", "c", "q4"], 3),
        ("add:essay", ["a", "b", "c"], -1),
        ("delete:9", ["a", "b", "c"], -1),
        ("launch", ["a", "b", "c"], -1),
        ("", ["a", "b", "c"], -1),
    ],
)
def test_builder_buttons(action, expected, focus):
    editors = [QuestionEditor(key=k, type="open_ended") for k in ("a", "b", "c")]
    after, shown = apply_action(action, editors)
    assert (keys(after), shown) == (expected, focus)
    assert keys(editors) == ["a", "b", "c"]  # the list given is not changed


def test_a_second_duplicate_gets_its_own_key():
    editors = [QuestionEditor(key="a", type="open_ended")]
    once, _ = apply_action("duplicate:0", editors)
    twice, _ = apply_action("duplicate:0", once)
    assert keys(twice) == ["a", "a_copy2", "a_copy"]


def test_new_questions_are_valid_as_they_stand():
    editors: list[QuestionEditor] = []
    for qtype in ("open_ended", "scale", "single_choice", "multiple_choice", "ranking", "yes_no"):
        editors, _ = apply_action(f"add:{qtype}", editors)
    specs = validate_questions(raw_questions(editors))
    assert [s.key for s in specs] == ["q1", "q2", "q3", "q4", "q5", "q6"]
    assert specs[0].probe_max_followups == 2


@pytest.mark.parametrize(
    ("qtype", "fields", "expected"),
    [
        ("single_choice", {"options": [" Pro ", "", "Free", "Pro"]}, ["Pro", "Free"]),
        ("multiple_choice", {"options": ["", "  "]}, []),
        ("scale", {"min": " 1", "max": "3 "}, ["1", "2", "3"]),
        ("scale", {"min": "3", "max": "1"}, []),
        ("scale", {"min": "0", "max": "101"}, []),
        ("yes_no", {}, ["yes", "no"]),
        ("open_ended", {}, []),
    ],
)
def test_branching_values_are_those_the_question_can_take_once_saved(qtype, fields, expected):
    # Options as the service saves them: trimmed, blank boxes left out, each once.
    editor = QuestionEditor(key="q", type=qtype, **fields)
    assert [value for value, _label in editor.value_choices()] == expected
