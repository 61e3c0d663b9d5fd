"""k-means core: planted groups are recovered, k=auto finds them, names and profiles read right."""

from __future__ import annotations

import numpy as np
import pytest

from segments.clusters import Feature, cluster, cluster_name, transform

FEATURES = [
    Feature("Report Exported"),
    Feature("Logged In"),
    Feature("Order Completed", "sum", "amount"),
]


def planted(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Three behavioral groups: exporters, daily loggers-in, big spenders."""
    rng = np.random.default_rng(seed)
    groups = [
        (rng.poisson(40, 300), rng.poisson(2, 300), rng.gamma(1.0, 5, 300)),
        (rng.poisson(1, 200), rng.poisson(60, 200), rng.gamma(1.0, 5, 200)),
        (rng.poisson(1, 100), rng.poisson(3, 100), rng.gamma(20.0, 50, 100)),
    ]
    matrix = np.vstack([np.column_stack(g) for g in groups]).astype(float)
    truth = np.repeat([0, 1, 2], [300, 200, 100])
    return matrix, truth


def agreement(labels: np.ndarray, truth: np.ndarray) -> float:
    """Share of rows whose cluster's majority truth label equals their own."""
    hits = 0
    for cluster_id in np.unique(labels):
        members = truth[labels == cluster_id]
        hits += np.bincount(members).max()
    return hits / len(truth)


def test_recovers_planted_groups_with_given_k():
    matrix, truth = planted()
    result = cluster(matrix, FEATURES, k=3, seed=0)
    assert result.k == 3
    assert agreement(result.labels, truth) >= 0.97
    assert [p.size for p in result.profiles] == sorted(
        (p.size for p in result.profiles), reverse=True
    )


def test_auto_k_picks_the_planted_number_of_groups():
    matrix, truth = planted()
    result = cluster(matrix, FEATURES, k="auto", seed=0)
    assert result.k == 3
    assert agreement(result.labels, truth) >= 0.97
    assert set(result.silhouette_by_k) == set(range(2, 9))
    assert max(result.silhouette_by_k, key=result.silhouette_by_k.get) == 3


def test_same_seed_same_result():
    matrix, _ = planted()
    a = cluster(matrix, FEATURES, k="auto", seed=4)
    b = cluster(matrix, FEATURES, k="auto", seed=4)
    assert np.array_equal(a.labels, b.labels)


def test_profiles_and_names_describe_the_groups():
    matrix, _ = planted()
    result = cluster(matrix, FEATURES, k=3, seed=0)
    by_size = {p.size: p for p in result.profiles}
    exporters, loggers, spenders = by_size[300], by_size[200], by_size[100]
    assert exporters.name.startswith("Heavy Report Exported")
    assert loggers.name.startswith("Heavy Logged In")
    assert spenders.name.startswith("Heavy sum amount of Order Completed")
    assert exporters.means["Report Exported"] == pytest.approx(40, abs=2)
    assert exporters.z_scores["Report Exported"] > 0.8
    assert sum(p.share for p in result.profiles) == pytest.approx(1.0)


def test_name_of_an_unremarkable_cluster():
    assert cluster_name(np.array([0.1, -0.2, 0.3]), FEATURES) == "Typical users"
    assert cluster_name(np.array([-1.2, 0.0, 0.0]), FEATURES) == "Rare Report Exported"


def test_transform_logs_counts_and_standardizes_constant_columns_to_zero():
    matrix = np.array([[0, 5, 1.0], [10, 5, 3.0], [100, 5, 2.0]])
    data = transform(matrix, FEATURES)
    assert np.allclose(data.mean(axis=0), 0)
    assert np.allclose(data[:, 1], 0)
    assert data[2, 0] - data[1, 0] < data[1, 0] - data[0, 0] + 1e-9  # log compresses the tail


@pytest.mark.parametrize("k,rows", [(5, 4), ("auto", 2)])
def test_too_few_people_is_a_clear_error(k, rows):
    matrix = np.ones((rows, 3))
    with pytest.raises(ValueError, match="people"):
        cluster(matrix, FEATURES, k=k)
