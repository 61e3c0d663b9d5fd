"""A segment a study targets names that study among its dependents before deletion."""

from __future__ import annotations

import pytest
from django.urls import reverse

from segments import dependents, services
from segments.models import Segment
from studies.models import StudySegment, StudyStatus
from tests.factories import SegmentFactory, StudyFactory, StudySegmentFactory
from workspaces.services import ServiceError


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def targeted_by(segment, status, title="Why pricing?"):
    study = StudyFactory(workspace=segment.workspace, title=title, status=status)
    StudySegmentFactory(study=study, segment=segment, position=0)
    return study


def study_dependents(segment):
    return [d for d in dependents.dependents_of(segment) if d.kind.endswith("study")]


@pytest.mark.parametrize(
    ("status", "kind", "blocks"),
    [
        (StudyStatus.DRAFT, "draft study", False),
        (StudyStatus.LIVE, "live study", True),
        (StudyStatus.PAUSED, "paused study", True),
        (StudyStatus.CLOSED, "closed study", True),
    ],
)
def test_a_targeting_study_is_a_dependent(workspace, status, kind, blocks):
    segment = SegmentFactory(workspace=workspace)
    study = targeted_by(segment, status)
    SegmentFactory(workspace=workspace)  # another segment's studies are not listed
    targeted_by(SegmentFactory(workspace=workspace), StudyStatus.LIVE, title="Elsewhere")

    found = study_dependents(segment)

    assert [(d.kind, d.name, d.blocks) for d in found] == [(kind, "Why pricing?", blocks)]
    assert found[0].url == reverse("studies:detail", args=[study.pk])


def test_a_draft_study_lets_the_segment_go_and_loses_the_target(workspace):
    segment = SegmentFactory(workspace=workspace)
    study = targeted_by(segment, StudyStatus.DRAFT)
    services.segment_delete(segment=segment)
    assert not Segment.objects.filter(pk=segment.pk).exists()
    assert not StudySegment.objects.filter(study=study).exists()


def test_a_launched_study_blocks_deleting_its_segment(workspace):
    segment = SegmentFactory(workspace=workspace, name="Pricing visitors")
    study = targeted_by(segment, StudyStatus.LIVE)
    with pytest.raises(ServiceError, match="live study “Why pricing\\?”"):
        services.segment_delete(segment=segment)
    assert Segment.objects.filter(pk=segment.pk).exists()
    assert StudySegment.objects.filter(study=study, segment=segment).exists()


def test_the_api_refuses_to_delete_a_segment_a_live_study_targets(api, workspace):
    segment = SegmentFactory(workspace=workspace)
    targeted_by(segment, StudyStatus.LIVE)
    response = api.delete(f"/api/v1/segments/{segment.pk}/")
    assert response.status_code == 400
    assert "Why pricing?" in response.json()["error"]
    assert Segment.objects.filter(pk=segment.pk).exists()


def test_the_api_deletes_a_segment_only_a_draft_targets(api, workspace):
    segment = SegmentFactory(workspace=workspace)
    targeted_by(segment, StudyStatus.DRAFT)
    assert api.delete(f"/api/v1/segments/{segment.pk}/").status_code == 204
    assert not Segment.objects.filter(pk=segment.pk).exists()


def test_the_delete_page_names_the_study(signed_in, workspace):
    segment = SegmentFactory(workspace=workspace, name="Pricing visitors")
    targeted_by(segment, StudyStatus.PAUSED)
    page = signed_in.get(reverse("segments:delete", args=[segment.pk])).content.decode()
    assert "Paused study" in page and "Why pricing?" in page and "change it first" in page
