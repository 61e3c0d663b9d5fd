"""Running compiled rules: the ids, a QuerySet, and the builder's preview."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from people.models import Person
from segments.planner_stats import analyze_if_stale
from segments.rules.compiler import PERSON, compile_rule
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
    first identified members by id, so it is stable between previews."""
    analyze_if_stale(using=using)
    query = compile_rule(definition, workspace=workspace, as_of=as_of, using=using)
    with connections[using].cursor() as cursor:
        count = f"SELECT COUNT(*) FROM ({query.sql}) rule_ids"  # noqa: S608  (compiled SQL)
        cursor.execute(count, query.params)
        (size,) = cursor.fetchone()
        cursor.execute(
            f"SELECT sp.user_id FROM {PERSON} sp WHERE sp.id IN ({query.sql})"  # noqa: S608
            " AND sp.user_id IS NOT NULL ORDER BY sp.id LIMIT %s",
            (*query.params, sample),
        )
        return {"size": size, "sample": [row[0] for row in cursor.fetchall()]}
