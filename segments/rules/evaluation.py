"""Running compiled rules: the ids, a QuerySet, and the builder's preview."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from people.models import Person
from segments.planner_stats import analyze_if_stale
from segments.rules.compiler import PERSON, CompiledQuery, compile_rule
from workspaces.models import Workspace


def evaluate_rule(
    definition: dict[str, Any],
    *,
    workspace: Workspace,
    as_of: datetime | None = None,
    using: str = "default",
) -> set[int]:
    """Ids of the people of `workspace` matching `definition` at `as_of`: one query."""
    query = compile_rule(definition, workspace=workspace, as_of=as_of, using=using)
    with connections[using].cursor() as cursor:
        cursor.execute(query.sql, query.params)
        return {row[0] for row in cursor.fetchall()}


def rule_people(
    definition: dict[str, Any], *, workspace: Workspace, as_of: datetime | None = None
) -> QuerySet[Person]:
    """The matching people as a QuerySet (the rule runs as a subquery when it is evaluated)."""
    query = compile_rule(definition, workspace=workspace, as_of=as_of)
    return Person.objects.filter(workspace=workspace, id__in=RawSQL(query.sql, query.params))  # noqa: S611


def preview(
    definition: dict[str, Any],
    *,
    workspace: Workspace,
    as_of: datetime | None = None,
    sample: int = 20,
    using: str = "default",
) -> dict[str, Any]:
    """`{"size": N, "sample": [user ids]}` without saving anything; the sample is the
    first identified members by id, so it is stable between previews.

    One statement that evaluates the rule once, as a compute does, then counts it and
    looks its first members up by primary key. (Asked as a count and then `person.id IN
    (rule) ORDER BY id LIMIT n`, the rule ran twice.)"""
    analyze_if_stale(using=using)
    query = compile_rule(definition, workspace=workspace, as_of=as_of, using=using)
    statement, params = preview_statement(query, sample, vendor=connections[using].vendor)
    with connections[using].cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    size = next(count for user_id, count in rows if user_id is None)
    members = sorted((person_id, user_id) for user_id, person_id in rows if user_id is not None)
    return {"size": size, "sample": [user_id for _, user_id in members]}


def preview_statement(
    query: CompiledQuery, sample: int, *, vendor: str = "postgresql"
) -> tuple[str, tuple[Any, ...]]:
    """The preview's one statement: rows (NULL, size), then (user_id, id) of the sample.

    The sample looks the rule's people up by primary key (`id = ANY(ARRAY(...))` on
    PostgreSQL): the planner cannot size the rule, and a join let it walk every person
    in id order, rescanning the rule for each."""
    members = "ANY(ARRAY(SELECT person_id FROM rule_ids))" if vendor == "postgresql" else ""
    lookup = f"sp.id = {members}" if members else "sp.id IN (SELECT person_id FROM rule_ids)"
    statement = (
        f"WITH rule_ids AS ({query.sql}) "  # noqa: S608  (compiled SQL)
        "SELECT NULL, COUNT(*) FROM rule_ids UNION ALL "
        f"SELECT * FROM (SELECT sp.user_id, sp.id FROM {PERSON} sp WHERE {lookup} "
        "AND sp.user_id IS NOT NULL ORDER BY sp.id LIMIT %s) first_members"
    )
    return statement, (*query.params, sample)
