"""What differs between PostgreSQL (production) and SQLite (the embedded demo).

Everything backend-specific the rule compiler needs is a method here: reading a key
of a JSON document with its JSON type, local time parts, whole days between two
timestamps, and how parameters are passed. JSON keys are always flat keys:
`motive.pricing.why` is one key, never a path.
"""

from __future__ import annotations

import json
import math
import zoneinfo
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from segments.rules.sql import SQL, join, param, params_list, sql

# Local time parts that `$hour`, `$weekday`, `$month`, `$date` and distinct_days read.
PARTS = ("hour", "weekday", "month", "date")


class Dialect:
    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection

    def prepare(self) -> None:
        """Make the connection ready to run compiled rules."""

    def number(self, value: int | float) -> SQL:
        return param(value)

    def time(self, value: datetime) -> SQL:
        return param(value)

    def json_in(self, doc: str, key: str, values: Sequence[Any]) -> SQL:
        raise NotImplementedError

    def json_number(self, doc: str, key: str) -> SQL:
        raise NotImplementedError

    def json_string(self, doc: str, key: str) -> SQL:
        raise NotImplementedError

    def json_is_set(self, doc: str, key: str) -> SQL:
        raise NotImplementedError

    def json_list_has(self, doc: str, key: str, value: Any) -> SQL:
        raise NotImplementedError

    def has_substring(self, text: SQL, needle: str) -> SQL:
        raise NotImplementedError

    def local_part(self, timestamp: str, part: str, time_zone: str) -> SQL:
        raise NotImplementedError

    def whole_days(self, later: SQL, earlier: SQL) -> SQL:
        raise NotImplementedError

    def ratio(self, numerator: SQL, denominator: SQL) -> SQL:
        raise NotImplementedError

    def total(self, expression: SQL) -> SQL:
        """A sum that is 0, not NULL, when no value is a number."""
        return sql("COALESCE(SUM({}), 0)", expression)


class PostgresDialect(Dialect):
    """jsonb operators; `AT TIME ZONE` for local parts; numeric for exact arithmetic."""

    def number(self, value: int | float) -> SQL:
        # numeric, not float8: comparisons and averages stay exact.
        return param(value if isinstance(value, int) else Decimal(repr(value)))

    def _get(self, doc: str, key: str) -> SQL:
        return sql(f"({doc} -> {{}})", param(key))

    def json_in(self, doc: str, key: str, values: Sequence[Any]) -> SQL:
        # jsonb equality is JSON equality: 5 = 5.0, 5 <> "5", true <> 1.
        literals = [sql("CAST({} AS jsonb)", param(json.dumps(value))) for value in values]
        return sql("{} IN ({})", self._get(doc, key), join(", ", literals))

    def _typed(self, doc: str, key: str, json_type: str, then: str) -> SQL:
        return sql(
            f"CASE WHEN jsonb_typeof({{}}) = '{json_type}' THEN {then} END",
            self._get(doc, key),
            sql(f"({doc} ->> {{}})", param(key)),
        )

    def json_number(self, doc: str, key: str) -> SQL:
        return sql(
            "CASE WHEN jsonb_typeof({}) = 'number' THEN CAST({} AS numeric) END",
            self._get(doc, key),
            self._get(doc, key),
        )

    def json_string(self, doc: str, key: str) -> SQL:
        return self._typed(doc, key, "string", "{}")

    def json_is_set(self, doc: str, key: str) -> SQL:
        return sql("COALESCE(jsonb_typeof({}), 'null') <> 'null'", self._get(doc, key))

    def json_list_has(self, doc: str, key: str, value: Any) -> SQL:
        return sql(
            "(jsonb_typeof({}) = 'array' AND {} @> jsonb_build_array(CAST({} AS jsonb)))",
            self._get(doc, key),
            self._get(doc, key),
            param(json.dumps(value)),
        )

    def has_substring(self, text: SQL, needle: str) -> SQL:
        return sql("strpos({}, {}) > 0", text, param(needle))

    def local_part(self, timestamp: str, part: str, time_zone: str) -> SQL:
        local = sql(f"({timestamp} AT TIME ZONE {{}})", param(time_zone))
        if part == "date":
            return sql("to_char({}, 'YYYY-MM-DD')", local)
        field = {"hour": "HOUR", "weekday": "ISODOW", "month": "MONTH"}[part]
        return sql(f"CAST(EXTRACT({field} FROM {{}}) AS integer)", local)

    def whole_days(self, later: SQL, earlier: SQL) -> SQL:
        return sql(
            "CAST(FLOOR(EXTRACT(EPOCH FROM (CAST({} AS timestamptz) - {})) / 86400) AS bigint)",
            later,
            earlier,
        )

    def ratio(self, numerator: SQL, denominator: SQL) -> SQL:
        return sql("CAST({} AS numeric) / {}", numerator, denominator)


class SqliteDialect(Dialect):
    """json_extract/json_type; local time through Python functions registered on the
    connection (SQLite has no time zone database). They run inside the database, per
    row, like any built-in function."""

    def prepare(self) -> None:
        self.connection.ensure_connection()
        register_sqlite_functions(self.connection.connection)

    def time(self, value: datetime) -> SQL:
        # Stored as naive-UTC text with a fixed layout, so text order is time order.
        return param(self.connection.ops.adapt_datetimefield_value(value))

    def _access(self, doc: str, key: str) -> tuple[SQL, SQL]:
        """(JSON type, value) of `key`; a quoted path when the key allows, else json_each."""
        if key.isascii() and key.isprintable() and '"' not in key and "\\" not in key:
            path = param(f'$."{key}"')
            return sql(f"json_type({doc}, {{}})", path), sql(f"json_extract({doc}, {{}})", path)
        lookup = f"(SELECT jk.{{}} FROM json_each({doc}) jk WHERE jk.key = {{}})"  # noqa: S608
        return sql(lookup, "type", param(key)), sql(lookup, "value", param(key))

    @staticmethod
    def _typed_in(json_type: SQL, value: SQL, values: Sequence[Any]) -> SQL:
        """SQLite reads JSON true as 1: the JSON type tells booleans, numbers and text apart."""
        checks = []
        for flag in (True, False):
            if any(item is flag for item in values):
                checks.append(sql(f"{{}} = '{str(flag).lower()}'", json_type))
        numbers = [v for v in values if not isinstance(v, bool | str)]
        strings = [v for v in values if isinstance(v, str)]
        if numbers:
            checks.append(
                sql(
                    "({} IN ('integer', 'real') AND {} IN ({}))",
                    json_type,
                    value,
                    params_list(numbers),
                )
            )
        if strings:
            checks.append(
                sql("({} = 'text' AND {} IN ({}))", json_type, value, params_list(strings))
            )
        return (
            sql("(" + " OR ".join("{}" for _ in checks) + ")", *checks) if checks else SQL("FALSE")
        )

    def json_in(self, doc: str, key: str, values: Sequence[Any]) -> SQL:
        return self._typed_in(*self._access(doc, key), values)

    def json_number(self, doc: str, key: str) -> SQL:
        json_type, value = self._access(doc, key)
        return sql("CASE WHEN {} IN ('integer', 'real') THEN {} END", json_type, value)

    def json_string(self, doc: str, key: str) -> SQL:
        json_type, value = self._access(doc, key)
        return sql("CASE WHEN {} = 'text' THEN {} END", json_type, value)

    def json_is_set(self, doc: str, key: str) -> SQL:
        json_type, _ = self._access(doc, key)
        return sql("COALESCE({}, 'null') <> 'null'", json_type)

    def json_list_has(self, doc: str, key: str, value: Any) -> SQL:
        json_type, array = self._access(doc, key)
        member = self._typed_in(SQL("jl.type"), SQL("jl.value"), [value])
        # SQLite does not promise to short-circuit AND: json_each must never see a string.
        return sql(
            "EXISTS (SELECT 1 FROM json_each(CASE WHEN {} = 'array' THEN {} END) jl WHERE {})",
            json_type,
            array,
            member,
        )

    def has_substring(self, text: SQL, needle: str) -> SQL:
        return sql("instr({}, {}) > 0", text, param(needle))

    def local_part(self, timestamp: str, part: str, time_zone: str) -> SQL:
        return sql(f"motive_local_part({timestamp}, {{}}, '{part}')", param(time_zone))

    def whole_days(self, later: SQL, earlier: SQL) -> SQL:
        return sql("motive_whole_days({}, {})", later, earlier)

    def ratio(self, numerator: SQL, denominator: SQL) -> SQL:
        return sql("CAST({} AS REAL) / {}", numerator, denominator)

    def total(self, expression: SQL) -> SQL:
        return sql("TOTAL({})", expression)  # float, where SUM would overflow on big integers


def dialect_for(connection: BaseDatabaseWrapper) -> Dialect:
    dialects: dict[str, type[Dialect]] = {"postgresql": PostgresDialect, "sqlite": SqliteDialect}
    if connection.vendor not in dialects:
        raise NotImplementedError(f"rules run on PostgreSQL or SQLite, not {connection.vendor}")
    dialect = dialects[connection.vendor](connection)
    dialect.prepare()
    return dialect


# --- SQLite functions -------------------------------------------------------------------


def _parse_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def sqlite_local_part(timestamp: str | None, time_zone: str, part: str) -> int | str | None:
    """One local part of a stored UTC timestamp in `time_zone`."""
    if timestamp is None:
        return None
    local = _parse_utc(timestamp).astimezone(_zone(time_zone))
    if part == "date":
        return local.date().isoformat()
    return {"hour": local.hour, "weekday": local.isoweekday(), "month": local.month}[part]


def sqlite_whole_days(later: str | None, earlier: str | None) -> int | None:
    if later is None or earlier is None:
        return None
    return math.floor((_parse_utc(later) - _parse_utc(earlier)) / timedelta(days=1))


def register_sqlite_functions(raw_connection: Any) -> None:
    raw_connection.create_function("motive_local_part", 3, sqlite_local_part, deterministic=True)
    raw_connection.create_function("motive_whole_days", 2, sqlite_whole_days, deterministic=True)


def on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created` receiver: every SQLite connection can run compiled rules."""
    if connection.vendor == "sqlite":
        register_sqlite_functions(connection.connection)
