"""analyze_people_tables: the statistics of the people tables describe what was just loaded."""

from __future__ import annotations

import pytest
from django.db import connection

from people.maintenance import PEOPLE_TABLES, analyze_people_tables
from tests.factories import AccountFactory, EventFactory, PersonAliasFactory, PersonFactory


def planner_rows() -> dict[str, float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE oid = ANY(%s::regclass[])",
            [list(PEOPLE_TABLES)],
        )
        return {name: float(rows) for name, rows in cursor.fetchall()}


@pytest.mark.django_db
def test_the_people_tables_are_analyzed_after_a_load():
    if connection.vendor != "postgresql":
        pytest.skip("ANALYZE and pg_class are PostgreSQL's")
    account = AccountFactory()
    people = PersonFactory.create_batch(30, workspace=account.workspace, account=account)
    for person in people[:5]:
        PersonAliasFactory(person=person)
    for person in people:
        EventFactory.create_batch(4, person=person)

    analyzed = analyze_people_tables()

    assert analyzed == [
        "segments_person",
        "segments_event",
        "segments_account",
        "segments_personalias",
    ]
    assert planner_rows() == {
        "segments_person": 30.0,
        "segments_event": 120.0,
        "segments_account": 1.0,
        "segments_personalias": 5.0,
    }


@pytest.mark.django_db
def test_on_sqlite_nothing_is_analyzed():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's side of the function")
    PersonFactory()
    assert analyze_people_tables() == []
