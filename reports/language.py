"""Distinctive language: which words and phrases one segment uses more than the others.

The weighted log-odds ratio with an informative Dirichlet prior (Monroe,
Colaresi & Quinn 2008, "Fightin' Words", section 3.5), as a z-score, for each
segment against all other segments pooled. With `y_w` the count of term `w`
in the segment, `n` its total, the others' counts `y'_w`, `n'`, and the prior
`a_w` (total `a0`):

    delta_w = log((y_w + a_w) / (n + a0 - y_w - a_w))
            - log((y'_w + a_w) / (n' + a0 - y'_w - a_w))
    var_w  ~= 1 / (y_w + a_w) + 1 / (y'_w + a_w)
    z_w     = delta_w / sqrt(var_w)

The prior is informative: `a_w` is the term's count over every segment's text
times `prior_weight` (1 by default, so the prior weighs as much as the data),
which shrinks rare terms towards zero and keeps a word said twice from
topping the list. Terms are unigrams and bigrams of adjacent words, lowercased,
English and German stopwords removed (a bigram needs two content words).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_GERMAN = """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
    anderes anders auch auf aus bei beim bin bis bist da dabei dadurch dafür dagegen daher
    damit dann darauf darum das dass daß dein deine deinem deinen deiner dem den denn der
    deren des deshalb dessen dich die dies diese diesem diesen dieser dieses dir doch dort
    du durch ein eine einem einen einer eines einig einige er es etwas euch euer eure für
    gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr
    ihre ihrem ihren ihrer im in indem ins ist ja jede jedem jeden jeder jedes jene jetzt
    kann kein keine keinem keinen keiner man manche mein meine meinem meinen meiner mich
    mir mit muss musste nach nicht nichts noch nun nur ob oder ohne schon sehr sein seine
    seinem seinen seiner sich sie sind so solche soll sollte sondern sonst über um und uns
    unser unsere unter viel vom von vor war waren warum was weil welche welchem welchen
    welcher wenn wer werde werden wie wieder will wir wird wo wollen wurde würde zu zum
    zur zwar zwischen
"""
GERMAN_STOP_WORDS: Final = frozenset(_GERMAN.split())
STOP_WORDS: Final = frozenset(ENGLISH_STOP_WORDS) | GERMAN_STOP_WORDS | {"s", "t", "don", "ve"}
TOP_TERMS: Final = 15

_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def tokens(text: str) -> list[str]:
    """Lowercased words of `text` (letters only; an apostrophe inside a word is kept)."""
    return _WORD_RE.findall(text.lower())


def terms(text: str, ngrams: Sequence[int] = (1, 2)) -> Iterator[str]:
    """The unigrams and bigrams of `text` that carry content (no stopword in them)."""
    words = [word.replace("'", "") for word in tokens(text)]
    content = [word not in STOP_WORDS and len(word) > 1 for word in words]
    if 1 in ngrams:
        yield from (word for word, keep in zip(words, content, strict=True) if keep)
    if 2 in ngrams:
        for index in range(len(words) - 1):
            if content[index] and content[index + 1]:
                yield f"{words[index]} {words[index + 1]}"


def term_counts(texts: Iterable[str], ngrams: Sequence[int] = (1, 2)) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(terms(text, ngrams))
    return counts


def log_odds_z(
    counts: Mapping[str, Counter[str]], prior_weight: float = 1.0
) -> dict[str, dict[str, float]]:
    """z-scores of every term for every segment against the others pooled."""
    corpus: Counter[str] = Counter()
    for segment_counts in counts.values():
        corpus.update(segment_counts)
    prior = {term: prior_weight * count for term, count in corpus.items()}
    prior_total = sum(prior.values())
    total = sum(corpus.values())
    scores: dict[str, dict[str, float]] = {}
    for sid, mine in counts.items():
        n = sum(mine.values())
        n_other = total - n
        scores[sid] = {}
        for term, alpha in prior.items():
            y = mine.get(term, 0)
            y_other = corpus[term] - y
            delta = math.log((y + alpha) / (n + prior_total - y - alpha)) - math.log(
                (y_other + alpha) / (n_other + prior_total - y_other - alpha)
            )
            variance = 1 / (y + alpha) + 1 / (y_other + alpha)
            scores[sid][term] = delta / math.sqrt(variance)
    return scores


def distinctive_terms(
    texts_by_segment: Mapping[str, Iterable[str]],
    *,
    top: int = TOP_TERMS,
    min_count: int = 2,
    ngrams: Sequence[int] = (1, 2),
    prior_weight: float = 1.0,
) -> dict[str, list[dict[str, Any]]]:
    """Per segment, its most distinctive terms: `[{"term", "z", "count"}]`, highest z first.

    Only terms the segment itself used at least `min_count` times and that lean
    its way (z > 0) are listed; a single segment has nothing to be distinct from.
    """
    counts = {sid: term_counts(texts, ngrams) for sid, texts in texts_by_segment.items()}
    if len(counts) < 2:
        return {sid: [] for sid in counts}
    scores = log_odds_z(counts, prior_weight)
    result: dict[str, list[dict[str, Any]]] = {}
    for sid, segment_scores in scores.items():
        ranked = sorted(
            (
                (z, term)
                for term, z in segment_scores.items()
                if z > 0 and counts[sid].get(term, 0) >= min_count
            ),
            key=lambda pair: (-pair[0], pair[1]),
        )
        result[sid] = [
            {"term": term, "z": round(z, 3), "count": counts[sid][term]} for z, term in ranked[:top]
        ]
    return result
