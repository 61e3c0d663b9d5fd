from __future__ import annotations

import math

import pytest

from reports import language


def test_log_odds_z_matches_the_hand_computed_example() -> None:
    # Corpus: price 3, cheap 1, integration 1 (N = 5); prior a_w = corpus counts, a0 = 5.
    # a: price 2, cheap 1 (n = 3); b: price 1, integration 1 (n = 2).
    # cheap for a: log(2 / 6) - log(1 / 6) = log 2; var = 1/2 + 1/1; z = 0.5659.
    # price for a: log(5 / 3) - log(4 / 3) = log 1.25; var = 1/5 + 1/4; z = 0.3326.
    # integration for a: log(1 / 7) - log(2 / 5); var = 1/1 + 1/2; z = -0.8407.
    counts = language.log_odds_z(
        {
            "a": language.term_counts(["price price cheap"], ngrams=(1,)),
            "b": language.term_counts(["price integration"], ngrams=(1,)),
        }
    )

    assert counts["a"]["cheap"] == pytest.approx(math.log(2) / math.sqrt(1.5))
    assert counts["a"]["cheap"] == pytest.approx(0.5659, abs=1e-4)
    assert counts["a"]["price"] == pytest.approx(0.3326, abs=1e-4)
    assert counts["a"]["integration"] == pytest.approx(-0.8407, abs=1e-4)
    # Two segments: b's score of a term mirrors a's.
    assert counts["b"]["integration"] == pytest.approx(0.8407, abs=1e-4)


def test_terms_drop_english_and_german_stopwords_and_keep_content_bigrams() -> None:
    found = list(language.terms("The price is too high, und der Preis ist zu hoch! I can't pay."))

    # No bigram: a stopword stands between every pair of content words.
    assert found == ["price", "high", "preis", "hoch", "pay"]
    assert list(language.terms("monthly price increase", ngrams=(2,))) == [
        "monthly price",
        "price increase",
    ]


def test_distinctive_terms_lists_each_segments_own_words_first() -> None:
    texts = {
        "a": ["The price is too high"] * 6 + ["Slack integration works"],
        "b": ["We need the Slack integration"] * 6 + ["The price is fine"],
    }

    result = language.distinctive_terms(texts, top=3)

    # "high" (6 of a's, none of b's) beats "price" (6 of a's, 1 of b's); "price high"
    # is no bigram because "too" stands between them.
    assert [(row["term"], row["count"]) for row in result["a"]] == [("high", 6), ("price", 6)]
    # "need" is b's alone; "integration", "slack" and "slack integration" tie (6 to 1).
    assert [row["term"] for row in result["b"]] == ["need", "integration", "slack"]
    assert all(row["z"] > 0 for rows in result.values() for row in rows)
    assert language.distinctive_terms({"a": ["price"]}) == {"a": []}
