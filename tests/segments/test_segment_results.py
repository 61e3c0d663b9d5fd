"""Results worth reading: the RFM heatmap, tier bars and tier map of a saved RFM segment;
a cluster segment's chosen k with the silhouette of each k tried, who was left out and
why, and its stability in words; the cluster wizard's preview and its Advanced seed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from segments import clusters, jobs, rfm, services
from segments.models import JobStatus, Segment, SegmentComputeJob
from tests.factories import EventFactory, PersonFactory


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def did(person, name: str, times: int, days_ago: float = 1, **properties) -> None:
    for i in range(times):
        EventFactory(
            person=person,
            name=name,
            timestamp=timezone.now() - timedelta(days=days_ago, minutes=i),
            properties=properties,
        )


@pytest.fixture
def buyers(workspace):
    """Ten purchasers: the more recent, the more orders and the bigger the amounts."""
    for n in range(10):
        person = PersonFactory(workspace=workspace, user_id=f"buyer{n}")
        did(person, "Order Completed", n + 1, days_ago=100 - 10 * n, amount=10 * (n + 1))


def test_rfm_compute_stores_the_grid_and_the_page_draws_heatmap_bars_and_tier_map(
    signed_in, workspace, buyers
):
    segment = services.segment_create(
        workspace=workspace,
        name="Best",
        kind="rfm",
        definition={"event": "Order Completed", "include": ["Champions"]},
    )
    services.segment_compute(segment=segment)
    segment.refresh_from_db()
    grid = segment.result["grid"]
    assert segment.result["purchasers"] == 10 == sum(c["count"] for c in grid)
    # amounts: buyer n spent (n+1) * 10 * (n+1)
    assert segment.result["revenue"] == sum(10 * (n + 1) ** 2 for n in range(10))
    top = next(c for c in grid if (c["r"], c["fm"]) == (5, 5))
    assert top == {"r": 5, "fm": 5, "count": 2, "revenue": 10 * 81 + 10 * 100}

    heat = rfm.heatmap(segment.result)
    champions = heat["rows"][0]["cells"][4]
    assert champions["tier"] == "Champions" and champions["included"] is True
    assert champions["revenue_share"] == pytest.approx(1810 / 3850)
    assert heat["tiers"][0]["tier"] in rfm.TIERS
    assert sum(t["count"] for t in heat["tiers"]) == 10

    page = signed_in.get(reverse("segments:detail", args=[segment.pk])).content.decode()
    assert 'data-testid="rfm-heatmap"' in page and 'data-testid="tier-bars"' in page
    assert "47.0% of revenue" in page  # the Champions cell: 1,810 of 3,850
    assert 'data-tier="Lost"' in page  # every cell carries its tier: the map used
    assert "10 purchasers at the last compute" in page


def test_rfm_heatmap_is_absent_before_a_compute(signed_in, workspace):
    segment = services.segment_create(
        workspace=workspace, name="Best", kind="rfm", definition={"event": "Order Completed"}
    )
    page = signed_in.get(reverse("segments:detail", args=[segment.pk])).content.decode()
    assert 'data-testid="rfm-heatmap"' not in page


@pytest.fixture
def two_groups(workspace):
    """Six exporters, six loggers-in, and two people with neither feature's events."""
    for n in range(12):
        person = PersonFactory(workspace=workspace, user_id=f"p{n}")
        if n < 6:
            did(person, "Report Exported", 20 + n)
            did(person, "Logged In", 1 + n % 2)
        else:
            did(person, "Logged In", 15 + n)
    for n in range(2):
        did(PersonFactory(workspace=workspace, user_id=f"quiet{n}"), "Page Viewed", 1)


FEATURES = [{"event": "Report Exported"}, {"event": "Logged In"}]


def test_cluster_page_says_why_this_k_who_was_left_out_and_how_stable(
    signed_in, workspace, two_groups
):
    segment = services.segment_create(
        workspace=workspace, name="Usage", kind="cluster", definition={"features": FEATURES}
    )
    services.segment_compute(segment=segment)
    segment.refresh_from_db()
    result = segment.result
    assert result["k"] == 2 and result["k_chosen"] == "silhouette"
    assert sorted(result["silhouette_by_k"]) == ["2", "3", "4", "5", "6", "7", "8"]
    assert result["silhouette_by_k"]["2"] == max(result["silhouette_by_k"].values())
    assert result["clustered"] == 12
    assert result["left_out"] == [
        {
            "count": 2,
            "reason": "no events of any feature (Report Exported, Logged In) in its window",
        }
    ]
    assert result["stability"] == 1.0  # two clean groups: every seed finds them

    page = signed_in.get(reverse("segments:detail", args=[segment.pk])).content.decode()
    assert "Why 2 clusters" in page and 'data-testid="silhouettes"' in page
    assert "chosen" in page
    assert "12 people were clustered. 2 people were left out: no events of any feature" in page
    assert "Very stable: other random starts find the same clusters." in page


@pytest.mark.parametrize(
    ("figure", "words"),
    [
        (0.95, "Very stable"),
        (0.8, "Stable: other random starts find nearly"),
        (0.6, "Somewhat stable"),
        (0.2, "Unstable"),
        (None, "not measured"),
    ],
)
def test_stability_in_words(figure, words):
    assert words in clusters.stability_words(figure)


def test_a_cluster_compute_job_reports_its_stages(workspace, two_groups):
    segment = services.segment_create(
        workspace=workspace, name="Usage", kind="cluster", definition={"features": FEATURES}
    )
    job = SegmentComputeJob.objects.create(segment=segment)
    seen: list[tuple[int, str]] = []
    original = SegmentComputeJob.objects.filter

    def spy(*args, **kwargs):
        query = original(*args, **kwargs)
        update = query.update

        def recording(**values):
            if "stage" in values and "status" not in values:
                seen.append((values["progress"], values["stage"]))
            return update(**values)

        query.update = recording
        return query

    SegmentComputeJob.objects.filter = spy
    try:
        finished = jobs.run_compute(job_id=job.pk)
    finally:
        SegmentComputeJob.objects.filter = original
    assert finished.status == JobStatus.DONE and finished.progress == 100
    stages = [stage for _, stage in seen]
    assert "Trying 2 clusters (2 to 8)" in stages and "Saving each cluster's members" in stages
    assert [p for p, _ in seen] == sorted(p for p, _ in seen)  # never goes backwards


def cluster_post(**extra):
    data = {
        "name": "",
        "k": "auto",
        "seed": "0",
        "features-TOTAL_FORMS": "2",
        "features-INITIAL_FORMS": "0",
        "features-0-event": "Report Exported",
        "features-0-agg": "count",
        "features-1-event": "Logged In",
        "features-1-agg": "count",
    }
    return data | extra


def test_cluster_wizard_previews_before_saving(signed_in, workspace, two_groups):
    response = signed_in.post(reverse("segments:preview-cluster"), cluster_post())
    page = response.content.decode()
    assert response.status_code == 200
    assert "Why 2 clusters" in page and page.count('data-testid="preview-cluster"') == 2
    assert "Heavy Report Exported" in page
    assert not Segment.objects.filter(workspace=workspace).exists()  # nothing saved


def test_cluster_preview_explains_a_problem(signed_in, workspace):
    response = signed_in.post(
        reverse("segments:preview-cluster"), cluster_post(**{"features-0-event": "Nothing"})
    )
    assert response.status_code == 200
    assert "Cannot cluster yet" in response.content.decode()


def test_cluster_wizard_keeps_the_seed_under_advanced(signed_in, workspace):
    page = signed_in.get(reverse("segments:new-cluster")).content.decode()
    advanced = page.index("<summary>Advanced</summary>")
    assert page.index('name="seed"') > advanced
    assert "Preview clusters" in page
