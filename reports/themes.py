"""Themes in open answers: found offline, measured per segment, quoted verbatim.

Pure functions on plain data (`OpenAnswer`: interview id, segment id, text).
Whatever found the themes (the offline analyzer here, or the model in
`reports/coding.py`), it hands over `Coding`s: this interview's answer shows
this theme, in this exact span. From those, `measure_themes` builds the
report's themes: prevalence per segment (share of the segment's respondents
with at least one coded span, Wilson interval), a contingency test across
segments (`reports.stats`), a kind (motivation, barrier, unmet need) and a few
quotes per segment — each one checked to be an exact substring of an answer
of the interview it names; whatever fails is dropped, never shown.

The offline analyzer (the default): answers are split into sentences,
sentences become TF-IDF vectors over the same content terms as
`reports.language` (unigrams and bigrams without stopwords), and NMF
(scikit-learn, seeded) finds the themes; each sentence belongs to its
strongest theme, and a theme is labelled by its top terms.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

from reports import language, stats

Kind = Literal["motivation", "barrier", "unmet_need"]

MAX_THEMES: Final = 12
MIN_RESPONDENTS: Final = 3
QUOTES_PER_SEGMENT: Final = 3
SEED: Final = 0

# Cue phrases, matched on word boundaries, lowercased; English and German.
CUES: Final[dict[Kind, tuple[str, ...]]] = {
    "unmet_need": (
        "i wish", "wish it", "missing", "would love", "if only", "lacks", "lacking",
        "doesn't have", "does not have", "need a", "needs a", "no way to", "fehlt",
        "wünsche", "hätte gern",
    ),
    "barrier": (
        "it's hard to", "it is hard to", "hard to", "can't", "cannot", "can not",
        "unable to", "too expensive", "difficult", "confusing", "frustrat", "blocked",
        "stops me", "problem", "schwierig", "kann nicht", "zu teuer",
    ),
    "motivation": (
        "because", "so that", "in order to", "to be able to", "want to", "helps me",
        "lets me", "weil", "damit", "um zu",
    ),
}  # fmt: skip
_CUE_RES: Final = {
    kind: re.compile(r"(?<!\w)(?:" + "|".join(re.escape(cue) for cue in cues) + r")")
    for kind, cues in CUES.items()
}
_SENTENCE_RE = re.compile(r"[^.!?\n]+[.!?]*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})


@dataclass(frozen=True)
class OpenAnswer:
    """One open answer (or follow-up answer) as the analysis sees it."""

    interview: str
    segment: str
    text: str


@dataclass(frozen=True)
class Coding:
    """A theme found in an interview, with the exact span that shows it."""

    interview: str
    segment: str
    theme: str
    span: str
    # How strongly the span carries the theme (NMF weight, or 1.0 from the model).
    weight: float = 1.0


@dataclass(frozen=True)
class Theme:
    label: str
    description: str
    kind: Kind | None = None


@dataclass(frozen=True)
class Sentence:
    interview: str
    segment: str
    text: str


def sentences(answers: Iterable[OpenAnswer]) -> list[Sentence]:
    """Every answer cut into sentences, each an exact substring of its answer."""
    found = []
    for answer in answers:
        for match in _SENTENCE_RE.finditer(answer.text):
            text = match.group().strip()
            if text:
                found.append(Sentence(answer.interview, answer.segment, text))
    return found


def tag_kind(texts: Iterable[str]) -> Kind:
    """The kind most of the texts' cue phrases point to; motivation when none do.

    An unmet need outranks a barrier outranks a motivation on a tie, since
    "I can't ... because" is a barrier with its reason, not a motivation.
    """
    votes: Counter[Kind] = Counter()
    for text in texts:
        lowered = text.lower().translate(_APOSTROPHES)
        for kind, pattern in _CUE_RES.items():
            if pattern.search(lowered):
                votes[kind] += 1
    if not votes:
        return "motivation"
    order: tuple[Kind, ...] = ("unmet_need", "barrier", "motivation")
    return max(order, key=lambda kind: (votes[kind], -order.index(kind)))


# --- the offline analyzer --------------------------------------------------------------


def offline_codings(
    answers: Sequence[OpenAnswer], *, max_themes: int = MAX_THEMES, seed: int = SEED
) -> tuple[list[Theme], list[Coding]]:
    """Themes by sentence-level TF-IDF + NMF, and each sentence coded to its strongest one."""
    units = sentences(answers)
    if len(units) < 2 * MIN_RESPONDENTS:
        return [], []
    vectorizer = TfidfVectorizer(analyzer=_analyzer, min_df=2, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([unit.text for unit in units])
    except ValueError:  # no term occurs twice: nothing shared to call a theme
        return [], []
    vocabulary = vectorizer.get_feature_names_out()
    k = _theme_count(len(units), matrix.shape[1], max_themes)
    if k < 1:
        return [], []
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=500)
    weights = model.fit_transform(matrix)
    labels = _labels(model.components_, vocabulary)
    strongest = weights.argmax(axis=1)
    codings = [
        Coding(unit.interview, unit.segment, labels[int(strongest[row])], unit.text, float(top))
        for row, (unit, top) in enumerate(zip(units, weights.max(axis=1), strict=True))
        if top > 0
    ]
    themes = [
        Theme(label, f"Answers that speak of {_describe(component, vocabulary)}.")
        for label, component in zip(labels, model.components_, strict=True)
    ]
    return themes, codings


def _analyzer(text: str) -> list[str]:
    return list(language.terms(text))


def _theme_count(sentence_count: int, term_count: int, max_themes: int) -> int:
    # More themes as sentences grow (with the square root), never more than terms to tell apart.
    return max(2, min(max_themes, round(math.sqrt(sentence_count / 2)), term_count - 1))


def _labels(components: np.ndarray, vocabulary: np.ndarray) -> list[str]:
    labels: list[str] = []
    for component in components:
        top = [str(vocabulary[index]) for index in np.argsort(component)[::-1][:3]]
        label = " / ".join(top)
        while label in labels:
            label += "'"
        labels.append(label)
    return labels


def _describe(component: np.ndarray, vocabulary: np.ndarray) -> str:
    top = [str(vocabulary[index]) for index in np.argsort(component)[::-1][:5]]
    return ", ".join(f'"{term}"' for term in top)


# --- measuring themes, whoever coded them ----------------------------------------------


def verified(
    quotes: Iterable[Mapping[str, str]], texts_by_interview: Mapping[str, Sequence[str]]
) -> list[dict[str, str]]:
    """The quotes that are exact substrings of an answer of the interview they cite."""
    kept = []
    for quote in quotes:
        text, interview = quote.get("text"), str(quote.get("interview"))
        if text and any(text in answer for answer in texts_by_interview.get(interview, ())):
            kept.append({"text": text, "interview": interview})
    return kept


def texts_by_interview(answers: Iterable[OpenAnswer]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for answer in answers:
        grouped[answer.interview].append(answer.text)
    return dict(grouped)


def measure_themes(
    themes: Sequence[Theme],
    codings: Sequence[Coding],
    respondents: Mapping[str, int],
    answers: Sequence[OpenAnswer],
    *,
    min_respondents: int = MIN_RESPONDENTS,
) -> list[dict[str, Any]]:
    """Each theme in the report's shape: prevalence per segment, a test, kind, verified quotes.

    `respondents` is the number of respondents per segment who gave any open
    answer (the denominator of every share). Themes coded for fewer than
    `min_respondents` respondents in all are left out.
    """
    sources = texts_by_interview(answers)
    by_theme: dict[str, list[Coding]] = defaultdict(list)
    for coding in codings:
        by_theme[coding.theme].append(coding)
    measured = []
    for theme in themes:
        coded = by_theme.get(theme.label, [])
        who = {sid: {c.interview for c in coded if c.segment == sid} for sid in respondents}
        if sum(len(interviews) for interviews in who.values()) < min_respondents:
            continue
        measured.append(_measure(theme, coded, who, respondents, sources))
    return measured


def _measure(
    theme: Theme,
    coded: Sequence[Coding],
    who: Mapping[str, set[str]],
    respondents: Mapping[str, int],
    sources: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    by_segment = {}
    table = []
    for sid, total in respondents.items():
        count = len(who[sid])
        by_segment[sid] = {
            "n": total,
            "count": count,
            "share": count / total if total else None,
            "ci": stats.wilson_interval(count, total),
            "small_sample": total < stats.MIN_N,
        }
        table.append([count, total - count])
    test = stats.contingency_test(table)
    if test is not None:
        test["leader"] = max(respondents, key=lambda sid: by_segment[sid]["share"] or 0.0)
        test["finding"] = 'mentions "{subject}" more often'
        test["small_sample"] = any(row["small_sample"] for row in by_segment.values())
    return {
        "label": theme.label,
        "description": theme.description,
        "kind": theme.kind or tag_kind(coding.span for coding in coded),
        "by_segment": by_segment,
        "test": test,
        "quotes": {sid: _quotes(coded, sid, sources) for sid in respondents},
    }


def _quotes(
    coded: Sequence[Coding], segment: str, sources: Mapping[str, Sequence[str]]
) -> list[dict[str, str]]:
    """The segment's strongest spans, one per interview, verified verbatim."""
    strongest = sorted(
        (c for c in coded if c.segment == segment), key=lambda c: (-c.weight, c.interview)
    )
    seen: set[str] = set()
    candidates = []
    for coding in strongest:
        if coding.interview in seen:
            continue
        seen.add(coding.interview)
        candidates.append({"text": coding.span, "interview": coding.interview})
    return verified(candidates, sources)[:QUOTES_PER_SEGMENT]


def respondents_per_segment(
    answers: Iterable[OpenAnswer], segments: Iterable[str]
) -> dict[str, int]:
    """How many respondents of each segment gave at least one open answer."""
    seen: dict[str, set[str]] = {sid: set() for sid in segments}
    for answer in answers:
        if answer.text.strip() and answer.segment in seen:
            seen[answer.segment].add(answer.interview)
    return {sid: len(interviews) for sid, interviews in seen.items()}
