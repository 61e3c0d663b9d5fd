"""Portable multi-row inserts (SQLite and PostgreSQL) for ingestion and membership writes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

CHUNK = 1000


def insert_ignoring_conflicts(
    *,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    conflict: str,
    returning: str | None = None,
    chunk: int = CHUNK,
) -> set[Any]:
    """`INSERT ... VALUES (...), ... ON CONFLICT <conflict> DO NOTHING`, in chunks.

    Returns the `returning` column of the rows actually inserted (empty without it):
    a row a concurrent writer or an earlier batch already stored is skipped silently.
    """
    quoted = connection.ops.quote_name(table)
    marks = "(" + ",".join(["%s"] * len(columns)) + ")"
    tail = f" RETURNING {returning}" if returning else ""
    inserted: set[Any] = set()
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        params = [value for row in part for value in row]
        # Only quoted/constant names and %s placeholders are interpolated.
        sql = (
            f"INSERT INTO {quoted} ({', '.join(columns)}) "  # noqa: S608
            f"VALUES {','.join([marks] * len(part))} ON CONFLICT {conflict} DO NOTHING{tail}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if returning:
                inserted.update(row[0] for row in cursor.fetchall())
    return inserted
