"""The offline moderator: the rules, the templates per situation, the language."""

from __future__ import annotations

from typing import Any

import pytest

from interviews.moderator import (
    MAX_FOLLOWUP,
    Exchange,
    ProbeContext,
    ProbeDecision,
    check_followup,
    decide,
)
from studies.question_types import QuestionSpec

WHY = QuestionSpec(
    key="why_pricing",
    type="open_ended",
    prompt="What brought you to the pricing page last week?",
    probe_max_followups=2,
)
NPS = QuestionSpec(
    key="nps",
    type="scale",
    prompt="How likely are you to recommend us?",
    config={"min": 0, "max": 10, "min_label": "Not at all", "max_label": "Very likely"},
    probe_max_followups=1,
)
PLAN = QuestionSpec(
    key="plan",
    type="single_choice",
    prompt="Which plan are you on?",
    config={"options": ["Free", "Pro", "Team"], "allow_other": True},
    probe_max_followups=1,
)


def context(
    question: QuestionSpec = WHY,
    *answers: str,
    value: Any = None,
    language: str = "en",
    tone: str = "neutral",
    probe_structured: bool = False,
) -> ProbeContext:
    asked = [question.prompt] + [f"Follow-up {n}?" for n in range(1, len(answers))]
    return ProbeContext(
        objective="Understand why trial users upgrade.",
        language=language,
        tone=tone,
        probe_structured=probe_structured,
        question=question,
        value=answers[0] if value is None else value,
        exchanges=[Exchange(asked=a, answer=b) for a, b in zip(asked, answers, strict=True)],
    )


def assert_neutral_question(decision: ProbeDecision, language: str = "en") -> None:
    assert decision.probe
    assert check_followup(decision.followup, language) == ""
    assert len(decision.followup) <= MAX_FOLLOWUP


def test_a_vague_answer_is_probed_in_the_respondents_own_words() -> None:
    decision = decide(context(WHY, "It was ok I guess"))

    assert_neutral_question(decision)
    assert decision.followup == (
        'You said "It was ok". What do you mean by that, in your own situation?'
    )
    assert (decision.reason, decision.moderator) == ("the answer is vague", "offline")


def test_an_evasive_answer_gets_an_open_invitation_not_a_suggestion() -> None:
    decision = decide(context(WHY, "idk"))

    assert_neutral_question(decision)
    assert decision.followup.startswith("Take your time.")
    assert decision.reason == "the answer gives nothing to go on"


def test_a_reason_without_an_example_asks_for_a_specific_time() -> None:
    decision = decide(context(WHY, "Because it's easier."))

    assert_neutral_question(decision)
    assert decision.followup == (
        'You said "Because it\'s easier". Can you describe a specific time when that happened?'
    )
    assert decision.reason == "a reason without an example"


@pytest.mark.parametrize(
    "answer",
    [
        "Our trial ended on Friday and I had to check whether the Team plan includes SSO.",
        "I compared you with Mixpanel because their seat pricing doubled for our 40 users.",
        "For example, when I export the monthly churn report it takes ten minutes.",
    ],
)
def test_a_concrete_reason_or_example_stops_probing(answer: str) -> None:
    decision = decide(context(WHY, answer))

    assert decision == ProbeDecision(
        probe=False, followup="", reason=decision.reason, moderator="offline"
    )
    assert decision.reason.startswith("the answer")


def test_the_follow_up_limit_is_enforced_without_judging_the_answer() -> None:
    decision = decide(context(WHY, "idk", "not sure", "nothing really"))

    assert decision == ProbeDecision(
        probe=False, followup="", reason="follow-up limit reached (2)", moderator="offline"
    )


def test_a_second_vague_answer_asks_for_the_last_time_step_by_step() -> None:
    decision = decide(context(WHY, "Pricing stuff", "Just the usual things"))

    assert_neutral_question(decision)
    assert decision.followup == (
        "Could you walk me through the last time this came up, step by step?"
    )


def test_a_question_without_probing_is_never_probed() -> None:
    question = QuestionSpec(key="q", type="open_ended", prompt="Anything else?")

    decision = decide(context(question, "idk"))

    assert (decision.probe, decision.reason) == (False, "this question is not probed")


def test_structured_questions_are_probed_only_when_the_study_allows() -> None:
    refused = decide(context(NPS, "7", value=7))
    allowed = decide(context(NPS, "7", value=7, probe_structured=True))

    assert (refused.probe, refused.reason) == (
        False,
        "structured questions are not probed in this study",
    )
    assert_neutral_question(allowed)
    assert allowed.followup == ("You chose 7. What would need to change for you to rate it 8?")


def test_a_top_score_asks_what_makes_it_that_score() -> None:
    decision = decide(context(NPS, "10", value=10, probe_structured=True))

    assert decision.followup == "You chose 10. What makes you rate it 10?"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Pro", 'You chose "Pro". What drove that choice?'),
        ({"other": "Enterprise trial"}, 'You chose "Enterprise trial". What drove that choice?'),
    ],
)
def test_a_choice_asks_what_drove_it(value: Any, expected: str) -> None:
    decision = decide(context(PLAN, "Pro", value=value, probe_structured=True))

    assert_neutral_question(decision)
    assert decision.followup == expected
    assert decision.reason == "a choice without a reason"


def test_german_studies_get_german_follow_ups_formal_or_friendly() -> None:
    formal = decide(context(WHY, "Keine Ahnung", language="de"))
    vague = decide(context(WHY, "war ok", language="de", tone="formal"))
    friendly = decide(
        context(NPS, "7", value=7, language="de", tone="friendly", probe_structured=True)
    )

    assert_neutral_question(formal, "de")
    assert formal.followup.startswith("Lassen Sie sich Zeit.")
    assert (
        vague.followup == 'Sie sagten „war ok". Was meinen Sie damit, in Ihrer eigenen Situation?'
    )
    assert (
        friendly.followup == "Du hast 7 gewählt. Was müsste sich ändern, damit du 8 geben würdest?"
    )


def test_the_quoted_words_cannot_smuggle_a_link_or_a_second_question() -> None:
    decision = decide(
        context(WHY, "because see www.evil.example.com? it is fine https://x.io/a?b=1")
    )

    assert_neutral_question(decision)
    assert "http" not in decision.followup and "www" not in decision.followup
    assert decision.followup.count("?") == 1


def test_a_follow_up_already_asked_is_not_asked_again() -> None:
    question = QuestionSpec(key="q", type="open_ended", prompt="Why?", probe_max_followups=3)
    evasive = (
        "Take your time. What is the first thing that comes to mind about it, "
        "even if it seems small?"
    )
    again = "Could you walk me through the last time this came up, step by step?"
    second = ProbeContext(
        objective="",
        language="en",
        tone="neutral",
        probe_structured=False,
        question=question,
        value="idk",
        exchanges=[Exchange("Why?", "idk"), Exchange(evasive, "no idea")],
    )
    third = ProbeContext(
        **{**second.__dict__, "exchanges": [*second.exchanges, Exchange(again, "dunno")]}
    )

    assert decide(second).followup == again
    assert decide(third) == ProbeDecision(
        probe=False, followup="", reason="no new follow-up to ask", moderator="offline"
    )


def test_an_other_answer_that_explains_itself_is_not_probed() -> None:
    other = {"other": "Enterprise, because our auditor requires SAML and a signed DPA"}

    decision = decide(context(PLAN, "Enterprise", value=other, probe_structured=True))

    assert (decision.probe, decision.reason) == (False, "the answer gives a concrete reason")
