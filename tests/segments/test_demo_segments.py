"""The demo's example segments: one of each computed kind, created once, with members."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from segments.models import Segment
from tests.factories import WorkspaceFactory


@pytest.fixture
def demo_workspace(db):
    workspace = WorkspaceFactory()
    call_command("load_demo_data", workspace=workspace.pk, people=600, seed=7, stdout=io.StringIO())
    return workspace


def test_examples_are_created_computed_and_not_duplicated(demo_workspace):
    out = io.StringIO()
    call_command("load_demo_segments", workspace=demo_workspace.pk, stdout=out)
    roots = Segment.objects.filter(workspace=demo_workspace, parent__isnull=True)
    assert {s.kind for s in roots} == {"rule", "rfm", "cluster"}
    assert all(s.computed_at is not None and s.playbook for s in roots)
    stallers = roots.get(name="Trial stallers")
    assert stallers.size > 0
    assert Segment.objects.filter(parent__name="Usage clusters").count() >= 2
    count = Segment.objects.count()
    again = io.StringIO()
    call_command("load_demo_segments", workspace=demo_workspace.pk, stdout=again)
    assert "already has segments" in again.getvalue()
    assert Segment.objects.count() == count


@pytest.mark.django_db
def test_unknown_workspace():
    with pytest.raises(CommandError, match="No workspace with id 999999"):
        call_command("load_demo_segments", workspace=999999)
