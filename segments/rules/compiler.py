"""Rule definitions compiled to one set-based SQL query of person ids.

The query has the shape

    SELECT rp.id AS person_id FROM segments_person rp
      [LEFT JOIN segments_account ra ON ra.id = rp.account_id]
      LEFT JOIN (<ids of people whose events satisfy condition 1>) rj1 ON rj1.pid = rp.id
      ...
    WHERE rp.workspace_id = %s AND <boolean tree over rp.traits, ra.traits, rjN.pid>

Each event condition becomes one grouped subquery (an index range scan on
(workspace, name, timestamp) and a hash aggregate), joined once. Where a condition is
true for people with no events at all (`count < 3`, `not`-free zero comparisons), the
subquery collects the people for whom it is false and the tree tests `rjN.pid IS NULL`.
On PostgreSQL a top-level `IS NOT NULL` turns its LEFT JOIN into an inner join and a
top-level `IS NULL` into an anti-join, so plain conjunctions cost what hand-written
joins cost; under `any`/`not` they stay hash joins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol

from django.db import connections
from django.utils import timezone

from people.models import Account, Event, Person
from segments.models import SegmentMembership
from segments.rules import grammar as g
from segments.rules.dialects import Dialect, dialect_for
from segments.rules.predicates import comparison, comparison_holds, filter_predicate, key_predicate
from segments.rules.sql import SQL, join, param, sql
from segments.rules.validation import validate_definition
from workspaces.models import Workspace

PERSON = Person._meta.db_table
ACCOUNT = Account._meta.db_table
EVENT = Event._meta.db_table
MEMBERSHIP = SegmentMembership._meta.db_table


@dataclass(frozen=True)
class CompiledQuery:
    """`SELECT person_id ...` of the people matching a rule (one column, distinct ids): run
    it, or embed it as a subquery (`... WHERE x IN (<sql>)`, `INSERT INTO ... SELECT ...`)."""

    sql: str
    params: tuple[Any, ...]


@dataclass
class Context:
    """What every node compiler shares: the backend, the evaluation point, collected joins."""

    dialect: Dialect
    workspace_id: int
    as_of: datetime
    time_zone: str
    joins: list[SQL] = field(default_factory=list)
    uses_account: bool = False

    def member_of(self, ids: SQL, *, positive: bool) -> SQL:
        """Join a subquery of `pid`s; the person matches if in it (positive) or not."""
        alias = f"rj{len(self.joins) + 1}"
        self.joins.append(sql(f"LEFT JOIN ({{}}) {alias} ON {alias}.pid = rp.id", ids))
        return SQL(f"({alias}.pid IS {'NOT ' if positive else ''}NULL)")


class NodeCompiler(Protocol):
    def compile(self, node: dict[str, Any], ctx: Context) -> SQL: ...


def compile_node(node: dict[str, Any], ctx: Context) -> SQL:
    kind = next(key for key in g.NODE_KINDS if key in node)
    return COMPILERS[kind].compile(node, ctx)


class GroupCompiler:
    operator: ClassVar[str]
    key: ClassVar[str]

    def compile(self, node: dict[str, Any], ctx: Context) -> SQL:
        parts = [compile_node(child, ctx) for child in node[self.key]]
        return sql("({})", join(f" {self.operator} ", parts))


class AllCompiler(GroupCompiler):
    operator, key = "AND", "all"


class AnyCompiler(GroupCompiler):
    operator, key = "OR", "any"


class NotCompiler:
    def compile(self, node: dict[str, Any], ctx: Context) -> SQL:
        return sql("(NOT {})", compile_node(node["not"], ctx))


class SegmentCompiler:
    """Current (open) members of another segment, as stored by its last compute."""

    def compile(self, node: dict[str, Any], ctx: Context) -> SQL:
        ids = sql(
            f"SELECT m.person_id AS pid FROM {MEMBERSHIP} m"  # noqa: S608  (constant table names)
            " WHERE m.segment_id = {} AND m.exited_at IS NULL",
            param(node["segment"]),
        )
        return ctx.member_of(ids, positive=True)


class TraitCompiler:
    def compile(self, node: dict[str, Any], ctx: Context) -> SQL:
        return key_predicate(ctx.dialect, "rp.traits", node["trait"], node["op"], node.get("value"))


class AccountTraitCompiler:
    """A person without an account reads as an account without traits."""

    def compile(self, node: dict[str, Any], ctx: Context) -> SQL:
        ctx.uses_account = True
        key, op = node["account_trait"], node["op"]
        return key_predicate(ctx.dialect, "ra.traits", key, op, node.get("value"))


class EventCompiler:
    """An aggregate over a person's (or their account's) events of one name, compared."""

    def compile(self, node: dict[str, Any], ctx: Context) -> SQL:
        agg = node.get("agg", "count")
        cmp = node.get("value", g.DEFAULT_VALUE)
        having = comparison(AggregateCompiler().compile(node, ctx), cmp, ctx.dialect)
        # Over no events count/sum/distinct_days are 0; when 0 satisfies the comparison,
        # collect the people it fails for instead, so people without events match.
        positive = not (agg in g.ZERO_AGGREGATES and comparison_holds(0, cmp))
        if not positive:
            having = sql("NOT ({})", having)
        scope = event_scope(node, ctx, with_where=agg != "share")
        if node.get("by") == "account":
            return ctx.member_of(account_ids(scope, having, ctx), positive=positive)
        ids = sql(
            f"SELECT e.person_id AS pid FROM {EVENT} e WHERE {{}} GROUP BY e.person_id HAVING {{}}",  # noqa: S608
            scope,
            having,
        )
        return ctx.member_of(ids, positive=positive)


def account_ids(scope: SQL, having: SQL, ctx: Context) -> SQL:
    """People whose account's pooled events pass; no account = an account of one (-id)."""
    unit = "COALESCE(ep.account_id, -ep.id)"
    units = sql(
        f"SELECT {unit} AS unit FROM {EVENT} e JOIN {PERSON} ep ON ep.id = e.person_id"  # noqa: S608
        f" WHERE {{}} GROUP BY {unit} HAVING {{}}",
        scope,
        having,
    )
    return sql(
        f"SELECT pu.id AS pid FROM {PERSON} pu JOIN ({{}}) ru"  # noqa: S608
        " ON ru.unit = COALESCE(pu.account_id, -pu.id) WHERE pu.workspace_id = {}",
        units,
        param(ctx.workspace_id),
    )


def event_scope(node: dict[str, Any], ctx: Context, *, with_where: bool) -> SQL:
    """The events an event condition aggregates: name, window, filters. (Events without a
    numeric `property` stay in: SUM/AVG/MIN/MAX skip the NULL their value reads as.)"""
    time = ctx.dialect.time
    conditions = [
        sql("e.workspace_id = {}", param(ctx.workspace_id)),
        sql("e.name = {}", param(node["event"])),
        sql("e.timestamp <= {}", time(ctx.as_of)),
    ]
    if "within_days" in node:
        since = ctx.as_of - timedelta(days=node["within_days"])
        conditions.append(sql("e.timestamp >= {}", time(since)))
    if with_where:
        conditions.extend(where_filters(node, ctx))
    return join(" AND ", conditions)


def where_filters(node: dict[str, Any], ctx: Context) -> list[SQL]:
    return [
        filter_predicate(
            ctx.dialect,
            doc="e.properties",
            timestamp="e.timestamp",
            time_zone=ctx.time_zone,
            item=item,
        )
        for item in node.get("where") or []
    ]


class AggregateCompiler:
    """The SQL aggregate of one event condition, evaluated per group of events; NULL
    when undefined (avg/min/max without a numeric value)."""

    def compile(self, node: dict[str, Any], ctx: Context) -> SQL:
        agg, d = node.get("agg", "count"), ctx.dialect
        if agg == "count":
            return SQL("COUNT(*)")
        if agg in g.PROPERTY_AGGREGATES:
            number = d.json_number("e.properties", node["property"])
            return d.total(number) if agg == "sum" else sql(f"{agg.upper()}({{}})", number)
        if agg in ("days_since_last", "days_since_first"):
            edge = "MAX" if agg == "days_since_last" else "MIN"
            return d.whole_days(d.time(ctx.as_of), SQL(f"{edge}(e.timestamp)"))
        if agg == "distinct_days":
            return sql("COUNT(DISTINCT {})", d.local_part("e.timestamp", "date", ctx.time_zone))
        matching = join(" AND ", where_filters(node, ctx))
        return d.ratio(sql("SUM(CASE WHEN {} THEN 1 ELSE 0 END)", matching), SQL("COUNT(*)"))


COMPILERS: dict[str, NodeCompiler] = {
    "all": AllCompiler(),
    "any": AnyCompiler(),
    "not": NotCompiler(),
    "segment": SegmentCompiler(),
    "trait": TraitCompiler(),
    "account_trait": AccountTraitCompiler(),
    "event": EventCompiler(),
}


def compile_rule(
    definition: dict[str, Any],
    *,
    workspace: Workspace,
    as_of: datetime | None = None,
    segment_id: int | None = None,
    using: str = "default",
) -> CompiledQuery:
    """Validate `definition` and compile it into one query of the matching person ids.

    `as_of` pins "now" (default: the current time; a naive value is read as UTC).
    Raises RuleError for an invalid definition.
    """
    validate_definition(definition, workspace=workspace, segment_id=segment_id)
    ctx = Context(
        dialect=dialect_for(connections[using]),
        workspace_id=workspace.pk,
        as_of=_aware(as_of),
        time_zone=workspace.time_zone or "UTC",
    )
    predicate = compile_node(definition, ctx)
    account = f" LEFT JOIN {ACCOUNT} ra ON ra.id = rp.account_id" if ctx.uses_account else ""
    query = sql(
        f"SELECT rp.id AS person_id FROM {PERSON} rp{account}{{}}"  # noqa: S608
        " WHERE rp.workspace_id = {} AND {}",
        join("", (sql(" {}", fragment) for fragment in ctx.joins)),
        param(workspace.pk),
        predicate,
    )
    return CompiledQuery(sql=query.text, params=query.params)


def _aware(as_of: datetime | None) -> datetime:
    if as_of is None:
        return timezone.now()
    return as_of.replace(tzinfo=UTC) if timezone.is_naive(as_of) else as_of
