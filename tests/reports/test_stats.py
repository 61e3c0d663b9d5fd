from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from reports import stats

A = [7, 8, 9, 6, 8, 9, 10, 7, 8, 9, 8, 7]
B = [5, 6, 4, 7, 5, 6, 3, 5, 6, 4, 5, 6]
C = [6, 7, 5, 8, 6, 7, 6, 5, 7, 6, 7, 6]


def test_wilson_interval_matches_the_hand_worked_example() -> None:
    # 8 of 10, z = 1.96: centre (0.8 + 0.19207) / 1.38415 = 0.71674,
    # half-width 1.95996 * sqrt(0.016 + 0.0096036) / 1.38415 = 0.22658.
    interval = stats.wilson_interval(8, 10)

    assert interval is not None
    low, high = interval
    assert low == pytest.approx(0.49016, abs=1e-4)
    assert high == pytest.approx(0.94332, abs=1e-4)


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [(0, 10, (0.0, 0.27753)), (10, 10, (0.72247, 1.0)), (0, 0, None)],
)
def test_wilson_interval_at_the_edges(successes, n, expected) -> None:
    interval = stats.wilson_interval(successes, n)

    if expected is None:
        assert interval is None
    else:
        assert interval == pytest.approx(list(expected), abs=1e-4)


def test_benjamini_hochberg_by_hand_and_against_scipy() -> None:
    # Sorted 0.005, 0.01, 0.03, 0.04 -> p * 4 / rank = 0.02, 0.02, 0.04, 0.04.
    p_values = [0.01, 0.04, 0.03, 0.005]

    q_values = stats.benjamini_hochberg(p_values)

    assert q_values == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert q_values == pytest.approx(list(sps.false_discovery_control(p_values)))


def test_benjamini_hochberg_keeps_q_monotone_and_capped() -> None:
    assert stats.benjamini_hochberg([0.9, 0.8, 0.01]) == pytest.approx([0.9, 0.9, 0.03])
    assert stats.benjamini_hochberg([]) == []


def test_scale_summary_and_mann_whitney_against_scipy() -> None:
    result = stats.summarize_question(
        {"key": "nps", "type": "scale", "min": 0, "max": 10}, {"a": [*A, None], "b": B}
    )

    a = result["by_segment"]["a"]
    assert (a["n"], a["small_sample"], result["skipped"]) == (12, False, {"a": 1, "b": 0})
    assert a["mean"] == pytest.approx(np.mean(A))
    assert a["median"] == pytest.approx(np.median(A))
    low, high = sps.t.interval(0.95, 11, loc=np.mean(A), scale=sps.sem(A))
    assert a["ci"] == pytest.approx([low, high])
    assert a["distribution"]["8"] == 4
    assert a["distribution"]["0"] == 0
    u, p = sps.mannwhitneyu(A, B, alternative="two-sided")
    test = result["test"]
    assert (test["name"], test["statistic"], test["p_value"]) == ("Mann-Whitney U", u, p)
    assert test["effect_size"] == pytest.approx(2 * u / (12 * 12) - 1)
    assert test["leader"] == "a"


def test_cliffs_delta_by_hand() -> None:
    # Every a beats every b: U = 4, delta = 2 * 4 / 4 - 1 = 1.
    test = stats.rank_test([[3, 4], [1, 2]])

    assert test is not None
    assert test["effect_size"] == 1.0


def test_three_segments_use_kruskal_wallis() -> None:
    result = stats.summarize_scale({"a": A, "b": B, "c": C})

    h, p = sps.kruskal(A, B, C)
    assert (result["test"]["name"], result["test"]["statistic"]) == ("Kruskal-Wallis H", h)
    assert result["test"]["p_value"] == pytest.approx(p)
    assert result["test"]["effect_size"] == pytest.approx(h / (36 - 1))


def test_single_choice_uses_chi_square_when_counts_allow() -> None:
    answers: dict[str, list[object]] = {
        "a": ["Pro"] * 30 + ["Free"] * 10 + [{"other": "Team"}] * 10,
        "b": ["Pro"] * 12 + ["Free"] * 28 + [{"other": "Enterprise"}] * 10 + [None] * 3,
    }

    result = stats.summarize_question(
        {"key": "plan", "type": "single_choice", "options": ["Free", "Pro"]}, answers
    )

    table = [[10, 30, 10], [28, 12, 10]]
    chi2, p, _, _ = sps.chi2_contingency(table, correction=False)
    test = result["test"]
    assert (test["name"], test["statistic"], test["p_value"]) == ("chi-square", chi2, p)
    assert test["effect_size"] == pytest.approx(np.sqrt(chi2 / 100))
    # Largest Pearson residual: b/Free (28 - 19) / sqrt(19) = 2.06 over a/Pro 9 / sqrt(21) = 1.96.
    assert (test["leader"], test["finding"]) == ("b", "chooses 'Free' more often on {subject}")
    b = result["by_segment"]["b"]
    assert b["n"] == 50 and result["skipped"]["b"] == 3
    assert b["options"]["Other"]["count"] == 10
    assert b["options"]["Free"]["share"] == pytest.approx(28 / 50)
    assert b["options"]["Free"]["ci"] == pytest.approx(stats.wilson_interval(28, 50))


def test_small_two_by_two_uses_fishers_exact() -> None:
    answers = {"a": [True] * 9 + [False] * 1, "b": [True] * 3 + [False] * 8}

    result = stats.summarize_question({"key": "team", "type": "yes_no"}, answers)

    odds, p = sps.fisher_exact([[9, 1], [3, 8]])
    assert (result["test"]["name"], result["test"]["p_value"]) == ("Fisher's exact", p)
    assert result["test"]["statistic"] == pytest.approx(odds)


def test_small_larger_table_uses_a_seeded_monte_carlo_chi_square() -> None:
    answers = {"a": ["x"] * 8 + ["y"] * 2 + ["z"] * 1, "b": ["x"] * 2 + ["y"] * 6 + ["z"] * 3}

    first = stats.summarize_choice(answers, ["x", "y", "z"])["test"]
    again = stats.summarize_choice(answers, ["x", "y", "z"])["test"]

    assert first["name"] == "chi-square (Monte Carlo)"
    assert first["p_value"] == again["p_value"]
    chi2, asymptotic, _, _ = sps.chi2_contingency([[8, 2, 1], [2, 6, 3]], correction=False)
    assert first["statistic"] == pytest.approx(chi2)
    assert first["p_value"] == pytest.approx(asymptotic, abs=0.03)


def test_multiple_choice_tests_each_option() -> None:
    answers = {
        "a": [["A", "B"]] * 20 + [["C"]] * 20,
        "b": [["A"]] * 20 + [["A", "C"]] * 20,
    }

    result = stats.summarize_multiple_choice(answers, ["A", "B", "C"])

    assert result["by_segment"]["b"]["options"]["A"] == {
        "count": 40,
        "share": 1.0,
        "ci": stats.wilson_interval(40, 40),
    }
    _, p, _, _ = sps.chi2_contingency([[20, 20], [40, 0]], correction=False)
    assert result["option_tests"]["A"]["p_value"] == pytest.approx(p)
    assert result["option_tests"]["A"]["leader"] == "b"
    assert result["test"]["p_value"] == min(t["p_value"] for t in result["option_tests"].values())


def test_ranking_borda_and_mean_rank_by_hand() -> None:
    # A: 2 + 1 + 2 = 5 points, B: 1 + 2 + 0 = 3, C: 0 + 0 + 1 = 1.
    answers = {"a": [["A", "B", "C"], ["B", "A", "C"], ["A", "C", "B"]]}

    result = stats.summarize_ranking(answers, ["A", "B", "C"])

    options = result["by_segment"]["a"]["options"]
    assert [options[x]["borda"] for x in "ABC"] == [5, 3, 1]
    assert options["A"]["mean_rank"] == pytest.approx(4 / 3)
    assert options["A"]["borda_mean"] == pytest.approx(5 / 3)
    assert (options["A"]["top"], result["by_segment"]["a"]["top_choice"]) == (2, "A")
    assert result["by_segment"]["a"]["small_sample"] is True


def test_ranking_rank_test_per_option_against_scipy() -> None:
    a = [["Price", "Speed", "Support"]] * 12 + [["Speed", "Price", "Support"]] * 3
    b = [["Support", "Speed", "Price"]] * 10 + [["Speed", "Support", "Price"]] * 5

    result = stats.summarize_ranking({"a": a, "b": b}, ["Price", "Speed", "Support"])

    u, p = sps.mannwhitneyu([1] * 12 + [2] * 3, [3] * 15, alternative="two-sided")
    price = result["option_tests"]["Price"]
    assert (price["statistic"], price["p_value"], price["leader"]) == (u, p, "a")


def test_q_values_over_all_tests_and_no_claim_on_small_samples() -> None:
    big = stats.summarize_question({"key": "nps", "type": "scale"}, {"a": A * 2, "b": B * 2})
    small = stats.summarize_question(
        {"key": "csat", "type": "scale"}, {"a": [9, 9, 10, 9], "b": [1, 2, 1, 2]}
    )

    stats.apply_q_values([big, small])
    stats.describe_tests([big, small], {"a": "Power users", "b": "Trialists"})

    ps = [big["test"]["p_value"], small["test"]["p_value"]]
    assert [big["test"]["q_value"], small["test"]["q_value"]] == pytest.approx(
        list(sps.false_discovery_control(ps))
    )
    assert big["test"]["significant"] is True
    assert small["test"]["q_value"] < 0.05 and small["test"]["significant"] is False
    assert big["test"]["sentence"].startswith(
        "Power users scores higher on nps, and this is unlikely to be chance: q "
    )
    assert small["test"]["sentence"].startswith("Too few answers on csat")


def test_identical_answers_have_no_test() -> None:
    result = stats.summarize_scale({"a": [5] * 12, "b": [5] * 12})

    assert result["test"] is None
    assert result["by_segment"]["a"]["ci"] == [5.0, 5.0]
