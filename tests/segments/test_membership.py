"""Membership with history: set-based diffs, entered/exited counts, concurrency safety."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from people.models import Person
from segments.membership import apply_members, change_members, person_ids_for_user_ids
from segments.models import Segment, SegmentKind, SegmentMembership
from tests.factories import WorkspaceFactory

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def make_people(workspace, *user_ids: str) -> dict[str, int]:
    Person.objects.bulk_create([Person(workspace=workspace, user_id=u) for u in user_ids])
    return dict(Person.objects.filter(workspace=workspace).values_list("user_id", "id"))


def ids_sql(person_ids: list[int]) -> tuple[str, list[int]]:
    if not person_ids:
        return "SELECT id AS person_id FROM segments_person WHERE 1 = 0", []
    marks = ", ".join(["%s"] * len(person_ids))
    return f"SELECT id AS person_id FROM segments_person WHERE id IN ({marks})", person_ids


def open_members(segment) -> set[int]:
    return set(
        SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True).values_list(
            "person_id", flat=True
        )
    )


@pytest.fixture
def segment(db):
    workspace = WorkspaceFactory()
    return Segment.objects.create(workspace=workspace, name="Rule", kind=SegmentKind.RULE)


def test_compute_records_entries_exits_and_keeps_history(segment):
    people = make_people(segment.workspace, "a", "b", "c")
    a, b, c = people["a"], people["b"], people["c"]

    first = apply_members(
        segment=segment, members_sql=ids_sql([a, b])[0], members_params=ids_sql([a, b])[1], now=T0
    )
    assert (first.size, first.entered, first.exited) == (2, 2, 0)

    later = T0 + timedelta(hours=1)
    second = apply_members(
        segment=segment,
        members_sql=ids_sql([b, c])[0],
        members_params=ids_sql([b, c])[1],
        now=later,
    )
    assert (second.size, second.entered, second.exited) == (2, 1, 1)
    assert open_members(segment) == {b, c}
    a_row = SegmentMembership.objects.get(segment=segment, person_id=a)
    assert (a_row.entered_at, a_row.exited_at) == (T0, later)
    b_row = SegmentMembership.objects.get(segment=segment, person_id=b)
    assert (b_row.entered_at, b_row.exited_at) == (T0, None)

    # a comes back: a second, open row; the closed one stays as history.
    third = apply_members(
        segment=segment,
        members_sql=ids_sql([a, b, c])[0],
        members_params=ids_sql([a, b, c])[1],
        now=later + timedelta(hours=1),
    )
    assert (third.size, third.entered, third.exited) == (3, 1, 0)
    assert SegmentMembership.objects.filter(segment=segment, person_id=a).count() == 2
    segment.refresh_from_db()
    assert segment.size == 3 and segment.computed_at == later + timedelta(hours=1)


def test_recompute_with_same_members_changes_nothing(segment):
    people = make_people(segment.workspace, "a", "b")
    sql, params = ids_sql(list(people.values()))
    apply_members(segment=segment, members_sql=sql, members_params=params, now=T0)
    before = list(SegmentMembership.objects.order_by("id").values())
    diff = apply_members(
        segment=segment, members_sql=sql, members_params=params, now=T0 + timedelta(days=1)
    )
    assert (diff.entered, diff.exited, diff.size) == (0, 0, 2)
    assert list(SegmentMembership.objects.order_by("id").values()) == before


def test_empty_result_exits_everyone(segment):
    people = make_people(segment.workspace, "a", "b")
    sql, params = ids_sql(list(people.values()))
    apply_members(segment=segment, members_sql=sql, members_params=params, now=T0)
    diff = apply_members(segment=segment, members_sql=ids_sql([])[0], members_params=[], now=T0)
    assert (diff.size, diff.entered, diff.exited) == (0, 0, 2)
    assert open_members(segment) == set()


def test_static_lists_replace_and_external_add_remove(segment):
    people = make_people(segment.workspace, "a", "b", "c", "d")
    found, missing = person_ids_for_user_ids(
        workspace_id=segment.workspace_id, user_ids=["a", "b", "zz", "a"]
    )
    assert found == {people["a"], people["b"]} and missing == ["zz"]

    diff = change_members(segment=segment, add=found, replace=True, now=T0)
    assert (diff.size, diff.entered, diff.exited) == (2, 2, 0)
    diff = change_members(segment=segment, add={people["b"], people["c"]}, replace=True, now=T0)
    assert (diff.size, diff.entered, diff.exited) == (2, 1, 1)
    assert open_members(segment) == {people["b"], people["c"]}

    diff = change_members(segment=segment, add={people["d"]}, remove={people["b"], people["a"]})
    assert (diff.size, diff.entered, diff.exited) == (2, 1, 1)
    assert open_members(segment) == {people["c"], people["d"]}
    segment.refresh_from_db()
    assert segment.size == 2


def test_people_of_another_workspace_are_never_found(segment):
    other = WorkspaceFactory()
    make_people(other, "a")
    found, missing = person_ids_for_user_ids(workspace_id=segment.workspace_id, user_ids=["a"])
    assert found == set() and missing == ["a"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_computes_of_one_segment_do_not_corrupt_membership():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a server database; SQLite serializes writes")
    workspace = WorkspaceFactory()
    segment = Segment.objects.create(workspace=workspace, name="Rule", kind=SegmentKind.RULE)
    people = make_people(workspace, *[f"u{i}" for i in range(200)])
    sql, params = ids_sql(list(people.values()))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def compute() -> None:
        from django.db import connections

        try:
            barrier.wait()
            apply_members(segment=segment, members_sql=sql, members_params=params)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=compute) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert SegmentMembership.objects.filter(segment=segment).count() == 200
    assert open_members(segment) == set(people.values())
    segment.refresh_from_db()
    assert segment.size == 200
