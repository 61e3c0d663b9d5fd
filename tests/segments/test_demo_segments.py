"""The demo's ready-made segments and the builder's templates, on the demo generator's data."""

from __future__ import annotations

import datetime as dt
import io
from itertools import combinations

import pytest
from django.core.management import CommandError, call_command

from people.demo_data import seed_demo_data
from segments import builder, selectors
from segments.demo_segments import EXAMPLES, create_demo_segments
from segments.models import Segment, SegmentMembership
from tests.factories import WorkspaceFactory

AS_OF = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
READY_MADE = {
    "Power users",
    "Light users",
    "3+ pricing-page visits in 7 days",
    "Downgraded in the last 30 days",
    "RFM Champions",
    "RFM At Risk",
    "Usage clusters",
}


@pytest.fixture(scope="module")
def demo_workspace(django_db_setup, django_db_blocker):
    """One generated workspace for the module (generating is the slow part)."""
    with django_db_blocker.unblock():
        workspace = WorkspaceFactory()
        seed_demo_data(workspace=workspace, people=900, days=120, seed=7, now=AS_OF)
        create_demo_segments(workspace=workspace, now=AS_OF)
        yield workspace
        workspace.delete()


def members(segment: Segment) -> frozenset[int]:
    return frozenset(
        SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True).values_list(
            "person_id", flat=True
        )
    )


@pytest.mark.django_db
def test_ready_made_segments_are_computed_non_empty_distinct_and_have_playbooks(demo_workspace):
    roots = list(Segment.objects.filter(workspace=demo_workspace, parent__isnull=True))
    assert {s.name for s in roots} == READY_MADE == {e["name"] for e in EXAMPLES}
    assert all(s.computed_at is not None and s.playbook.strip() for s in roots)
    leaves = [s for s in roots if s.kind != "cluster"]
    clusters = list(Segment.objects.filter(parent__name="Usage clusters"))
    assert all(c.playbook.strip() for c in clusters)
    assert len({c.playbook for c in clusters}) >= 2
    leaves += clusters
    assert len(leaves) == len(READY_MADE) - 1 + 4
    sets = {s.name: members(s) for s in leaves}
    assert all(sets.values()), {name: len(m) for name, m in sets.items()}
    # Distinct: no two segments hold (nearly) the same people.
    for (a, first), (b, second) in combinations(sets.items(), 2):
        assert len(first & second) / len(first | second) < 0.9, (a, b)
    # Small groups stay small: the intent and downgrade segments are minorities.
    people = demo_workspace.people.count()
    assert len(sets["Downgraded in the last 30 days"]) < people * 0.2
    assert len(sets["3+ pricing-page visits in 7 days"]) < people * 0.3


@pytest.mark.django_db
def test_weekly_history_is_recorded(demo_workspace):
    power = Segment.objects.get(workspace=demo_workspace, name="Power users")
    assert power.snapshots.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("template", builder.TEMPLATES, ids=lambda t: t["key"])
def test_every_builder_template_finds_people(demo_workspace, template):
    preview = selectors.segment_preview(
        workspace=demo_workspace, kind="rule", definition=template["definition"], as_of=AS_OF
    )
    assert preview["size"] > 0, template["name"]
    # The events and traits it reads are ones the generator writes (interview traits aside).
    unknown = [u["name"] for u in preview["unknown"] if not u["name"].startswith("motive.")]
    assert unknown == []


@pytest.mark.django_db
def test_segments_are_made_once(demo_workspace):
    count = Segment.objects.filter(workspace=demo_workspace).count()
    again = io.StringIO()
    call_command("load_demo_segments", workspace=demo_workspace.pk, stdout=again)
    assert "already has segments" in again.getvalue()
    assert Segment.objects.filter(workspace=demo_workspace).count() == count


@pytest.mark.django_db
def test_unknown_workspace():
    with pytest.raises(CommandError, match="No workspace with id 999999"):
        call_command("load_demo_segments", workspace=999999)
