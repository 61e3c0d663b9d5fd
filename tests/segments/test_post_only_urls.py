"""A GET of a segment URL that only takes POSTs goes to the page it belongs to."""

from __future__ import annotations

import pytest
from django.test import Client

from segments.models import Segment
from tests.factories import SegmentFactory


@pytest.fixture
def researcher(workspace, owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.mark.parametrize(
    "path,page",
    [
        ("/segments/preview/", "/segments/new/"),
        ("/segments/preview/rfm/", "/segments/new/rfm/"),
        ("/segments/preview/cluster/", "/segments/new/cluster/"),
        ("/segments/{id}/compute/", "/segments/{id}/"),
        ("/segments/{id}/playbook/", "/segments/{id}/"),
        ("/segments/{id}/rename/", "/segments/{id}/"),
        ("/segments/{id}/active/", "/segments/{id}/"),
        ("/segments/{id}/archive/", "/segments/"),
    ],
)
def test_get_redirects_to_the_page_and_changes_nothing(researcher, workspace, path, page):
    segment = SegmentFactory(workspace=workspace, name="Kept", playbook="")
    response = researcher.get(path.format(id=segment.pk))
    assert response.status_code == 302
    assert response["Location"] == page.format(id=segment.pk)
    assert researcher.get(response["Location"]).status_code == 200
    assert researcher.delete(path.format(id=segment.pk)).status_code == 405
    segment.refresh_from_db()
    assert (segment.name, segment.playbook, segment.is_active) == ("Kept", "", True)
    assert Segment.objects.filter(workspace=workspace).count() == 1


def test_another_workspaces_segment_is_still_a_404_on_post(researcher):
    other = SegmentFactory()
    assert researcher.post(f"/segments/{other.pk}/archive/").status_code == 404
    other.refresh_from_db()
    assert other.is_active
