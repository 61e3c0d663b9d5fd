"""Planner statistics of the tables a compute reads: refreshed when a big load made them stale.

PostgreSQL plans every compute from the column statistics `ANALYZE` gathers. Right
after a bulk load nothing has gathered them yet (autovacuum's analyze lags big loads
and may be off): every condition on a fresh workspace is then estimated at about one
row, and the planner re-runs whole grouped subqueries inside nested loops. So a
compute or preview first asks, per table, whether its statistics still describe it,
and analyzes the ones that do not. The test is autovacuum's own default (more than
50 rows + 10 % of the rows last counted have changed), applied at once instead of
whenever a worker gets to it:

- never analyzed (`pg_class.reltuples` is -1) and not empty; or
- rows changed since the last analyze, read two ways because either can lag: the
  changes the server has counted (`n_mod_since_analyze`, reported when the writing
  sessions go idle) and the rows the table's growth in pages implies (the file size
  is current even inside the writing transaction).

`ANALYZE` reads a fixed sample (30,000 rows at the default statistics target), so it
stays cheap on big tables. It runs with SKIP_LOCKED: if another session is analyzing
the table (a concurrent compute, autovacuum), this one plans with what it has rather
than wait. SQLite plans without such statistics; there nothing is done.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connections

from people.models import Account, Event, Person
from segments.models import SegmentMembership

# What rule, RFM and cluster computes read (memberships: the diff and the metrics).
COMPUTE_TABLES: tuple[str, ...] = (
    Event._meta.db_table,
    Person._meta.db_table,
    Account._meta.db_table,
    SegmentMembership._meta.db_table,
)
# autovacuum_analyze_threshold and autovacuum_analyze_scale_factor, at their defaults.
CHANGED_ROWS_THRESHOLD = 50
CHANGED_SHARE = 0.1

STATISTICS_SQL = """
SELECT c.relname, c.reltuples, c.relpages,
       (pg_relation_size(c.oid) / current_setting('block_size')::int)::int,
       COALESCE(pg_stat_get_mod_since_analyze(c.oid), 0)
FROM pg_class c
WHERE c.oid = ANY(%s::regclass[])
ORDER BY c.relname
"""


@dataclass(frozen=True)
class TableStatistics:
    """What the planner last learned about a table, against the table now."""

    table: str
    analyzed_rows: float  # pg_class.reltuples: rows counted by the last analyze; -1 never
    analyzed_pages: int  # pg_class.relpages at that time
    pages: int  # the table's size now, in pages
    changed_rows: int  # rows inserted, updated or deleted since, as reported so far

    @property
    def grown_rows(self) -> float:
        """Rows the pages added since the last analyze hold, at the density it saw."""
        if self.analyzed_pages <= 0 or self.analyzed_rows <= 0:
            return 0.0
        density = self.analyzed_rows / self.analyzed_pages
        return max(self.pages - self.analyzed_pages, 0) * density

    @property
    def stale(self) -> bool:
        if self.analyzed_rows < 0:
            return self.pages > 0
        if self.analyzed_rows == 0:
            # Analyzed while empty: no density to scale by, so any growth counts.
            return self.pages > self.analyzed_pages or self.changed_rows > CHANGED_ROWS_THRESHOLD
        limit = CHANGED_ROWS_THRESHOLD + CHANGED_SHARE * self.analyzed_rows
        return max(self.changed_rows, self.grown_rows) > limit


def table_statistics(tables: Iterable[str], *, using: str = "default") -> list[TableStatistics]:
    """The planner's view of each table (PostgreSQL only; empty elsewhere)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(STATISTICS_SQL, [list(tables)])
        return [
            TableStatistics(
                table=name,
                analyzed_rows=float(rows),
                analyzed_pages=int(analyzed_pages),
                pages=int(pages),
                changed_rows=int(changed),
            )
            for name, rows, analyzed_pages, pages, changed in cursor.fetchall()
        ]


def analyze_if_stale(
    tables: Iterable[str] = COMPUTE_TABLES, *, using: str = "default"
) -> list[str]:
    """ANALYZE the tables whose statistics a load has made stale; returns their names."""
    stale = [stats.table for stats in table_statistics(tables, using=using) if stats.stale]
    if stale:
        with connections[using].cursor() as cursor:
            cursor.execute(f"ANALYZE (SKIP_LOCKED) {', '.join(stale)}")
    return stale
