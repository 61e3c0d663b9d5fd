"""Cluster segments end to end: features from events in the database, planted groups recovered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import numpy as np
import pytest

from people.models import Event, Person
from segments import services, tasks
from segments.clusters import Feature, fill_undefined
from segments.models import Segment, SegmentMembership
from tests.factories import WorkspaceFactory
from workspaces.services import ServiceError

AS_OF = datetime(2026, 11, 28, tzinfo=UTC)
DEFINITION = {
    "features": [
        {"event": "Report Exported", "within_days": 30},
        {"event": "Logged In", "within_days": 30},
    ],
    "k": "auto",
    "seed": 0,
}


@pytest.fixture
def workspace(db):
    """60 heavy exporters who rarely log in, 40 daily users who never export."""
    rng = np.random.default_rng(3)
    workspace = WorkspaceFactory()
    Person.objects.bulk_create(
        [Person(workspace=workspace, user_id=f"exp{i}") for i in range(60)]
        + [Person(workspace=workspace, user_id=f"day{i}") for i in range(40)]
        + [Person(workspace=workspace, user_id="idle")]
    )
    people = dict(Person.objects.filter(workspace=workspace).values_list("user_id", "id"))
    events = []

    def add(user_id: str, name: str, count: int) -> None:
        for n in range(count):
            events.append(
                Event(
                    workspace_id=workspace.pk,
                    person_id=people[user_id],
                    name=name,
                    timestamp=AS_OF - timedelta(days=int(rng.integers(0, 29)), minutes=n),
                    message_id=f"{user_id}-{name}-{n}",
                )
            )

    for i in range(60):
        add(f"exp{i}", "Report Exported", int(rng.integers(15, 30)))
        add(f"exp{i}", "Logged In", int(rng.integers(0, 3)))
    for i in range(40):
        add(f"day{i}", "Logged In", int(rng.integers(25, 40)))
    Event.objects.bulk_create(events)
    return workspace


def members(segment) -> set[str]:
    return set(
        SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True).values_list(
            "person__user_id", flat=True
        )
    )


def test_planted_groups_become_named_child_segments(workspace):
    parent = services.segment_create(
        workspace=workspace, name="Usage clusters", kind="cluster", definition=DEFINITION
    )
    diff = services.segment_compute(segment=parent, as_of=AS_OF)
    assert diff.size == 100  # "idle" has no feature events
    children = list(parent.children.order_by("definition__cluster"))
    assert len(children) == 2
    exporters, daily = (c for c in sorted(children, key=lambda c: -c.size))
    assert members(exporters) == {f"exp{i}" for i in range(60)}
    assert members(daily) == {f"day{i}" for i in range(40)}
    assert exporters.name == "Heavy Report Exported, rare Logged In"
    assert exporters.definition["profile"]["size"] == 60
    assert exporters.definition["profile"]["z_scores"]["Report Exported"] > 0.7


def test_each_cluster_gets_its_share_of_revenue_in_the_parent_s_one_follow_up(
    workspace, django_capture_on_commit_callbacks
):
    people = dict(Person.objects.filter(workspace=workspace).values_list("user_id", "id"))
    Event.objects.bulk_create(
        Event(
            workspace=workspace,
            person_id=people[user_id],
            name="Order Completed",
            properties={"amount": amount},
            timestamp=AS_OF - timedelta(days=40),
            message_id=f"order-{user_id}",
        )
        for user_id, amount in (("exp0", 200), ("exp1", 100), ("day0", 100), ("idle", 100))
    )
    parent = services.segment_create(
        workspace=workspace, name="Usage clusters", kind="cluster", definition=DEFINITION
    )
    with (
        mock.patch.object(
            tasks.record_revenue_shares, "delay", wraps=tasks.record_revenue_shares.delay
        ) as follow_up,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.segment_compute(segment=parent, as_of=AS_OF)
    children = sorted(parent.children.all(), key=lambda c: -c.size)
    follow_up.assert_called_once_with(
        workspace_id=workspace.pk,
        segment_ids=sorted([parent.pk, *(c.pk for c in children)]),
        at=AS_OF.isoformat(),
    )
    parent.refresh_from_db()
    exporters, daily = children
    # "idle" has no feature events: unclustered, but its order is in the total.
    assert parent.share_of_revenue == pytest.approx(400 / 500)
    assert exporters.share_of_revenue == pytest.approx(300 / 500)
    assert daily.share_of_revenue == pytest.approx(100 / 500)
    assert {(s.share_of_revenue_at, s.share_of_revenue_pending) for s in (parent, *children)} == {
        (AS_OF, False)
    }


def test_recompute_keeps_an_edited_name_and_membership_is_stable(workspace):
    parent = services.segment_create(
        workspace=workspace, name="C", kind="cluster", definition={**DEFINITION, "k": 2}
    )
    services.segment_compute(segment=parent, as_of=AS_OF)
    child = parent.children.order_by("-size").first()
    services.segment_update(segment=child, name="Exporters")
    diff = services.segment_compute(segment=child, as_of=AS_OF)
    assert (diff.entered, diff.exited) == (0, 0)
    child.refresh_from_db()
    assert child.name == "Exporters"
    assert Segment.objects.filter(parent=parent).count() == 2


def test_child_definitions_are_not_editable(workspace):
    parent = services.segment_create(
        workspace=workspace, name="C", kind="cluster", definition={**DEFINITION, "k": 2}
    )
    services.segment_compute(segment=parent, as_of=AS_OF)
    child = parent.children.first()
    with pytest.raises(ServiceError, match="edit the parent's definition"):
        services.segment_update(segment=child, definition={"cluster": 9})


@pytest.mark.parametrize(
    "definition,message",
    [
        ({"features": []}, "definition.features: a list of 1 to 12"),
        (
            {"features": [{"event": "X", "value": {"gte": 1}}]},
            r'features\[0\]: unknown key "value"',
        ),
        ({"features": [{"event": "X", "agg": "median"}]}, r"definition.features\[0\].agg"),
        ({"features": [{"event": "X"}], "k": 1}, "definition.k"),
        ({"features": [{"event": "X"}], "k": 13}, "definition.k"),
    ],
)
def test_invalid_cluster_definitions(workspace, definition, message):
    with pytest.raises(ServiceError, match=message):
        services.segment_create(
            workspace=workspace, name="C", kind="cluster", definition=definition
        )
    assert not Segment.objects.exists()


def test_fill_undefined():
    features = [Feature("A", "days_since_last"), Feature("B", "avg", "x"), Feature("C", "max", "y")]
    matrix = np.array([[1.0, 2.0, np.nan], [np.nan, np.nan, np.nan], [5.0, 4.0, np.nan]])
    assert fill_undefined(matrix, features).tolist() == [[1, 2, 0], [5, 3, 0], [5, 4, 0]]


def test_clusters_beyond_a_smaller_k_are_emptied_and_deactivated(workspace):
    parent = services.segment_create(
        workspace=workspace, name="C", kind="cluster", definition={**DEFINITION, "k": 3}
    )
    services.segment_compute(segment=parent, as_of=AS_OF)
    services.segment_update(segment=parent, definition={**DEFINITION, "k": 2})
    services.segment_compute(segment=parent, as_of=AS_OF)
    leftover = parent.children.get(definition__cluster=2)
    assert (leftover.is_active, leftover.size, leftover.share_of_people) == (False, 0, 0.0)
    assert members(leftover) == set()
