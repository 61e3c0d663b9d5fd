"""The segment list: search, sort by any column, archive, delete with its dependents named
first, compute jobs' progress and failures, and the overlap of active segments as a matrix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from segments import dependents, refresh, services
from segments.dependents import Dependent
from segments.models import JobStatus, Segment, SegmentComputeJob, SegmentKind, SegmentMembership
from tests.factories import (
    EventFactory,
    MembershipFactory,
    PersonFactory,
    SegmentFactory,
    WorkspaceFactory,
)
from workspaces.models import Role

LIST = reverse("segments:list")


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def names(response) -> list[str]:
    return [segment.name for segment, _nested in response.context["rows"]]


@pytest.fixture
def three(workspace):
    SegmentFactory(workspace=workspace, name="beta", size=30, kind=SegmentKind.RFM)
    SegmentFactory(workspace=workspace, name="Alpha", size=10)
    SegmentFactory(workspace=workspace, name="gamma", size=20, is_active=False)


def test_list_sorts_by_any_column_both_ways(signed_in, three):
    assert names(signed_in.get(LIST)) == ["Alpha", "beta", "gamma"]  # by name, any case
    assert names(signed_in.get(LIST, {"sort": "-size"})) == ["beta", "gamma", "Alpha"]
    assert names(signed_in.get(LIST, {"sort": "size"})) == ["Alpha", "gamma", "beta"]
    assert names(signed_in.get(LIST, {"sort": "status"})) == ["gamma", "Alpha", "beta"]
    page = signed_in.get(LIST, {"sort": "-size"}).content.decode()
    assert 'aria-sort="descending"' in page and 'data-sort="size"' in page
    # An unknown column is ignored, not an error.
    assert names(signed_in.get(LIST, {"sort": "password"})) == ["Alpha", "beta", "gamma"]


def test_list_search_by_name(signed_in, three):
    response = signed_in.get(LIST, {"q": "AMM"})
    assert names(response) == ["gamma"]
    nothing = signed_in.get(LIST, {"q": "zzz"})
    assert names(nothing) == [] and "No segment matches “zzz”" in nothing.content.decode()


def test_search_keeps_clusters_under_a_matching_parent(signed_in, workspace):
    parent = SegmentFactory(workspace=workspace, name="Usage", kind=SegmentKind.CLUSTER)
    SegmentFactory(
        workspace=workspace, name="Usage: heavy", kind=SegmentKind.CLUSTER, parent=parent
    )
    SegmentFactory(workspace=workspace, name="Other")
    rows = signed_in.get(LIST, {"q": "usage"}).context["rows"]
    assert [(s.name, nested) for s, nested in rows] == [("Usage", False), ("Usage: heavy", True)]


def test_archive_makes_a_segment_inactive_and_returns_to_the_list(signed_in, workspace):
    segment = SegmentFactory(workspace=workspace, name="Old")
    response = signed_in.post(reverse("segments:archive", args=[segment.pk]))
    assert response.status_code == 302 and response["Location"] == LIST
    segment.refresh_from_db()
    assert segment.is_active is False


def test_viewers_cannot_archive_or_delete(client, workspace):
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER).user
    client.force_login(viewer)
    segment = SegmentFactory(workspace=workspace)
    assert client.post(reverse("segments:archive", args=[segment.pk])).status_code == 403
    assert client.post(reverse("segments:delete", args=[segment.pk])).status_code == 403
    segment.refresh_from_db()
    assert segment.is_active is True


def test_delete_names_what_depends_first_and_refuses_while_a_rule_refers_to_it(
    signed_in, workspace
):
    base = SegmentFactory(workspace=workspace, name="Base")
    rule = SegmentFactory(
        workspace=workspace, name="Not base", definition={"not": {"segment": base.pk}}
    )
    url = reverse("segments:delete", args=[base.pk])
    page = signed_in.get(url).content.decode()
    assert "Not base" in page and "change it first" in page
    assert "cannot be deleted" in page
    response = signed_in.post(url, follow=True)
    assert "is used by rule segment “Not base”" in response.content.decode()
    assert Segment.objects.filter(pk=base.pk).exists()
    rule.delete()
    response = signed_in.post(url)
    assert response.status_code == 302 and response["Location"] == LIST
    assert not Segment.objects.filter(pk=base.pk).exists()


def test_delete_lists_clusters_and_registered_dependents(signed_in, workspace):
    parent = SegmentFactory(workspace=workspace, name="Usage", kind=SegmentKind.CLUSTER)
    SegmentFactory(workspace=workspace, name="Heavy", kind=SegmentKind.CLUSTER, parent=parent)

    def studies(segment: Segment) -> list[Dependent]:
        return [Dependent(kind="study", name=f"Why {segment.name}")]

    dependents.register(studies)
    try:
        page = signed_in.get(reverse("segments:delete", args=[parent.pk])).content.decode()
    finally:
        dependents._finders.remove(studies)
    assert "Cluster <a" in page and "Heavy" in page and "Study Why Usage" in page
    assert "Delete “Usage”" in page


def test_delete_of_another_workspaces_segment_is_404(signed_in):
    other = SegmentFactory(workspace=WorkspaceFactory())
    assert signed_in.post(reverse("segments:delete", args=[other.pk])).status_code == 404
    assert Segment.objects.filter(pk=other.pk).exists()


def test_overlap_matrix_of_active_segments(signed_in, workspace):
    a = SegmentFactory(workspace=workspace, name="A", size=2)
    b = SegmentFactory(workspace=workspace, name="B", size=2)
    SegmentFactory(workspace=workspace, name="Off", is_active=False)
    now = timezone.now()
    people = PersonFactory.create_batch(3, workspace=workspace)
    for segment, members in ((a, people[:2]), (b, people[1:])):
        SegmentMembership.objects.bulk_create(
            SegmentMembership(segment=segment, person=p, entered_at=now) for p in members
        )
    response = signed_in.get(LIST)
    matrix = response.context["matrix"]
    assert [row["segment"]["name"] for row in matrix] == ["A", "B"]
    assert matrix[0]["cells"][1] == {"self": False, "both": 1, "jaccard": 0.3333, "high": False}
    page = response.content.decode()
    assert 'data-testid="overlap-matrix"' in page and "33%" in page and "1 in both" in page


def test_overlap_warnings_are_data_rendered_by_the_page(signed_in, workspace, api):
    a = SegmentFactory(workspace=workspace, name="A", size=1, playbook="Call them")
    b = SegmentFactory(workspace=workspace, name="B", size=1, playbook="call  them")
    person = PersonFactory(workspace=workspace)
    for segment in (a, b):
        SegmentMembership.objects.create(segment=segment, person=person, entered_at=timezone.now())
    warnings = api.get("/api/v1/segments/overlap/").json()["warnings"]
    assert [(w["code"], w["segments"], w["figure"]) for w in warnings] == [
        ("high_overlap", [a.pk, b.pk], 1.0),
        ("same_playbook", [a.pk, b.pk], 2),
    ]
    page = signed_in.get(LIST).content.decode()
    assert "“A” and “B” share 100% of their members; consider merging them." in page
    assert "Segments “A”, “B” share one playbook; consider merging them." in page


def test_refresh_computes_each_segment_as_a_job_and_the_list_shows_failures(signed_in, workspace):
    person = PersonFactory(workspace=workspace, user_id="a")
    EventFactory(person=person, name="Signed Up", timestamp=timezone.now() - timedelta(hours=1))
    good = services.segment_create(
        workspace=workspace, name="Signed up", kind="rule", definition={"event": "Signed Up"}
    )
    bad = services.segment_create(
        workspace=workspace,
        name="Too few",
        kind="cluster",
        definition={"features": [{"event": "Nothing"}], "k": 3},
    )
    assert refresh.refresh_workspace(workspace_id=workspace.pk) == 1
    ok = SegmentComputeJob.objects.get(segment=good)
    failed = SegmentComputeJob.objects.get(segment=bad)
    assert (ok.status, ok.progress, ok.size) == (JobStatus.DONE, 100, 1)
    assert failed.status == JobStatus.FAILED and "Cannot cluster yet" in failed.error
    page = signed_in.get(LIST).content.decode()
    assert "Last compute failed: Cannot cluster yet: 0 people have events" in page


def test_refresh_leaves_a_segment_whose_compute_is_already_running(db):
    workspace = WorkspaceFactory()
    segment = services.segment_create(
        workspace=workspace, name="S", kind="rule", definition={"event": "Signed Up"}
    )
    running = SegmentComputeJob.objects.create(segment=segment, status=JobStatus.RUNNING)
    assert refresh.refresh_workspace(workspace_id=workspace.pk) == 0
    assert list(SegmentComputeJob.objects.filter(segment=segment)) == [running]


def test_the_list_shows_a_running_jobs_stage_and_progress(signed_in, workspace):
    segment = SegmentFactory(workspace=workspace, name="Busy")
    SegmentComputeJob.objects.create(
        segment=segment, status=JobStatus.RUNNING, progress=40, stage="Trying 4 clusters"
    )
    assert "Computing: Trying 4 clusters (40%)" in signed_in.get(LIST).content.decode()
