"""Planner statistics: which tables count as stale, and computes that analyze them first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from people.models import Event
from segments import planner_stats, services
from segments.models import SegmentKind
from segments.planner_stats import TableStatistics, analyze_if_stale, table_statistics
from tests.factories import PersonFactory, WorkspaceFactory

AS_OF = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def stats(rows: float, analyzed_pages: int, pages: int, changed: int = 0) -> TableStatistics:
    return TableStatistics(
        table="t",
        analyzed_rows=rows,
        analyzed_pages=analyzed_pages,
        pages=pages,
        changed_rows=changed,
    )


@pytest.mark.parametrize(
    ("case", "table", "stale"),
    [
        ("never analyzed, empty", stats(-1, 0, 0), False),
        ("never analyzed, one page of rows", stats(-1, 0, 1), True),
        ("analyzed empty, still empty", stats(0, 0, 0), False),
        ("analyzed empty, rows loaded since", stats(0, 0, 12), True),
        ("analyzed empty, changes reported but no new page", stats(0, 1, 1, changed=51), True),
        ("5 % more pages", stats(100_000, 1_000, 1_050), False),
        ("10 % more pages and one more", stats(100_000, 1_000, 1_101), True),
        ("a big load into a small table", stats(2_000, 20, 1_600), True),
        ("10 % rows changed in place, reported", stats(100_000, 1_000, 1_000, 10_051), True),
        ("a few rows changed in place", stats(100_000, 1_000, 1_000, 9_000), False),
        ("shrunk (pages free after deletes)", stats(100_000, 1_000, 800), False),
        ("tiny table, under the 50-row floor", stats(10, 1, 1, changed=50), False),
    ],
)
def test_stale_follows_autovacuums_rule_at_once(case: str, table: TableStatistics, stale: bool):
    assert table.stale is stale, case


def bulk_events(person: Any, count: int) -> None:
    Event.objects.bulk_create(
        Event(
            workspace=person.workspace,
            person=person,
            name="Order Completed",
            properties={"amount": 10},
            timestamp=AS_OF - timedelta(days=i % 300),
            message_id=f"m{i}",
        )
        for i in range(count)
    )


def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's; SQLite plans without them")


def reltuples(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        return float(cursor.fetchone()[0])


@pytest.mark.django_db
def test_a_load_makes_the_event_table_stale_and_analyzing_settles_it():
    postgres_only()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE segments_event")  # whatever earlier tests left
    assert [s.table for s in table_statistics(["segments_event"]) if s.stale] == []
    bulk_events(PersonFactory(), 3000)

    (event,) = table_statistics(["segments_event"])
    assert event.stale
    assert "segments_event" in analyze_if_stale()

    (event,) = table_statistics(["segments_event"])
    assert not event.stale and event.analyzed_rows == 3000
    assert analyze_if_stale() == []


@pytest.mark.django_db
def test_nothing_is_analyzed_on_sqlite():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's side of the helper")
    bulk_events(PersonFactory(), 10)
    assert table_statistics(planner_stats.COMPUTE_TABLES) == []
    assert analyze_if_stale() == []


def watch(statement_start: str, check: Callable[[], Any]) -> Callable[..., Any]:
    """An execute wrapper that runs `check()` just before each statement starting so."""
    seen: list[Any] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith(statement_start):
            seen.append(check())
        return execute(sql, params, many, context)

    wrapper.seen = seen  # type: ignore[attr-defined]
    return wrapper


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "definition", "stage", "joined_by"),
    [
        (
            SegmentKind.RULE,
            {"event": "Order Completed", "value": {"gte": 2}},
            "motive_stage_members",
            "UPDATE segments_segmentmembership SET exited_at",
        ),
        (
            SegmentKind.RFM,
            {"event": "Order Completed", "monetary_property": "amount"},
            "motive_stage_rfm_scores",
            "UPDATE segments_segmentmembership SET scores",
        ),
    ],
)
def test_a_staging_table_has_statistics_when_it_is_joined(kind, definition, stage, joined_by):
    postgres_only()
    workspace = WorkspaceFactory()
    buyers = PersonFactory.create_batch(40, workspace=workspace)
    for index, person in enumerate(buyers):
        Event.objects.bulk_create(
            Event(
                workspace=workspace,
                person=person,
                name="Order Completed",
                properties={"amount": index + i},
                timestamp=AS_OF - timedelta(days=index + i),
                message_id=f"{person.pk}-{i}",
            )
            for i in range(2)
        )
    segment = services.segment_create(
        workspace=workspace, name="Buyers", kind=kind, definition=definition
    )

    def staged_rows_known_to_planner() -> float:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.reltuples, (SELECT COUNT(*) FROM pg_stats s "
                "WHERE s.schemaname = n.nspname AND s.tablename = c.relname) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.oid = %s::regclass",
                [stage],
            )
            rows, columns_with_stats = cursor.fetchone()
            return float(rows) if columns_with_stats else -1.0

    wrapper = watch(joined_by, staged_rows_known_to_planner)
    with connection.execute_wrapper(wrapper):
        diff = services.segment_compute(segment=segment, as_of=AS_OF)

    assert diff.size == 40
    assert wrapper.seen == [40.0]  # type: ignore[attr-defined]
