"""k-means usage clusters: transform, standardize, choose k, profile and name each cluster.

The feature matrix (one row per person, one column per event aggregate) is
built by the database; this module is the numeric core on top of it:

1. counts and other non-negative magnitudes are `log1p`-transformed, so one
   heavy user does not define a cluster on their own;
2. every column is standardized (mean 0, sd 1; a constant column stays 0);
3. k-means (scikit-learn, `n_init=10`, seeded) with k given, or `"auto"`: the k
   in 2..8 with the best silhouette score (computed on a seeded sample of at most
   5,000 rows, so choosing k stays fast at 100k people);
4. each cluster gets a profile (its size, the mean raw value of every feature
   and the z-score of that mean against the whole population) and a name from
   its most distinctive features, e.g. "Heavy Report Exported, rare Logged In",
   which the researcher can edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

AUTO_K_RANGE = range(2, 9)
SILHOUETTE_SAMPLE = 5000
# Aggregates whose values are non-negative magnitudes with long tails.
LOG_AGGREGATES = frozenset({"count", "sum", "distinct_days"})
MAGNITUDE_AGGREGATES = frozenset({"count", "sum", "distinct_days"})
DISTINCT_Z = 0.5


@dataclass(frozen=True)
class Feature:
    """One clustering feature: an event aggregate of the rule grammar."""

    event: str
    agg: str = "count"
    property_key: str | None = None
    within_days: int | None = None

    @property
    def label(self) -> str:
        if self.agg == "count":
            return self.event
        if self.agg in {"sum", "avg", "min", "max"}:
            return f"{self.agg} {self.property_key} of {self.event}"
        return f"{self.agg.replace('_', ' ')} {self.event}"


@dataclass
class ClusterProfile:
    index: int
    size: int
    share: float
    means: dict[str, float]
    z_scores: dict[str, float]
    name: str


@dataclass
class ClusterResult:
    k: int
    labels: np.ndarray
    silhouette: float | None
    profiles: list[ClusterProfile] = field(default_factory=list)
    silhouette_by_k: dict[int, float] = field(default_factory=dict)


def transform(matrix: np.ndarray, features: list[Feature]) -> np.ndarray:
    """log1p the magnitude columns, then standardize every column."""
    data = np.array(matrix, dtype=float, copy=True)
    data = np.nan_to_num(data, nan=0.0)
    for column, feature in enumerate(features):
        if feature.agg in LOG_AGGREGATES:
            data[:, column] = np.log1p(np.clip(data[:, column], 0, None))
    mean = data.mean(axis=0)
    std = data.std(axis=0)
    constant = std < 1e-9
    std[constant] = 1.0
    scaled = (data - mean) / std
    scaled[:, constant] = 0.0
    return scaled


def _fit(data: np.ndarray, k: int, seed: int) -> np.ndarray:
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(data)


def _silhouette(data: np.ndarray, labels: np.ndarray, seed: int) -> float:
    if len(set(labels.tolist())) < 2:
        return -1.0
    size = min(len(data), SILHOUETTE_SAMPLE)
    return float(silhouette_score(data, labels, sample_size=size, random_state=seed))


def choose_k(data: np.ndarray, seed: int) -> tuple[int, np.ndarray, dict[int, float]]:
    """The k in 2..8 with the highest silhouette (ties go to the smaller k)."""
    scores: dict[int, float] = {}
    best: tuple[int, np.ndarray] | None = None
    for k in AUTO_K_RANGE:
        if k >= len(data):
            break
        labels = _fit(data, k, seed)
        scores[k] = _silhouette(data, labels, seed)
        if best is None or scores[k] > scores[best[0]]:
            best = (k, labels)
    if best is None:
        raise ValueError("Clustering needs at least 3 people with feature values.")
    return best[0], best[1], scores


def cluster(
    matrix: np.ndarray, features: list[Feature], *, k: int | str = "auto", seed: int = 0
) -> ClusterResult:
    """Cluster the rows of `matrix` (people by features)."""
    if matrix.ndim != 2 or matrix.shape[1] != len(features):
        raise ValueError("The matrix needs one column per feature.")
    data = transform(matrix, features)
    if k == "auto":
        chosen, labels, scores = choose_k(data, seed)
    else:
        chosen = int(k)
        if chosen >= len(data):
            raise ValueError(f"k = {chosen} needs more than {chosen} people; found {len(data)}.")
        labels, scores = _fit(data, chosen, seed), {}
    labels = _order_by_size(labels)
    result = ClusterResult(
        k=chosen,
        labels=labels,
        silhouette=_silhouette(data, labels, seed),
        silhouette_by_k=scores,
    )
    result.profiles = profile(matrix, labels, features)
    return result


def _order_by_size(labels: np.ndarray) -> np.ndarray:
    """Relabel so cluster 0 is the largest: stable, readable numbering across runs."""
    counts = np.bincount(labels)
    order = np.argsort(-counts, kind="stable")
    mapping = np.empty_like(order)
    mapping[order] = np.arange(len(order))
    return mapping[labels]


def profile(
    matrix: np.ndarray, labels: np.ndarray, features: list[Feature]
) -> list[ClusterProfile]:
    data = np.nan_to_num(np.asarray(matrix, dtype=float), nan=0.0)
    mean, std = data.mean(axis=0), data.std(axis=0)
    std[std < 1e-9] = 1.0
    profiles = []
    for index in range(int(labels.max()) + 1):
        rows = data[labels == index]
        means = rows.mean(axis=0)
        z = (means - mean) / std
        profiles.append(
            ClusterProfile(
                index=index,
                size=len(rows),
                share=len(rows) / len(data),
                means={f.label: round(float(m), 4) for f, m in zip(features, means, strict=True)},
                z_scores={f.label: round(float(v), 3) for f, v in zip(features, z, strict=True)},
                name=cluster_name(z, features),
            )
        )
    return profiles


def cluster_name(z_scores: Any, features: list[Feature]) -> str:
    """A short name from the (at most two) most distinctive features."""
    ranked = sorted(range(len(features)), key=lambda i: -abs(float(z_scores[i])))
    parts = []
    for i in ranked[:2]:
        z = float(z_scores[i])
        if abs(z) < DISTINCT_Z:
            continue
        magnitude = features[i].agg in MAGNITUDE_AGGREGATES
        word = ("Heavy" if magnitude else "High") if z > 0 else ("rare" if magnitude else "low")
        parts.append(f"{word} {features[i].label}")
    if not parts:
        return "Typical users"
    name = ", ".join(parts)
    return name[0].upper() + name[1:]
