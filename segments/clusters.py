"""k-means usage clusters: transform, standardize, choose k, profile and name each cluster.

The feature matrix (one row per person, one column per event aggregate) is
built by the database; this module is the numeric core on top of it:

1. counts and other non-negative magnitudes are `log1p`-transformed, so one
   heavy user does not define a cluster on their own;
2. every column is standardized (mean 0, sd 1; a constant column stays 0);
3. k-means (scikit-learn, `n_init=10`, seeded) with k given, or `"auto"`: the k
   in 2..8 with the best silhouette score (computed on a seeded sample of at most
   5,000 rows in 64 MB chunks, so choosing k stays fast and small at 100k people);
4. each cluster gets a profile (its size, the mean raw value of every feature
   and the z-score of that mean against the whole population) and a name from
   its most distinctive features, e.g. "Heavy Report Exported, rare Logged In",
   which the researcher can edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sklearn import config_context
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score

from people.models import Person
from segments.progress import Progress, no_progress
from workspaces.services import ServiceError

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
    stability: float | None = None


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
    # Pairwise distances are computed in chunks of at most 64 MB, not sklearn's 1 GB default.
    with config_context(working_memory=64):
        return float(silhouette_score(data, labels, sample_size=size, random_state=seed))


def choose_k(
    data: np.ndarray, seed: int, progress: Progress = no_progress
) -> tuple[int, np.ndarray, dict[int, float]]:
    """The k in 2..8 with the highest silhouette (ties go to the smaller k)."""
    scores: dict[int, float] = {}
    best: tuple[int, np.ndarray] | None = None
    for step, k in enumerate(AUTO_K_RANGE):
        if k >= len(data):
            break
        progress(
            25 + 50 * step // len(AUTO_K_RANGE),
            f"Trying {k} clusters ({AUTO_K_RANGE.start} to {AUTO_K_RANGE.stop - 1})",
        )
        labels = _fit(data, k, seed)
        scores[k] = _silhouette(data, labels, seed)
        if best is None or scores[k] > scores[best[0]]:
            best = (k, labels)
    if best is None:
        raise ValueError("Clustering needs at least 3 people with feature values.")
    return best[0], best[1], scores


def cluster(
    matrix: np.ndarray,
    features: list[Feature],
    *,
    k: int | str = "auto",
    seed: int = 0,
    progress: Progress = no_progress,
) -> ClusterResult:
    """Cluster the rows of `matrix` (people by features)."""
    if matrix.ndim != 2 or matrix.shape[1] != len(features):
        raise ValueError("The matrix needs one column per feature.")
    data = transform(matrix, features)
    if k == "auto":
        chosen, labels, scores = choose_k(data, seed, progress)
    else:
        progress(40, f"Fitting {k} clusters")
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
    progress(80, "Checking how stable the clusters are")
    result.stability = stability(data, labels, result.k, seed)
    return result


STABILITY_SEEDS = 3


def stability(data: np.ndarray, labels: np.ndarray, k: int, seed: int) -> float:
    """How much of the grouping survives re-clustering with other seeds: the mean adjusted
    Rand index (1 = the same groups, 0 = no better than chance) of `STABILITY_SEEDS`
    refits against `labels`, on a seeded sample of at most 5,000 people."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(data), size=min(len(data), SILHOUETTE_SAMPLE), replace=False)
    sample, expected = data[rows], labels[rows]
    if k >= len(sample):
        return 1.0
    agreements = [
        adjusted_rand_score(expected, _fit(sample, k, seed + offset))
        for offset in range(1, STABILITY_SEEDS + 1)
    ]
    return round(float(np.mean(agreements)), 4)


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
    """A short name from the (at most two) most distinctive features, strengths first."""
    ranked = sorted(range(len(features)), key=lambda i: -abs(float(z_scores[i])))
    chosen = [i for i in ranked[:2] if abs(float(z_scores[i])) >= DISTINCT_Z]
    chosen.sort(key=lambda i: float(z_scores[i]) < 0)
    parts = []
    for i in chosen:
        magnitude = features[i].agg in MAGNITUDE_AGGREGATES
        high = float(z_scores[i]) > 0
        word = ("heavy" if magnitude else "high") if high else ("rare" if magnitude else "low")
        parts.append(f"{word} {features[i].label}")
    if not parts:
        return "Typical users"
    name = ", ".join(parts)
    return name[0].upper() + name[1:]


# --- Cluster segments: features from the database, one child segment per cluster ---

# Features are per-person aggregates; `value` (a comparison) and `by` do not apply.
FEATURE_KEYS = frozenset({"event", "agg", "property", "within_days", "where"})
MAX_FEATURES = 12
FETCH_ROWS = 10_000


def validate_spec(definition: dict[str, Any], *, workspace: Any) -> dict[str, Any]:
    """Check `{"features": [event aggregate, ...], "k": "auto" | 2..12, "seed": int}`."""
    from segments.rules import RuleError, validate_definition

    def fail(message: str) -> ServiceError:
        return ServiceError(message, field="definition")

    unknown = set(definition) - {"features", "k", "seed"}
    if unknown:
        raise fail(f'definition: unknown key "{sorted(unknown)[0]}".')
    features = definition.get("features")
    if not isinstance(features, list) or not 1 <= len(features) <= MAX_FEATURES:
        raise fail(f"definition.features: a list of 1 to {MAX_FEATURES} event aggregates.")
    for index, feature in enumerate(features):
        if not isinstance(feature, dict) or "event" not in feature:
            raise fail(
                f'definition.features[{index}]: an event aggregate like {{"event": "Logged In"}}.'
            )
        extra = set(feature) - FEATURE_KEYS
        if extra:
            raise fail(f'definition.features[{index}]: unknown key "{sorted(extra)[0]}".')
        try:
            validate_definition(feature, workspace=workspace)
        except RuleError as exc:
            problem = exc.message.split(": ", 1)[-1]
            where = f"definition.features[{index}]" + (f".{exc.path}" if exc.path else "")
            raise fail(f"{where}: {problem}") from exc
    k = definition.get("k", "auto")
    if k != "auto" and (isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= 12):
        raise fail('definition.k: "auto" or a whole number from 2 to 12.')
    seed = definition.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise fail("definition.seed: a whole number, 0 or more.")
    return {"features": features, "k": k, "seed": seed}


def feature_matrix_sql(
    features: list[dict[str, Any]], *, workspace: Any, as_of: datetime
) -> tuple[str, list[Any]]:
    """One query: person id and one value per feature, for people with any feature event.

    Undefined aggregates (no events for avg/min/max/days_since_*) come back NULL
    and are filled by `fill_undefined`.
    """
    from django.db import connection

    from segments.rules.compiler import EVENT, PERSON, AggregateCompiler, Context, event_scope
    from segments.rules.dialects import dialect_for
    from segments.rules.sql import SQL, join, param, sql

    dialect = dialect_for(connection)
    dialect.prepare()
    ctx = Context(
        dialect=dialect,
        workspace_id=workspace.pk,
        as_of=as_of,
        time_zone=workspace.time_zone or "UTC",
    )
    joins, columns, anyone = [], [], []
    for index, feature in enumerate(features):
        node = {**feature}
        scope = event_scope(node, ctx, with_where=node.get("agg", "count") != "share")
        value = AggregateCompiler().compile(node, ctx)
        sub = sql(
            f"SELECT e.person_id AS pid, {{}} AS v FROM {EVENT} e WHERE {{}} GROUP BY e.person_id",  # noqa: S608
            value,
            scope,
        )
        joins.append(sql(f"LEFT JOIN ({{}}) f{index} ON f{index}.pid = rp.id", sub))
        zero = node.get("agg", "count") in {"count", "sum", "distinct_days"}
        columns.append(SQL(f"COALESCE(f{index}.v, 0)" if zero else f"f{index}.v"))
        anyone.append(SQL(f"f{index}.pid IS NOT NULL"))
    query = sql(
        f"SELECT rp.id, {{}} FROM {PERSON} rp {{}} WHERE rp.workspace_id = {{}} AND ({{}}) "  # noqa: S608
        "ORDER BY rp.id",
        join(", ", columns),
        join(" ", joins),
        param(workspace.pk),
        join(" OR ", anyone),
    )
    return query.text, list(query.params)


def load_matrix(query: str, params: list[Any], width: int) -> tuple[np.ndarray, np.ndarray]:
    """Stream the feature rows into arrays (memory grows with people, never with events)."""
    from django.db import connection

    blocks: list[np.ndarray] = []
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        while rows := cursor.fetchmany(FETCH_ROWS):
            # dtype=float turns SQL NULL (None) into NaN and Decimals into floats.
            blocks.append(np.array(rows, dtype=float))
    data = np.vstack(blocks) if blocks else np.empty((0, width + 1))
    return data[:, 0].astype(np.int64), data[:, 1:]


def fill_undefined(matrix: np.ndarray, features: list[Feature]) -> np.ndarray:
    """Undefined aggregates: days_since_* → the column's maximum (as long ago as anyone),
    avg/min/max/share → the column's mean; an all-undefined column becomes 0."""
    filled = np.array(matrix, dtype=float, copy=True)
    for column, feature in enumerate(features):
        values = filled[:, column]
        missing = np.isnan(values)
        if not missing.any():
            continue
        present = values[~missing]
        if present.size == 0:
            values[missing] = 0.0
        elif feature.agg.startswith("days_since"):
            values[missing] = present.max()
        else:
            values[missing] = present.mean()
    return filled


def feature_of(node: dict[str, Any]) -> Feature:
    return Feature(
        event=node["event"],
        agg=node.get("agg", "count"),
        property_key=node.get("property"),
        within_days=node.get("within_days"),
    )


def _child_definition(profile: ClusterProfile, result: ClusterResult) -> dict[str, Any]:
    return {
        "cluster": profile.index,
        "generated_name": profile.name,
        "profile": {
            "size": profile.size,
            "share": round(profile.share, 4),
            "means": profile.means,
            "z_scores": profile.z_scores,
        },
        "k": result.k,
        "silhouette": None if result.silhouette is None else round(result.silhouette, 4),
    }


def stability_words(stability: float | None) -> str:
    """The stability figure (mean adjusted Rand index across seeds) in a sentence."""
    if stability is None:
        return "Stability was not measured for this compute; recompute to measure it."
    figure = f"{stability:.2f}"
    if stability >= 0.9:
        verdict = "Very stable: other random starts find the same clusters."
    elif stability >= 0.75:
        verdict = "Stable: other random starts find nearly the same clusters."
    elif stability >= 0.5:
        verdict = (
            "Somewhat stable: the cores hold, but people near the borders move between "
            "clusters with another random start. Read the profiles, not individual members."
        )
    else:
        verdict = (
            "Unstable: another random start groups people quite differently, so these "
            "clusters may not be real. Try fewer clusters or other features."
        )
    return (
        f"{verdict} Clustering again with {STABILITY_SEEDS} other seeds agreed with this "
        f"grouping at {figure} on a scale where 1 is identical and 0 is what chance gives."
    )


def silhouette_bars(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Each k tried with its silhouette (how well separated the clusters are, -1..1) and
    a bar width, the chosen k marked: why this k."""
    scores = {int(k): float(v) for k, v in (summary.get("silhouette_by_k") or {}).items()}
    best = max(scores.values(), default=0.0) or 1.0
    return [
        {
            "k": k,
            "silhouette": value,
            "width": round(100 * max(value, 0.0) / best, 1) if best > 0 else 0.0,
            "chosen": k == summary.get("k"),
        }
        for k, value in sorted(scores.items())
    ]


def result_summary(
    result: ClusterResult, *, clustered: int, people: int, features: list[Feature]
) -> dict[str, Any]:
    """What the cluster page explains: why this k, who was left out and why, stability."""
    return {
        "k": result.k,
        "k_chosen": "silhouette" if result.silhouette_by_k else "given",
        "silhouette": None if result.silhouette is None else round(result.silhouette, 4),
        "silhouette_by_k": {str(k): round(v, 4) for k, v in result.silhouette_by_k.items()},
        "clustered": clustered,
        "left_out": [
            {
                "count": people - clustered,
                "reason": "no events of any feature ("
                + ", ".join(f.label for f in features)
                + ") in its window",
            }
        ]
        if people > clustered
        else [],
        "stability": result.stability,
    }


def run(
    definition: dict[str, Any], *, workspace: Any, as_of: datetime, progress: Progress = no_progress
) -> tuple[np.ndarray, ClusterResult, dict[str, Any]]:
    """Read the features, cluster, summarize: the person ids (in label order), the result
    and what the cluster page explains (`result_summary`). Writes nothing."""
    spec = validate_spec(definition, workspace=workspace)
    features = [feature_of(node) for node in spec["features"]]
    query, params = feature_matrix_sql(spec["features"], workspace=workspace, as_of=as_of)
    progress(15, "Reading each person's feature values")
    ids, matrix = load_matrix(query, params, len(features))
    needed = 3 if spec["k"] == "auto" else int(spec["k"]) + 1
    if len(ids) < needed:
        raise ServiceError(
            f"Cannot cluster yet: {len(ids)} people have events of these features; "
            f"k = {spec['k']} needs at least {needed}."
        )
    try:
        result = cluster(
            fill_undefined(matrix, features),
            features,
            k=spec["k"],
            seed=spec["seed"],
            progress=progress,
        )
    except ValueError as exc:
        raise ServiceError(f"Cannot cluster yet: {exc}") from exc
    people = Person.objects.filter(workspace_id=workspace.pk).count()
    summary = result_summary(result, clustered=len(ids), people=people, features=features)
    return ids, result, summary


def compute(
    *, segment: Any, as_of: datetime, now: datetime | None = None, progress: Progress = no_progress
) -> Any:
    """Cluster the people with feature events; one child segment per cluster.

    A child keeps a name the researcher edited; otherwise its name follows the
    generated one. Children beyond the new k are emptied and deactivated.
    """
    from django.db import transaction

    from segments import metrics
    from segments.membership import change_members
    from segments.models import Segment, SegmentKind

    ids, result, summary = run(
        segment.definition, workspace=segment.workspace, as_of=as_of, progress=progress
    )
    progress(85, "Saving each cluster's members")
    with transaction.atomic():
        Segment.objects.filter(pk=segment.pk).update(result=summary)
        children = {c.definition.get("cluster"): c for c in segment.children.select_for_update()}
        diffs: list[tuple[Segment, Any]] = []
        for profile in result.profiles:
            definition = _child_definition(profile, result)
            child = children.pop(profile.index, None)
            if child is None:
                child = Segment.objects.create(
                    workspace=segment.workspace,
                    parent=segment,
                    kind=SegmentKind.CLUSTER,
                    name=profile.name,
                    definition=definition,
                )
            else:
                renamed = child.name != child.definition.get("generated_name")
                child.name = child.name if renamed else profile.name
                child.definition, child.is_active = definition, True
                child.save(update_fields=["name", "definition", "is_active"])
            members = set(ids[result.labels == profile.index].tolist())
            diffs.append((child, change_members(segment=child, add=members, replace=True, now=now)))
        for leftover in children.values():
            diffs.append((leftover, change_members(segment=leftover, replace=True, now=now)))
            Segment.objects.filter(pk=leftover.pk).update(is_active=False)
        # Their shares of revenue are one follow-up with the parent's (`segment_compute`).
        for child, diff in diffs:
            metrics.record(child, diff, now=now or as_of)
        return change_members(segment=segment, add=set(ids.tolist()), replace=True, now=now)
