"""Segment services: define, compute rule and static segments, push external members."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from people.models import Event, Person
from segments import services, tasks
from segments.models import Segment, SegmentMembership
from tests.factories import WorkspaceFactory
from workspaces.services import ServiceError

AS_OF = datetime(2026, 11, 28, tzinfo=UTC)
PRICING_3_IN_7 = {"event": "Pricing Page Viewed", "value": {"gte": 3}, "within_days": 7}


@pytest.fixture
def workspace(db):
    workspace = WorkspaceFactory()
    people = {u: Person.objects.create(workspace=workspace, user_id=u) for u in ("a", "b", "c")}
    visits = {"a": [1, 2, 3], "b": [1, 2], "c": [1, 2, 3, 10]}
    Event.objects.bulk_create(
        Event(
            workspace=workspace,
            person=people[u],
            name="Pricing Page Viewed",
            timestamp=AS_OF - timedelta(days=d),
            message_id=f"{u}{d}",
        )
        for u, days in visits.items()
        for d in days
    )
    return workspace


def members(segment) -> set[str]:
    return set(
        SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True).values_list(
            "person__user_id", flat=True
        )
    )


def test_rule_segment_compute(workspace):
    segment = services.segment_create(
        workspace=workspace,
        name="Pricing 3+",
        kind="rule",
        definition=PRICING_3_IN_7,
        playbook="Offer a demo call",
    )
    assert segment.size == 0 and segment.computed_at is None
    diff = services.segment_compute(segment=segment, as_of=AS_OF)
    assert (diff.size, diff.entered, diff.exited) == (2, 2, 0)
    assert members(segment) == {"a", "c"}
    # A week later the visits are out of the window: everyone exits.
    diff = services.segment_compute(segment=segment, as_of=AS_OF + timedelta(days=8))
    assert (diff.size, diff.entered, diff.exited) == (0, 0, 2)


def test_invalid_rule_is_refused_with_its_path_and_nothing_saved(workspace):
    with pytest.raises(ServiceError, match=r'value: unknown comparator "gt="'):
        services.segment_create(
            workspace=workspace,
            name="Bad",
            kind="rule",
            definition={"all": [{"event": "X", "value": {"gt=": 3}}]},
        )
    assert not Segment.objects.exists()


def test_static_segment_is_computed_on_create_and_update(workspace):
    segment = services.segment_create(
        workspace=workspace,
        name="VIPs",
        kind="static",
        definition={"user_ids": ["a", "b", "nobody"]},
    )
    assert segment.size == 2 and members(segment) == {"a", "b"}
    services.segment_update(segment=segment, definition={"user_ids": ["c"]})
    assert members(segment) == {"c"}
    assert SegmentMembership.objects.filter(segment=segment).count() == 3


def test_external_push_adds_removes_and_creates_unknown_people(workspace):
    segment = services.segment_create(
        workspace=workspace, name="CRM list", kind="external", definition={"source": "hubspot"}
    )
    diff = services.segment_members_push(segment=segment, add=["a", "new-lead"], remove=[])
    assert (diff.size, diff.entered) == (2, 2)
    assert Person.objects.filter(workspace=workspace, user_id="new-lead").exists()
    diff = services.segment_members_push(segment=segment, add=[], remove=["a", "never-there"])
    assert (diff.size, diff.exited) == (1, 1)
    assert members(segment) == {"new-lead"}


@pytest.mark.parametrize(
    "add,remove,message",
    [
        (["a"], ["a"], "in both add and remove"),
        ("a", [], "add: expected a list"),
        ([""], [], r"add\[0\]: a user id is a non-empty string"),
    ],
)
def test_bad_pushes_change_nothing(workspace, add, remove, message):
    segment = services.segment_create(
        workspace=workspace, name="CRM", kind="external", definition={}
    )
    with pytest.raises(ServiceError, match=message):
        services.segment_members_push(segment=segment, add=add, remove=remove)
    assert SegmentMembership.objects.count() == 0


def test_push_to_a_rule_segment_is_refused(workspace):
    segment = services.segment_create(
        workspace=workspace, name="R", kind="rule", definition=PRICING_3_IN_7
    )
    with pytest.raises(ServiceError, match="only be pushed to external segments"):
        services.segment_members_push(segment=segment, add=["a"], remove=[])


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"name": "  "}, "needs a name"),
        ({"kind": "rfm"}, 'Cannot change "kind"'),
        ({"definition": {"event": "X", "agg": "median"}}, "agg"),
    ],
)
def test_bad_updates(workspace, changes, message):
    segment = services.segment_create(
        workspace=workspace, name="R", kind="rule", definition=PRICING_3_IN_7
    )
    with pytest.raises(ServiceError, match=message):
        services.segment_update(segment=segment, **changes)
    segment.refresh_from_db()
    assert (segment.name, segment.definition) == ("R", PRICING_3_IN_7)


def test_unknown_kind(workspace):
    with pytest.raises(ServiceError, match='Unknown kind "magic"'):
        services.segment_create(workspace=workspace, name="M", kind="magic", definition={})


def test_backfilled_computes_are_recorded_at_their_own_date(workspace):
    from segments.models import SegmentSnapshot

    segment = services.segment_create(
        workspace=workspace, name="Pricing 3+", kind="rule", definition=PRICING_3_IN_7
    )
    week_ago = AS_OF - timedelta(days=7)
    services.segment_compute(segment=segment, as_of=week_ago, record_at=week_ago)
    services.segment_compute(segment=segment, as_of=AS_OF, record_at=AS_OF)
    entered = set(
        SegmentMembership.objects.filter(segment=segment).values_list("entered_at", flat=True)
    )
    assert entered == {AS_OF}  # nobody had 3 visits in the week before week_ago
    assert list(
        SegmentSnapshot.objects.filter(segment=segment).values_list("computed_at", "size")
    ) == [(week_ago, 0), (AS_OF, 2)]


def test_segment_save_queues_a_compute_job_for_computed_kinds_only(
    db, django_capture_on_commit_callbacks
):
    workspace = WorkspaceFactory()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        saved = services.segment_save(
            workspace=workspace, name="R", kind="rule", definition={"event": "Signed Up"}
        )
        listed = services.segment_save(
            workspace=workspace, name="L", kind="static", definition={"user_ids": ["x"]}
        )
    assert saved.job is not None and saved.job.status == "queued"
    assert listed.job is None and listed.segment.computed_at is not None
    # The rule's compute job, and the follow-up recording the list's share of revenue.
    with (
        mock.patch.object(tasks.run_compute_job, "delay") as job,
        mock.patch.object(tasks.record_revenue_shares, "delay") as shares,
    ):
        for callback in queued:
            callback()
    assert len(queued) == 2
    job.assert_called_once_with(job_id=saved.job.pk)
    shares.assert_called_once()
    assert shares.call_args.kwargs["segment_ids"] == [listed.segment.pk]
    again = services.segment_save(
        workspace=workspace,
        segment=saved.segment,
        name="R2",
        kind="rule",
        definition={"event": "Signed Up"},
    )
    # Saving again while the first compute is queued joins it.
    assert again.job == saved.job and again.segment.name == "R2"
