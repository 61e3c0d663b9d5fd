from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.spatial.distance import pdist, squareform
from sklearn.metrics import silhouette_score

from reports import stories, summary, themes
from reports.analysis import open_answers
from reports.themes import Coding, OpenAnswer, Theme
from tests.reports import synthetic
from tests.reports.synthetic import INTEGRATIONS, PRICE


def planted_answers(seed: int = 0, per_segment: int = 120) -> list[OpenAnswer]:
    return open_answers(synthetic.QUESTIONS, synthetic.responses(seed, per_segment))


def test_sentences_are_exact_substrings_of_their_answers() -> None:
    answer = OpenAnswer("i1", "a", "  The price is high! I wish it were cheaper.\nThanks")

    found = themes.sentences([answer])

    assert [sentence.text for sentence in found] == [
        "The price is high!",
        "I wish it were cheaper.",
        "Thanks",
    ]
    assert all(sentence.text in answer.text for sentence in found)


@pytest.mark.parametrize(
    ("texts", "kind"),
    [
        (["I wish it had a Salesforce sync.", "The export is missing."], "unmet_need"),
        (["It\u2019s hard to set up.", "I can't invite my team."], "barrier"),
        (["I use it because my boss asked.", "So that reports go out on time."], "motivation"),
        (["The dashboard.", "Reports."], "motivation"),
        (["Es fehlt eine Schnittstelle."], "unmet_need"),
    ],
)
def test_kind_is_tagged_by_cue_phrases(texts, kind) -> None:
    assert themes.tag_kind(texts) == kind


def test_offline_themes_find_the_planted_topics_with_verified_quotes() -> None:
    answers = planted_answers()

    found, codings = themes.offline_codings(answers)
    measured = themes.measure_themes(
        found, codings, themes.respondents_per_segment(answers, ["a", "b"]), answers
    )

    sources = themes.texts_by_interview(answers)

    def quoted(theme: dict) -> set[str]:
        return {quote["text"] for quotes in theme["quotes"].values() for quote in quotes}

    price = [t for t in measured if quoted(t) and quoted(t) <= set(PRICE)]
    integration = [t for t in measured if quoted(t) and quoted(t) <= set(INTEGRATIONS)]
    assert price and integration
    assert all(t["by_segment"]["b"]["count"] == 0 for t in price)
    assert all(t["by_segment"]["a"]["count"] == 0 for t in integration)
    # About 84 of a's 120 spoke of price; most land in themes of price alone.
    assert sum(t["by_segment"]["a"]["count"] for t in price) > 42
    assert {t["kind"] for t in integration} & {"unmet_need", "barrier"}
    for theme in measured:
        assert theme["kind"] in {"motivation", "barrier", "unmet_need"}
        for quotes in theme["quotes"].values():
            assert len(quotes) <= themes.QUOTES_PER_SEGMENT
            for quote in quotes:
                assert any(quote["text"] in text for text in sources[quote["interview"]])
    share = price[0]["by_segment"]["a"]
    assert share["ci"][0] < share["share"] < share["ci"][1]


def test_measure_themes_drops_quotes_that_are_not_verbatim() -> None:
    answers = [OpenAnswer(f"i{n}", "a", "The price is too high.") for n in range(4)]
    codings = [
        Coding("i0", "a", "price", "The price is too high."),
        Coding("i1", "a", "price", "The price is far too high.", weight=5.0),  # paraphrase
        Coding("missing", "a", "price", "The price is too high.", weight=9.0),  # no interview
    ]

    [theme] = themes.measure_themes(
        [Theme("price", "Price")], codings, {"a": 4}, answers, min_respondents=1
    )

    assert theme["quotes"]["a"] == [{"text": "The price is too high.", "interview": "i0"}]


def test_too_few_sentences_give_no_themes() -> None:
    assert themes.offline_codings([OpenAnswer("i1", "a", "Fine.")]) == ([], [])


def story_codings(segment: str, bundles: list[list[str]], per_bundle: int) -> list[Coding]:
    codings = []
    for number, bundle in enumerate(bundles):
        for person in range(per_bundle):
            interview = f"{segment}-{number}-{person}"
            # Each person tells all but one theme of their bundle (rotating), never another's.
            for index, theme in enumerate(bundle):
                if index != person % (len(bundle) + 1):
                    codings.append(Coding(interview, segment, theme, f"{theme} {person}"))
    return codings


def test_a_segment_with_two_bundles_of_themes_holds_two_stories() -> None:
    codings = story_codings("s", [["daily", "solo", "automation"], ["reporting", "team lead"]], 20)
    sources = {c.interview: [f"I said: {c.span}."] for c in codings}

    groups = stories.segment_groups(codings, sources)

    assert sorted(sorted(group["themes"]) for group in groups) == [
        ["automation", "daily", "solo"],
        ["reporting", "team lead"],
    ]
    assert sum(group["size"] for group in groups) == 40
    for group in groups:
        assert group["quotes"]
        for quote in group["quotes"]:
            assert quote["text"] in sources[quote["interview"]][0]


def test_themes_told_independently_are_one_story() -> None:
    # Each of 60 people mentions each of five themes with probability one half, independently.
    rng = random.Random(3)
    codings = [
        Coding(f"p{person}", "s", theme, theme)
        for person in range(60)
        for theme in ["a", "b", "c", "d", "e"]
        if rng.random() < 0.5
    ]

    assert stories.segment_groups(codings, {}) == []


def test_people_with_one_topic_each_are_not_distinct_stories() -> None:
    codings = [Coding(f"p{n}", "s", f"topic {n % 6}", "x") for n in range(120)]

    assert stories.segment_groups(codings, {}) == []


def test_summary_states_n_and_exclusions_and_cites_verified_quotes() -> None:
    segments = [
        {"id": "a", "name": "Power users", "completed": 40, "excluded": 2},
        {"id": "b", "name": "Trialists", "completed": 38, "excluded": 1},
    ]
    sig = {"significant": True, "leader": "a", "effect_size": 0.4, "sentence": "Power users X."}
    question = {"key": "nps", "test": {**sig, "effect_size": 0.2, "sentence": "Scale claim."}}
    good = {**sig, "sentence": "Theme claim."}
    bad = {**sig, "effect_size": 0.3, "sentence": "Fake claim."}
    theme_ok = {"test": good, "quotes": {"a": [{"text": "too high", "interview": "i1"}]}}
    theme_fake = {"test": bad, "quotes": {"a": [{"text": "never said", "interview": "i1"}]}}
    sources = {"i1": ["The price is too high."]}

    result = summary.compose_summary(segments, [question], [theme_ok, theme_fake], sources)

    assert result["text"] == (
        "Based on 78 completed interviews: 40 with Power users, 38 with Trialists; "
        "3 more were excluded as low quality. Theme claim [1]. Fake claim. Scale claim."
    )
    assert result["citations"] == [{"text": "too high", "interview": "i1"}]


def test_summary_without_significant_differences_says_so() -> None:
    segments = [{"id": "a", "name": "A", "completed": 5, "excluded": 0}]

    result = summary.compose_summary(segments, [], [], {})

    assert result["text"].endswith("certain enough to report.")
    assert "none were excluded" in result["text"]


@pytest.mark.parametrize("seed", range(5))
def test_the_silhouette_matches_scikit_learns(seed: int) -> None:
    rng = np.random.default_rng(seed)
    points = rng.random((9, 3))
    distances = squareform(pdist(points))
    labels = np.array([1, 1, 2, 2, 2, 3, 3, 1, 4])  # cluster 4 is a single point

    assert stories.silhouette(distances, labels) == pytest.approx(
        silhouette_score(distances, labels, metric="precomputed")
    )
