from __future__ import annotations

import json

import pytest

from reports.analysis import SegmentInfo, analyze
from tests.reports import synthetic

SEGMENTS = [
    SegmentInfo("a", "Price watchers", invited=200, completed=150, excluded=4),
    SegmentInfo("b", "Integrators", invited=200, completed=150, excluded=0),
]


def topic(theme: dict) -> str:
    """What a theme is about, judged by its leading segment's quotes: a planted topic when
    every quote comes from that topic's sentences, else the label (an invented theme)."""
    quotes = {quote["text"] for quote in theme["quotes"][theme["test"]["leader"]]}
    if quotes and quotes <= set(synthetic.PRICE):
        return "price"
    if quotes and quotes <= set(synthetic.INTEGRATIONS):
        return "integrations"
    return theme["label"]


def significant(document: dict) -> set[tuple[str, str, str]]:
    """(subject, option or "", leading segment) of every significant test."""
    found = set()
    for question in document["questions"]:
        tests = question.get("option_tests") or {"": question["test"]}
        for option, test in tests.items():
            if test and test["significant"]:
                found.add((question["key"], option, test["leader"]))
    for theme in document["themes"]:
        if theme["test"] and theme["test"]["significant"]:
            found.add((f"theme:{topic(theme)}", "", theme["test"]["leader"]))
    return found


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_the_planted_differences_and_no_others_are_significant(seed: int) -> None:
    progress: list[tuple[int, str]] = []

    document = analyze(
        synthetic.QUESTIONS,
        SEGMENTS,
        synthetic.responses(seed, 150),
        progress=lambda percent, step: progress.append((percent, step)),
    )

    assert significant(document) == {
        ("nps", "", "a"),
        ("plan", "", "b"),
        ("theme:price", "", "a"),
        ("theme:integrations", "", "b"),
    }
    plan = next(q for q in document["questions"] if q["key"] == "plan")
    assert "chooses 'Teams' more often" in plan["test"]["sentence"]
    a_terms = [row["term"] for row in document["distinctive_terms"]["a"][:3]]
    b_terms = [row["term"] for row in document["distinctive_terms"]["b"][:3]]
    assert {"price", "cost"} <= set(a_terms)
    assert "integration" in b_terms
    assert document["subgroups"] == {}
    assert document["summary"]["text"].startswith(
        "Based on 300 completed interviews: 150 with Price watchers, 150 with Integrators; "
        "4 more were excluded as low quality."
    )
    citations = document["summary"]["citations"]
    assert len(citations) >= 2
    assert {quote["text"] for quote in citations} <= {*synthetic.PRICE, *synthetic.INTEGRATIONS}
    assert [percent for percent, _ in progress] == sorted(percent for percent, _ in progress)
    json.dumps(document)  # the document is plain JSON


def test_the_document_has_the_contracted_shape() -> None:
    document = analyze(synthetic.QUESTIONS, SEGMENTS, synthetic.responses(7, 30))

    assert set(document) >= {
        "segments",
        "questions",
        "themes",
        "distinctive_terms",
        "subgroups",
        "summary",
    }
    assert document["segments"][0] == {
        "id": "a",
        "name": "Price watchers",
        "invited": 200,
        "completed": 150,
        "excluded": 4,
    }
    assert [q["key"] for q in document["questions"]] == ["nps", "plan", "feat", "rank", "team"]
    nps = document["questions"][0]
    assert set(nps["test"]) >= {"name", "statistic", "p_value", "q_value", "effect_size"}
    assert nps["by_segment"]["a"]["n"] + nps["skipped"]["a"] == 30
    for theme in document["themes"]:
        assert set(theme) >= {"label", "description", "kind", "by_segment", "test", "quotes"}
        assert set(theme["by_segment"]["a"]) >= {"n", "share", "ci"}


def test_each_distinctive_term_has_a_verbatim_example_of_its_segment() -> None:
    responses = synthetic.responses(3, 40)
    texts = {r.interview: r.answers["why"] for r in responses}

    document = analyze(synthetic.QUESTIONS, SEGMENTS, responses)

    for sid, rows in document["distinctive_terms"].items():
        assert rows
        for row in rows:
            quote = row["quote"]
            assert quote["interview"].startswith(f"{sid}-")
            assert quote["text"] in texts[quote["interview"]]
            assert row["term"].split()[0] in quote["text"].lower()
