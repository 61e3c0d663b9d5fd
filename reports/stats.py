"""Statistics of structured answers, per segment, with a test of the difference.

Pure functions on plain data: answers arrive as `{segment id: [value, ...]}`, where
a value is what the interview stored for the question and `None` means the
respondent skipped it (skips are counted apart, never in `n`). Every test is
scipy's; each result is a JSON-ready dict in the report document's shape
(DESIGN.md, "Reports"):

    {"key", "type", "skipped": {sid: k},
     "by_segment": {sid: {"n", "small_sample", ...}},
     "test": {"name", "statistic", "p_value", "q_value", "effect_size", "effect_name",
              "leader", "finding", "significant", "sentence"} | None}

`multiple_choice` and `ranking` ask one question per option, so they carry
`option_tests` ({option: test}) and `test` is the option with the smallest p.

Choices of method:
- `scale`: Mann-Whitney U (two segments; effect = rank-biserial correlation,
  which equals Cliff's delta, positive when the first segment ranks higher) or
  Kruskal-Wallis (more; effect = epsilon-squared, H / (n - 1)).
- `single_choice`, `yes_no`, each `multiple_choice` option: Pearson's
  chi-square on the segments x options table (effect = Cramér's V). When an
  expected count is below 5, a 2x2 table gets Fisher's exact test; a larger
  table gets the chi-square statistic's Monte Carlo p-value over random tables
  with the same margins (the Monte Carlo form of Freeman-Halton's exact test,
  9,999 tables, fixed seed), so small tables are never read off the
  asymptotic distribution.
- `ranking`: per option, the rank it was given, compared like a scale.
- Benjamini-Hochberg q-values over every test of a report (`apply_q_values`).
- A segment with fewer than `MIN_N` answers is marked `small_sample`, and no
  test involving it is called significant.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import numpy as np
from scipy import stats as sps

MIN_N: Final = 10
ALPHA: Final = 0.05
CONFIDENCE: Final = 0.95
MONTE_CARLO_TABLES: Final = 9_999
SEED: Final = 0
OTHER: Final = "Other"

Answers = Mapping[str, Sequence[Any]]
Result = dict[str, Any]
TestResult = dict[str, Any]


# --- intervals and corrections ---------------------------------------------------------


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> list[float] | None:
    """The Wilson score interval of a proportion; None when there is nothing to estimate."""
    if n <= 0:
        return None
    z = float(sps.norm.ppf(0.5 + confidence / 2))
    share = successes / n
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    return [max(0.0, centre - half), min(1.0, centre + half)]


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input's order."""
    count = len(p_values)
    if count == 0:
        return []
    order = sorted(range(count), key=lambda index: p_values[index])
    q_values = [0.0] * count
    running = 1.0
    for rank in range(count, 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * count / rank)
        q_values[index] = running
    return q_values


def mean_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> list[float] | None:
    """The t interval of a mean; None below two values or with no spread to speak of."""
    if len(values) < 2:
        return None
    data = np.asarray(values, dtype=float)
    mean = float(data.mean())
    sem = float(sps.sem(data))
    if sem == 0:
        return [mean, mean]
    low, high = sps.t.interval(confidence, len(data) - 1, loc=mean, scale=sem)
    return [float(low), float(high)]


# --- the tests -------------------------------------------------------------------------


def _test(
    name: str, statistic: float, p_value: float, effect: float | None, effect_name: str | None
) -> TestResult:
    return {
        "name": name,
        "statistic": _finite(statistic),
        "p_value": _finite(p_value),
        "q_value": None,
        "effect_size": None if effect is None else _finite(effect),
        "effect_name": effect_name,
        "leader": None,
        "finding": None,
        "small_sample": False,
        "significant": False,
        "sentence": "",
    }


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def rank_test(groups: Sequence[Sequence[float]]) -> TestResult | None:
    """Mann-Whitney U (two groups, rank-biserial effect) or Kruskal-Wallis (more)."""
    groups = [list(group) for group in groups]
    if len(groups) < 2 or any(len(group) == 0 for group in groups):
        return None
    pooled = [value for group in groups for value in group]
    if len(set(pooled)) < 2:
        return None  # every answer alike: nothing to rank, nothing to test
    if len(groups) == 2:
        first, second = groups
        u, p = sps.mannwhitneyu(first, second, alternative="two-sided")
        effect = 2 * float(u) / (len(first) * len(second)) - 1
        return _test("Mann-Whitney U", u, p, effect, "rank-biserial correlation")
    h, p = sps.kruskal(*groups)
    effect = float(h) / (len(pooled) - 1)
    return _test("Kruskal-Wallis H", h, p, effect, "epsilon-squared")


def contingency_test(table: Sequence[Sequence[int]]) -> TestResult | None:
    """Chi-square on a segments x categories table, exact or Monte Carlo when counts are small."""
    observed = np.asarray(table, dtype=float)
    observed = observed[observed.sum(axis=1) > 0][:, observed.sum(axis=0) > 0]
    if observed.ndim != 2 or observed.shape[0] < 2 or observed.shape[1] < 2:
        return None
    expected = sps.contingency.expected_freq(observed)
    cramers_v = _cramers_v(observed)
    if expected.min() >= 5:
        chi2, p, _, _ = sps.chi2_contingency(observed, correction=False)
        return _test("chi-square", chi2, p, cramers_v, "Cramér's V")
    if observed.shape == (2, 2):
        odds, p = sps.fisher_exact(observed.astype(int))
        return _test("Fisher's exact", odds, p, cramers_v, "Cramér's V")
    method = sps.MonteCarloMethod(n_resamples=MONTE_CARLO_TABLES, rng=np.random.default_rng(SEED))
    result = sps.chi2_contingency(observed.astype(int), correction=False, method=method)
    return _test(
        "chi-square (Monte Carlo)", result.statistic, result.pvalue, cramers_v, "Cramér's V"
    )


def _cramers_v(observed: np.ndarray) -> float:
    chi2 = sps.chi2_contingency(observed, correction=False)[0]
    total = observed.sum()
    smaller = min(observed.shape) - 1
    return math.sqrt(float(chi2) / (total * smaller)) if total and smaller else 0.0


# --- per question type -----------------------------------------------------------------


def _split(answers: Answers) -> tuple[dict[str, list[Any]], dict[str, int]]:
    given = {
        sid: [value for value in values if value is not None] for sid, values in answers.items()
    }
    skipped = {sid: sum(1 for value in values if value is None) for sid, values in answers.items()}
    return given, skipped


def summarize_scale(
    answers: Answers, *, minimum: int | None = None, maximum: int | None = None
) -> Result:
    """n, mean, median, 95% CI of the mean, distribution; a rank test across segments."""
    given, skipped = _split(answers)
    by_segment: dict[str, Any] = {}
    for sid, values in given.items():
        numbers = [float(value) for value in values]
        by_segment[sid] = {
            "n": len(numbers),
            "small_sample": len(numbers) < MIN_N,
            "mean": float(np.mean(numbers)) if numbers else None,
            "median": float(np.median(numbers)) if numbers else None,
            "ci": mean_interval(numbers),
            "distribution": _distribution(numbers, minimum, maximum),
        }
    groups = [[float(value) for value in values] for values in given.values()]
    test = rank_test(groups)
    if test is not None:
        leader = max(given, key=lambda sid: by_segment[sid]["mean"] or 0.0)
        test["leader"] = leader
        test["finding"] = "scores higher on {subject}"
    return {"skipped": skipped, "by_segment": by_segment, "test": test}


def _distribution(values: Sequence[float], minimum: int | None, maximum: int | None) -> dict:
    if minimum is not None and maximum is not None:
        counts = {str(point): 0 for point in range(int(minimum), int(maximum) + 1)}
    else:
        counts = {}
    for value in values:
        label = str(int(value)) if float(value).is_integer() else str(value)
        counts[label] = counts.get(label, 0) + 1
    return counts


def choice_label(value: Any) -> str:
    """The category an answer counts under: the option, `Other` for a written-in one, Yes/No."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Mapping):
        return OTHER
    return str(value)


def summarize_choice(answers: Answers, options: Sequence[str]) -> Result:
    """Per option, count and share with a Wilson interval; one contingency test."""
    given, skipped = _split(answers)
    labels = _labels(
        options, (choice_label(value) for values in given.values() for value in values)
    )
    by_segment: dict[str, Any] = {}
    table = []
    for sid, values in given.items():
        counts = {label: 0 for label in labels}
        for value in values:
            counts[choice_label(value)] += 1
        table.append([counts[label] for label in labels])
        by_segment[sid] = {
            "n": len(values),
            "small_sample": len(values) < MIN_N,
            "options": _option_shares(counts, len(values)),
        }
    test = contingency_test(table)
    if test is not None:
        test["leader"], option = _largest_residual(list(given), labels, table)
        test["finding"] = f"chooses {option!r} more often on {{subject}}"
    return {"skipped": skipped, "by_segment": by_segment, "test": test}


def _labels(options: Sequence[str], seen: Iterable[str]) -> list[str]:
    labels = [str(option) for option in options]
    for label in seen:
        if label not in labels:
            labels.append(label)
    return labels


def _option_shares(counts: Mapping[str, int], n: int) -> dict[str, Any]:
    return {
        label: {"count": count, "share": count / n if n else None, "ci": wilson_interval(count, n)}
        for label, count in counts.items()
    }


def _largest_residual(
    segments: Sequence[str], labels: Sequence[str], table: Sequence[Sequence[int]]
) -> tuple[str, str]:
    """The (segment, option) cell furthest above what independence expects."""
    observed = np.asarray(table, dtype=float)
    rows = observed.sum(axis=1, keepdims=True)
    columns = observed.sum(axis=0, keepdims=True)
    expected = rows @ columns / observed.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        residual = np.where(expected > 0, (observed - expected) / np.sqrt(expected), -np.inf)
    row, column = np.unravel_index(int(np.argmax(residual)), residual.shape)
    return segments[int(row)], labels[int(column)]


def summarize_multiple_choice(answers: Answers, options: Sequence[str]) -> Result:
    """Per option, the share of respondents who chose it, and a test per option."""
    given, skipped = _split(answers)
    chosen = {
        sid: [[choice_label(item) for item in value] for value in values]
        for sid, values in given.items()
    }
    labels = _labels(
        options, (item for picks in chosen.values() for pick in picks for item in pick)
    )
    by_segment: dict[str, Any] = {}
    for sid, picks in chosen.items():
        counts = {label: sum(1 for pick in picks if label in pick) for label in labels}
        by_segment[sid] = {
            "n": len(picks),
            "small_sample": len(picks) < MIN_N,
            "options": _option_shares(counts, len(picks)),
        }
    option_tests: dict[str, TestResult] = {}
    for label in labels:
        table = [
            [
                by_segment[sid]["options"][label]["count"],
                by_segment[sid]["n"] - by_segment[sid]["options"][label]["count"],
            ]
            for sid in chosen
        ]
        test = contingency_test(table)
        if test is not None:
            test["leader"] = max(
                chosen, key=lambda sid: by_segment[sid]["options"][label]["share"] or 0.0
            )
            test["finding"] = f"chooses {label!r} more often on {{subject}}"
            option_tests[label] = test
    return {
        "skipped": skipped,
        "by_segment": by_segment,
        "option_tests": option_tests,
        "test": _smallest_p(option_tests),
    }


def summarize_ranking(answers: Answers, options: Sequence[str]) -> Result:
    """Mean rank, Borda score and top choice per option and segment; a rank test per option.

    Borda: in an ordering of m options the first gets m - 1 points, the last 0;
    `borda` is the segment's total and `borda_mean` the total per respondent.
    """
    given, skipped = _split(answers)
    labels = [str(option) for option in options]
    size = len(labels)
    ranks: dict[str, dict[str, list[int]]] = {}
    by_segment: dict[str, Any] = {}
    for sid, orderings in given.items():
        ranks[sid] = {label: [] for label in labels}
        tops = {label: 0 for label in labels}
        for ordering in orderings:
            for position, option in enumerate(ordering, start=1):
                if str(option) in ranks[sid]:
                    ranks[sid][str(option)].append(position)
            if ordering and str(ordering[0]) in tops:
                tops[str(ordering[0])] += 1
        n = len(orderings)
        by_segment[sid] = {
            "n": n,
            "small_sample": n < MIN_N,
            "options": {
                label: {
                    "mean_rank": float(np.mean(ranks[sid][label])) if ranks[sid][label] else None,
                    "borda": sum(size - position for position in ranks[sid][label]),
                    "borda_mean": (sum(size - p for p in ranks[sid][label]) / n) if n else None,
                    "top": tops[label],
                    "top_share": tops[label] / n if n else None,
                }
                for label in labels
            },
            "top_choice": max(labels, key=lambda label: tops[label]) if n else None,
        }
    option_tests: dict[str, TestResult] = {}
    for label in labels:
        test = rank_test([ranks[sid][label] for sid in given])
        if test is not None:
            # A lower rank number is a higher place: the leader ranks it highest.
            test["leader"] = min(
                given, key=lambda sid: by_segment[sid]["options"][label]["mean_rank"] or size
            )
            test["finding"] = f"ranks {label!r} higher on {{subject}}"
            option_tests[label] = test
    return {
        "skipped": skipped,
        "by_segment": by_segment,
        "option_tests": option_tests,
        "test": _smallest_p(option_tests),
    }


def _smallest_p(tests: Mapping[str, TestResult]) -> TestResult | None:
    ranked = [test for test in tests.values() if test["p_value"] is not None]
    return min(ranked, key=lambda test: test["p_value"]) if ranked else None


def summarize_question(question: Mapping[str, Any], answers: Answers) -> Result:
    """The summary of one structured question; None for a type with no statistics (open text)."""
    kind = question["type"]
    if kind == "scale":
        result = summarize_scale(answers, minimum=question.get("min"), maximum=question.get("max"))
    elif kind == "single_choice":
        result = summarize_choice(answers, question.get("options") or [])
    elif kind == "yes_no":
        result = summarize_choice(answers, ["Yes", "No"])
    elif kind == "multiple_choice":
        result = summarize_multiple_choice(answers, question.get("options") or [])
    elif kind == "ranking":
        result = summarize_ranking(answers, question.get("options") or [])
    else:
        raise ValueError(f"no statistics for question type {kind!r}")
    _mark_small(result)
    return {"key": question["key"], "type": kind, **result}


def _mark_small(result: Result) -> None:
    small = any(segment["small_sample"] for segment in result["by_segment"].values())
    for test in _tests_of(result):
        test["small_sample"] = small


def _tests_of(result: Mapping[str, Any]) -> list[TestResult]:
    tests = list(result.get("option_tests", {}).values())
    if not tests and result.get("test") is not None:
        tests = [result["test"]]
    return tests


# --- across the report -----------------------------------------------------------------


def apply_q_values(results: Iterable[Mapping[str, Any]], alpha: float = ALPHA) -> None:
    """Benjamini-Hochberg over every test of `results` (questions and themes), in place.

    A test is `significant` when q < alpha and no segment in it is a small sample.
    """
    tests = [
        test for result in results for test in _tests_of(result) if test["p_value"] is not None
    ]
    for test, q_value in zip(
        tests, benjamini_hochberg([test["p_value"] for test in tests]), strict=True
    ):
        test["q_value"] = q_value
        test["significant"] = q_value < alpha and not test["small_sample"]


def significance_sentence(test: Mapping[str, Any], names: Mapping[str, str], subject: str) -> str:
    """The test in plain words.

    "B scores higher on nps, and this is unlikely to be chance: q = 0.003".
    """
    if test.get("q_value") is None:
        return f"No difference on {subject} could be tested."
    q_text = _format_q(test["q_value"])
    if test["small_sample"]:
        return f"Too few answers on {subject} in at least one segment to tell ({q_text})."
    leader = names.get(str(test["leader"]), str(test["leader"]))
    if test["significant"]:
        # A finding names its subject where the sentence needs it ("{subject}").
        finding = str(test["finding"]).replace("{subject}", subject)
        return f"{leader} {finding}, and this is unlikely to be chance: {q_text}."
    return f"The segments do not differ clearly on {subject}: {q_text}, which chance could explain."


def _format_q(q_value: float) -> str:
    return "q < 0.001" if q_value < 0.001 else f"q = {q_value:.3f}"


def describe_tests(
    results: Iterable[Mapping[str, Any]], names: Mapping[str, str], label: str = "key"
) -> None:
    """Write each test's sentence in place; `label` names the result's field naming its subject."""
    for result in results:
        subject = str(result.get(label, ""))
        option_tests = result.get("option_tests", {})
        for option, test in option_tests.items():
            test["sentence"] = significance_sentence(test, names, f"{subject} ({option})")
        # With option tests, the question's test is one of them and already has its words.
        if not option_tests and result.get("test") is not None:
            result["test"]["sentence"] = significance_sentence(result["test"], names, subject)
