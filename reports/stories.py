"""Does a segment hold one story? Theme co-occurrence, clustered and checked against chance.

A behavioural segment is a boundary drawn by a clustering of what people do;
only what they say can tell whether it holds one kind of person or several
(solo operators who depend on the product daily, and team leads who only read
its reports). A story is a bundle of themes that the same people tell
together. Per segment, the themes are clustered by how they co-occur in
respondents (Jaccard distance between their columns of the respondents x
themes 0/1 matrix, average linkage, k = 2 .. themes - 1) and the best
silhouette is compared with the same procedure on permuted data (each theme's
column shuffled on its own: the same prevalences, no co-occurrence). The
segment holds distinct stories when its silhouette beats every permutation
but at most 5% of them, is at least `MIN_SILHOUETTE` (a structure worth
telling, not just a detectable one), and at least two clusters bundle two or
more themes. Respondents then join the story of which they tell the largest
share; each group gets its size, its themes and verified quotes.

Clustering the themes rather than the respondents is deliberate: people who
each mention one topic of several form tidy respondent clusters without any
theme going with another, and that is a spread of topics, not distinct stories.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist, squareform

from reports.themes import Coding, verified

MIN_RESPONDENTS: Final = 20
MIN_SILHOUETTE: Final = 0.25
PERMUTATIONS: Final = 99
SEED: Final = 0


def subgroups(
    codings: Sequence[Coding],
    segments: Sequence[str],
    sources: Mapping[str, Sequence[str]],
    *,
    seed: int = SEED,
) -> dict[str, list[dict[str, Any]]]:
    """For each segment whose respondents tell distinct stories, its groups; others are absent."""
    found: dict[str, list[dict[str, Any]]] = {}
    for segment in segments:
        mine = [coding for coding in codings if coding.segment == segment]
        groups = segment_groups(mine, sources, seed=seed)
        if groups:
            found[segment] = groups
    return found


def segment_groups(
    codings: Sequence[Coding], sources: Mapping[str, Sequence[str]], *, seed: int = SEED
) -> list[dict[str, Any]]:
    """The groups of one segment's respondents, or [] when they tell one story."""
    themes_of: dict[str, set[str]] = defaultdict(set)
    for coding in codings:
        themes_of[coding.interview].add(coding.theme)
    labels = sorted({coding.theme for coding in codings})
    interviews = sorted(themes_of)
    if len(interviews) < MIN_RESPONDENTS or len(labels) < 4:
        return []
    data = np.array(
        [[label in themes_of[interview] for label in labels] for interview in interviews],
        dtype=bool,
    )
    observed, clusters = best_theme_clustering(data)
    if clusters is None or observed < MIN_SILHOUETTE:
        return []
    bundles = [members for members in _members(clusters) if len(members) >= 2]
    if len(bundles) < 2:
        return []
    rng = np.random.default_rng(seed)
    # p = (1 + beaten) / (1 + PERMUTATIONS) must stay <= 0.05: stop once it cannot.
    allowed = int(0.05 * (1 + PERMUTATIONS)) - 1
    beaten = 0
    for _ in range(PERMUTATIONS):
        if best_theme_clustering(_permuted(data, rng))[0] >= observed:
            beaten += 1
            if beaten > allowed:
                return []
    return _groups(data, bundles, labels, interviews, codings, sources)


def best_theme_clustering(data: np.ndarray) -> tuple[float, np.ndarray | None]:
    """The best silhouette of the themes (columns) clustered by co-occurrence, and its clusters."""
    columns = data.T
    if columns.shape[0] < 3 or (~columns.any(axis=1)).any():
        return -1.0, None
    distances = pdist(columns, metric="jaccard")
    tree = linkage(distances, method="average")
    square = squareform(distances)
    best: tuple[float, np.ndarray | None] = (-1.0, None)
    for k in range(2, columns.shape[0]):
        clusters = fcluster(tree, t=k, criterion="maxclust")
        if len(set(clusters.tolist())) < 2 or len(set(clusters.tolist())) >= columns.shape[0]:
            continue
        score = silhouette(square, clusters)
        if score > best[0]:
            best = (score, clusters)
    return best


def silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """The mean silhouette of `labels` over a square distance matrix (a point alone in its
    cluster scores 0), as scikit-learn's `silhouette_score(metric="precomputed")`, without
    its per-call checks: the permutation test calls this about a thousand times."""
    clusters = np.unique(labels)
    means = np.stack([distances[:, labels == c].sum(axis=1) for c in clusters], axis=1)
    sizes = np.array([(labels == c).sum() for c in clusters], dtype=float)
    own = np.searchsorted(clusters, labels)
    own_size = sizes[own]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = means[np.arange(len(labels)), own] / (own_size - 1)
        others = means / sizes
    others[np.arange(len(labels)), own] = np.inf
    b = others.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(own_size > 1, (b - a) / np.maximum(a, b), 0.0)
    return float(np.nan_to_num(scores).mean())


def _members(clusters: np.ndarray) -> list[list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    for index, cluster in enumerate(clusters.tolist()):
        grouped[cluster].append(index)
    return list(grouped.values())


def _permuted(data: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    shuffled = data.copy()
    for column in range(shuffled.shape[1]):
        shuffled[:, column] = rng.permutation(shuffled[:, column])
    return shuffled


def _groups(
    data: np.ndarray,
    bundles: Sequence[Sequence[int]],
    labels: Sequence[str],
    interviews: Sequence[str],
    codings: Sequence[Coding],
    sources: Mapping[str, Sequence[str]],
) -> list[dict[str, Any]]:
    # Each respondent joins the bundle of which they tell the largest share (ties: none).
    shares = np.stack([data[:, bundle].mean(axis=1) for bundle in bundles], axis=1)
    top = shares.max(axis=1)
    winners = (shares == top[:, None]).sum(axis=1) == 1
    choice = shares.argmax(axis=1)
    groups = []
    for number, bundle in enumerate(bundles):
        members = {
            interviews[int(i)] for i in np.flatnonzero(winners & (choice == number) & (top > 0))
        }
        themes = [labels[index] for index in bundle]
        candidates = [
            {"text": coding.span, "interview": coding.interview}
            for coding in sorted(codings, key=lambda c: (-c.weight, c.interview))
            if coding.interview in members and coding.theme in themes
        ]
        groups.append(
            {
                "size": len(members),
                "themes": themes,
                "quotes": _one_per_interview(verified(candidates, sources))[:2],
            }
        )
    return sorted(groups, key=lambda group: -group["size"])


def _one_per_interview(quotes: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: set[str] = set()
    kept = []
    for quote in quotes:
        if quote["interview"] not in seen:
            seen.add(quote["interview"])
            kept.append(quote)
    return kept
