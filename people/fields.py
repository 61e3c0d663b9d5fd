"""Model fields of the behavioral data."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


class IdentifierField(models.CharField):
    """Text that is a key, compared byte for byte: ids (user, anonymous, group, message), names.

    On PostgreSQL the column gets the "C" collation. Equality is the same under
    any deterministic collation; what changes is the cost of ordering, which
    every unique-index probe and B-tree insert pays: under a libc locale each
    comparison of unequal strings goes through strcoll, under "C" it is a memcmp
    (benchmarks/RESULTS.md has the measurement). Sorting by these columns is by
    code point (identical to C.UTF-8's order; under an en_US locale upper case
    would no longer interleave with lower case), and `LIKE 'prefix%'` can use
    their B-tree indexes. SQLite compares bytes (BINARY) by default, so the
    column is left as it is there.
    """

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
