"""studies/question_types.py: every rule of a question list, and every answer type."""

from __future__ import annotations

import copy

import pytest

from studies.question_types import (
    AnswerError,
    QuestionError,
    QuestionSpec,
    meaning_changes,
    show_if_matches,
    validate_answer,
    validate_questions,
    wording_changes,
)
from tests.factories import DESIGN_QUESTIONS


def with_question(index: int, **changes) -> list[dict]:
    questions = copy.deepcopy(DESIGN_QUESTIONS)
    questions[index].update(changes)
    return [q for q in questions if q is not None]


def test_design_example_is_valid_and_normalised():
    specs = validate_questions(copy.deepcopy(DESIGN_QUESTIONS))
    assert [s.key for s in specs] == ["why", "nps", "plan", "feat", "rank", "team"]
    why, nps, plan, feat, rank, team = specs
    assert (why.probe_max_followups, why.probe_instructions) == (2, "Dig into the trigger")
    assert nps.config == {"min": 0, "max": 10, "min_label": "Not at all", "max_label": "Extremely"}
    assert nps.probe_max_followups == 0
    assert plan.config == {"options": ["Free", "Pro"], "allow_other": True}
    assert plan.prompt == "" and plan.required is True
    assert feat.config == {"options": ["A", "B", "C"], "min_selected": 1, "max_selected": 2}
    assert rank.config == {"options": ["Price", "Speed", "Support"]}
    assert team.show_if == {"question": "plan", "op": "eq", "value": "Pro"}


def test_defaults_fill_in():
    [spec] = validate_questions(
        [{"key": "pick", "type": "multiple_choice", "options": [" A ", "B"]}]
    )
    assert spec.config == {"options": ["A", "B"], "min_selected": 1, "max_selected": 2}
    assert spec.probe_max_followups == 0
    [open_q] = validate_questions([{"key": "why", "type": "open_ended", "probe": {}}])
    assert open_q.probe_max_followups == 2


INVALID = [
    # (questions, exact message)
    ("nope", "questions: expected a list of questions."),
    ([[]], "questions[0]: expected an object."),
    (
        [{"key": "a"}],
        "questions[0].type: required; one of: open_ended, scale, single_choice, "
        "multiple_choice, ranking, yes_no.",
    ),
    (
        [{"key": "a", "type": "slider"}],
        'questions[0].type: unknown type "slider"; use one of: '
        "open_ended, scale, single_choice, multiple_choice, ranking, yes_no.",
    ),
    (
        [{"key": "a", "type": 7}],
        "questions[0].type: unknown type 7; use one of: open_ended, "
        "scale, single_choice, multiple_choice, ranking, yes_no.",
    ),
    (
        [{"key": "a", "type": "open_ended", "colour": "red"}],
        "questions[0].colour: unknown field for an open_ended question.",
    ),
    (
        [{"key": "a", "type": "yes_no", "options": ["x"]}],
        "questions[0].options: unknown field for a yes_no question.",
    ),
    (
        [{"key": "a", "type": "single_choice", "options": ["x"], "min": 1}],
        "questions[0].min: unknown field for a single_choice question.",
    ),
    (
        [{"type": "open_ended"}],
        'questions[0].key: required; use lowercase letters, digits, "-" '
        'and "_", starting with a letter or digit (at most 64 characters), e.g. "why_pricing".',
    ),
    (
        [{"key": "Why Now", "type": "open_ended"}],
        "questions[0].key: use lowercase letters, "
        'digits, "-" and "_", starting with a letter or digit (at most 64 characters), e.g. '
        '"why_pricing".',
    ),
    (
        [{"key": "a.b", "type": "open_ended"}],
        "questions[0].key: use lowercase letters, digits, "
        '"-" and "_", starting with a letter or digit (at most 64 characters), e.g. "why_pricing".',
    ),
    (
        [{"key": "a", "type": "open_ended"}, {"key": "a", "type": "yes_no"}],
        'questions[1].key: "a" is already the key of questions[0].',
    ),
    ([{"key": "a", "type": "open_ended", "prompt": 5}], "questions[0].prompt: expected a string."),
    (
        [{"key": "a", "type": "open_ended", "prompt": "x\x00"}],
        "questions[0].prompt: contains a character that cannot be stored (NUL).",
    ),
    (
        [{"key": "a", "type": "open_ended", "prompt": "x" * 2001}],
        "questions[0].prompt: at most 2,000 characters.",
    ),
    (
        [{"key": "a", "type": "open_ended", "required": "yes"}],
        "questions[0].required: expected true or false.",
    ),
    # probe
    ([{"key": "a", "type": "open_ended", "probe": 2}], "questions[0].probe: expected an object."),
    (
        [{"key": "a", "type": "open_ended", "probe": {"max_followups": 4}}],
        "questions[0].probe.max_followups: must be between 0 and 3.",
    ),
    (
        [{"key": "a", "type": "open_ended", "probe": {"max_followups": True}}],
        "questions[0].probe.max_followups: expected a whole number.",
    ),
    (
        [{"key": "a", "type": "open_ended", "probe": {"depth": 1}}],
        "questions[0].probe.depth: unknown field for probe.",
    ),
    # options
    ([{"key": "a", "type": "single_choice"}], "questions[0].options: required: a list of options."),
    (
        [{"key": "a", "type": "single_choice", "options": "A,B"}],
        "questions[0].options: expected a list of options.",
    ),
    (
        [{"key": "a", "type": "single_choice", "options": []}],
        "questions[0].options: needs at least one option.",
    ),
    (
        [{"key": "a", "type": "single_choice", "options": ["A", " "]}],
        "questions[0].options[1]: must not be empty.",
    ),
    (
        [{"key": "a", "type": "multiple_choice", "options": ["A", 2]}],
        "questions[0].options[1]: expected a string.",
    ),
    (
        [{"key": "a", "type": "single_choice", "options": ["Pro", "pro "]}],
        'questions[0].options[1]: "pro" repeats questions[0].options[0].',
    ),
    (
        [{"key": "a", "type": "single_choice", "options": [str(i) for i in range(51)]}],
        "questions[0].options: at most 50 options.",
    ),
    (
        [{"key": "a", "type": "single_choice", "options": ["A"], "allow_other": 1}],
        "questions[0].allow_other: expected true or false.",
    ),
    (
        [{"key": "a", "type": "ranking", "options": ["A"]}],
        "questions[0].options: needs at least 2 options.",
    ),
    # scale
    ([{"key": "a", "type": "scale", "max": 5}], "questions[0].min: required: a whole number."),
    ([{"key": "a", "type": "scale", "min": 0}], "questions[0].max: required: a whole number."),
    (
        [{"key": "a", "type": "scale", "min": 0.5, "max": 5}],
        "questions[0].min: expected a whole number.",
    ),
    (
        [{"key": "a", "type": "scale", "min": "0", "max": 5}],
        "questions[0].min: expected a whole number.",
    ),
    (
        [{"key": "a", "type": "scale", "min": 5, "max": 5}],
        "questions[0].max: must be greater than min (5).",
    ),
    (
        [{"key": "a", "type": "scale", "min": 0, "max": 101}],
        "questions[0].max: a scale has at most 101 points; 0 to 101 has 102.",
    ),
    (
        [{"key": "a", "type": "scale", "min": 0, "max": 10**30}],
        "questions[0].max: must be between -1,000,000 and 1,000,000.",
    ),
    (
        [{"key": "a", "type": "scale", "min": 0, "max": 5, "min_label": ["x"]}],
        "questions[0].min_label: expected a string.",
    ),
    # multiple choice selection bounds
    (
        [{"key": "a", "type": "multiple_choice", "options": ["A", "B"], "max_selected": 3}],
        "questions[0].max_selected: must be between 1 and 2.",
    ),
    (
        [{"key": "a", "type": "multiple_choice", "options": ["A", "B"], "min_selected": 3}],
        "questions[0].min_selected: must be between 0 and 2.",
    ),
    (
        [
            {
                "key": "a",
                "type": "multiple_choice",
                "options": ["A", "B", "C"],
                "min_selected": 3,
                "max_selected": 2,
            }
        ],
        "questions[0].min_selected: must not exceed max_selected (2).",
    ),
    # branching
    (
        with_question(5, show_if={"question": "later", "op": "eq", "value": "Pro"}),
        'questions[5].show_if.question: "later" is not an earlier question; a question can only '
        "depend on one asked before it.",
    ),
    (
        [{"key": "a", "type": "yes_no", "show_if": {"question": "a", "op": "eq", "value": True}}],
        'questions[0].show_if.question: "a" is not an earlier question; a question can only '
        "depend on one asked before it.",
    ),
    (
        [
            {"key": "a", "type": "yes_no", "show_if": {"question": "b", "op": "eq", "value": True}},
            {"key": "b", "type": "yes_no"},
        ],
        'questions[0].show_if.question: "b" is not an earlier question; a question can only '
        "depend on one asked before it.",
    ),
    (
        with_question(5, show_if={"question": "why", "op": "eq", "value": "x"}),
        'questions[5].show_if.question: "why" is an open_ended question; branch on a choice, '
        "yes/no or scale question.",
    ),
    (
        with_question(5, show_if={"question": "rank", "op": "eq", "value": "Price"}),
        'questions[5].show_if.question: "rank" is a ranking question; branch on a choice, '
        "yes/no or scale question.",
    ),
    (
        with_question(5, show_if={"question": "plan", "op": "contains", "value": "Pro"}),
        'questions[5].show_if.op: "contains" does not apply to a single_choice question; use eq '
        "or neq or in.",
    ),
    (
        with_question(5, show_if={"question": "plan", "op": "eq", "value": "Team"}),
        'questions[5].show_if.value: "Team" is not an option of "plan"; use one of: Free, Pro.',
    ),
    (
        with_question(5, show_if={"question": "plan", "op": "in", "value": []}),
        "questions[5].show_if.value: expected a non-empty list of values.",
    ),
    (
        with_question(5, show_if={"question": "plan", "op": "in", "value": ["Pro", "Gold"]}),
        'questions[5].show_if.value[1]: "Gold" is not an option of "plan"; use one of: Free, Pro.',
    ),
    (
        with_question(5, show_if={"question": "plan", "op": "in", "value": ["Pro", "Pro"]}),
        "questions[5].show_if.value: lists a value twice.",
    ),
    (
        with_question(5, show_if={"question": "feat", "op": "eq", "value": "A"}),
        'questions[5].show_if.op: "eq" does not apply to a multiple_choice question; use contains.',
    ),
    (
        with_question(5, show_if={"question": "feat", "op": "contains", "value": "D"}),
        'questions[5].show_if.value: "D" is not an option of "feat"; use one of: A, B, C.',
    ),
    (
        with_question(5, show_if={"question": "nps", "op": "eq", "value": 5}),
        'questions[5].show_if.op: "eq" does not apply to a scale question; use gte or lte.',
    ),
    (
        with_question(5, show_if={"question": "nps", "op": "gte", "value": 11}),
        'questions[5].show_if.value: "nps" takes whole numbers from 0 to 10.',
    ),
    (
        with_question(5, show_if={"question": "nps", "op": "lte", "value": "5"}),
        'questions[5].show_if.value: "nps" takes whole numbers from 0 to 10.',
    ),
    (
        [
            {"key": "a", "type": "yes_no"},
            {
                "key": "b",
                "type": "yes_no",
                "show_if": {"question": "a", "op": "eq", "value": "yes"},
            },
        ],
        'questions[1].show_if.value: "a" is answered true or false.',
    ),
    (
        with_question(5, show_if={"question": "plan", "op": "eq"}),
        "questions[5].show_if.value: required.",
    ),
    (
        with_question(5, show_if={"question": "plan", "op": "eq", "value": "Pro", "x": 1}),
        "questions[5].show_if.x: unknown field for show_if.",
    ),
    (with_question(5, show_if=["plan"]), "questions[5].show_if: expected an object."),
]


@pytest.mark.parametrize("questions,message", INVALID)
def test_invalid_questions_name_the_path(questions, message):
    with pytest.raises(QuestionError) as caught:
        validate_questions(questions)
    assert caught.value.message == message
    assert message.startswith(caught.value.path + ":")


def test_at_most_100_questions():
    questions = [{"key": f"q{i}", "type": "yes_no"} for i in range(101)]
    with pytest.raises(QuestionError, match=r"^questions: at most 100 questions\.$"):
        validate_questions(questions)


@pytest.mark.parametrize("op,value", [("eq", True), ("neq", False), ("in", [True, False])])
def test_yes_no_branching(op, value):
    questions = [
        {"key": "a", "type": "yes_no"},
        {"key": "b", "type": "open_ended", "show_if": {"question": "a", "op": op, "value": value}},
    ]
    assert validate_questions(questions)[1].show_if == {"question": "a", "op": op, "value": value}


def spec(index: int) -> QuestionSpec:
    return validate_questions(copy.deepcopy(DESIGN_QUESTIONS))[index]


ANSWERS_OK = [
    (0, "  Saw the price  ", "Saw the price"),
    (1, 0, 0),
    (1, 10, 10),
    (1, 7.0, 7),
    (2, "Pro", "Pro"),
    (2, {"other": " Team "}, {"other": "Team"}),
    (3, ["A"], ["A"]),
    (3, ["C", "A"], ["C", "A"]),
    (4, ["Speed", "Price", "Support"], ["Speed", "Price", "Support"]),
    (5, True, True),
    (5, False, False),
]


@pytest.mark.parametrize("index,value,stored", ANSWERS_OK)
def test_valid_answers(index, value, stored):
    assert validate_answer(spec(index), value) == stored


ANSWERS_BAD = [
    (0, 5, "Please write your answer as text."),
    (0, "   ", "Please write an answer."),
    (0, "a\x00b", "Your answer contains a character we cannot store; please remove it."),
    (0, "x" * 10_001, "Please keep your answer under 10,000 characters."),
    (1, 11, "Choose a whole number from 0 to 10."),
    (1, -1, "Choose a whole number from 0 to 10."),
    (1, 2.5, "Choose a whole number from 0 to 10."),
    (1, "7", "Choose a whole number from 0 to 10."),
    (1, True, "Choose a whole number from 0 to 10."),
    (2, "Team", "Choose one of: Free, Pro or write your own."),
    (2, ["Pro"], "Choose one of: Free, Pro or write your own."),
    (2, {"other": ""}, "Please write an answer."),
    (2, {"other": "x", "more": 1}, "Choose one of: Free, Pro or write your own."),
    (3, [], "Choose at least 1 option."),
    (3, ["A", "B", "C"], "Choose at most 2 options."),
    (3, ["A", "A"], "Choose each option only once."),
    (3, ["D"], '"D" is not one of the options.'),
    (3, "A", "Choose from the list of options."),
    (4, ["Price", "Speed"], "Rank all 3 options, each once."),
    (4, ["Price", "Speed", "Speed"], "Choose each option only once."),
    (5, "yes", "Answer yes or no."),
    (5, 1, "Answer yes or no."),
    (5, None, "This question needs an answer."),
]


@pytest.mark.parametrize("index,value,message", ANSWERS_BAD)
def test_invalid_answers_say_what_to_do(index, value, message):
    with pytest.raises(AnswerError) as caught:
        validate_answer(spec(index), value)
    assert caught.value.message == message


def test_single_choice_without_other_refuses_other():
    [single] = validate_questions([{"key": "a", "type": "single_choice", "options": ["X", "Y"]}])
    with pytest.raises(AnswerError, match=r"^Choose one of: X, Y\.$"):
        validate_answer(single, {"other": "Z"})


def test_optional_question_may_be_skipped():
    [optional] = validate_questions([{"key": "a", "type": "yes_no", "required": False}])
    assert validate_answer(optional, None) is None


def test_choose_at_most_one_option_is_singular():
    [q] = validate_questions(
        [{"key": "a", "type": "multiple_choice", "options": ["A", "B"], "max_selected": 1}]
    )
    with pytest.raises(AnswerError, match=r"^Choose at most 1 option\.$"):
        validate_answer(q, ["A", "B"])


def test_meaning_and_wording_changes():
    old = spec(1)
    reworded = validate_questions(with_question(1, prompt="How likely, really?", max_label="Very"))[
        1
    ]
    assert meaning_changes(old, reworded) == []
    assert wording_changes(old, reworded) == {
        "prompt": {"from": "How likely...?", "to": "How likely, really?"},
        "max_label": {"from": "Extremely", "to": "Very"},
    }
    rescaled = validate_questions(with_question(1, max=5))[1]
    assert meaning_changes(old, rescaled) == ["max"]
    questions = with_question(2, type="multiple_choice")[:5]  # "team" branches on "plan"
    del questions[2]["allow_other"]
    assert meaning_changes(spec(2), validate_questions(questions)[2]) == [
        "type",
        "allow_other",
        "min_selected",
        "max_selected",
    ]
    reopted = validate_questions(with_question(2, options=["Free", "Pro", "Team"]))[2]
    assert meaning_changes(spec(2), reopted) == ["options"]
    rebranched = validate_questions(with_question(5, show_if=None))[5]
    assert meaning_changes(spec(5), rebranched) == ["show_if"]


@pytest.mark.parametrize(
    "show_if,answers,expected",
    [
        (None, {}, True),
        ({"question": "plan", "op": "eq", "value": "Pro"}, {"plan": "Pro"}, True),
        ({"question": "plan", "op": "eq", "value": "Pro"}, {"plan": "Free"}, False),
        ({"question": "plan", "op": "neq", "value": "Pro"}, {"plan": {"other": "x"}}, True),
        ({"question": "plan", "op": "in", "value": ["Pro", "Free"]}, {"plan": "Free"}, True),
        ({"question": "feat", "op": "contains", "value": "A"}, {"feat": ["B", "A"]}, True),
        ({"question": "feat", "op": "contains", "value": "C"}, {"feat": ["B", "A"]}, False),
        ({"question": "nps", "op": "gte", "value": 9}, {"nps": 9}, True),
        ({"question": "nps", "op": "lte", "value": 6}, {"nps": 9}, False),
        ({"question": "nps", "op": "lte", "value": 6}, {}, False),
    ],
)
def test_show_if_matches(show_if, answers, expected):
    assert show_if_matches(show_if, answers) is expected
