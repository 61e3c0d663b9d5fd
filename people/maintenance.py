"""Upkeep of the people tables: fresh planner statistics after a bulk load.

PostgreSQL never analyzes a table inside the load that filled it, and autovacuum's
analyze lags big loads (or is off); until something does, every query on the new rows
is planned as if they were a handful. A CSV import therefore ends with
`analyze_people_tables()`.
"""

from __future__ import annotations

from django.db import connections

from people.models import Account, Event, Person, PersonAlias

PEOPLE_TABLES: tuple[str, ...] = (
    Person._meta.db_table,
    Event._meta.db_table,
    Account._meta.db_table,
    PersonAlias._meta.db_table,
)


def analyze_people_tables(*, using: str = "default") -> list[str]:
    """ANALYZE the person, event, account and alias tables on PostgreSQL; returns the
    tables analyzed (none on SQLite, whose planner keeps no such statistics)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(PEOPLE_TABLES)}")
    return list(PEOPLE_TABLES)
