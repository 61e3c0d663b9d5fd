"""RFM segments: recency, frequency and monetary scores from a purchase event, in SQL.

Per person, over purchases in the window `[as_of - window_days, as_of]`:

- `recency_days` = whole days from the last purchase to `as_of`;
- `frequency` = number of purchase events;
- `monetary` = sum of the numeric `monetary_property` (non-numbers left out; 0 if none).

**Scores** 1..`bins` by rank: `score = floor((rank - 1) * bins / n) + 1`, where `rank`
is SQL `RANK()` over the n purchasers (ascending frequency and monetary; for
recency, descending days, so a recent purchase scores high). `RANK()` gives equal
raw values equal ranks, so people with equal values always get equal scores, and
without ties the bins hold n / bins people each; ties can only make a bin larger.

**Tiers** come from R and FM = round((F + M) / 2), both first rescaled to 1..5
(`ceil(score * 5 / bins)`) when `bins` is not 5, through the usual grid:

| R \\ FM | 1 | 2 | 3 | 4 | 5 |
|---|---|---|---|---|---|
| 5 | New Customers | Potential Loyalist | Potential Loyalist | Champions | Champions |
| 4 | Promising | Potential Loyalist | Potential Loyalist | Loyal Customers | Loyal Customers |
| 3 | About To Sleep | About To Sleep | Need Attention | Loyal Customers | Loyal Customers |
| 2 | Hibernating | Hibernating | At Risk | At Risk | Can't Lose Them |
| 1 | Lost | Hibernating | At Risk | At Risk | Can't Lose Them |

Everything runs in the database: one scoring query, staged in a temporary table,
then the membership diff and one `UPDATE ... FROM` of the members' scores
(PostgreSQL and SQLite >= 3.33).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction

from people.models import Event
from segments.membership import MEMBERSHIP, MembershipDiff, apply_members
from segments.models import Segment
from segments.planner_stats import analyze_if_stale
from segments.rules.dialects import Dialect, dialect_for
from segments.rules.sql import SQL, join, param, sql
from workspaces.services import ServiceError
from workspaces.untrusted import find_unstorable

EVENT = Event._meta.db_table

TIER_GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("New Customers", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"),
    4: (
        "Promising",
        "Potential Loyalist",
        "Potential Loyalist",
        "Loyal Customers",
        "Loyal Customers",
    ),
    3: ("About To Sleep", "About To Sleep", "Need Attention", "Loyal Customers", "Loyal Customers"),
    2: ("Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"),
    1: ("Lost", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"),
}
TIERS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            "Champions",
            "Loyal Customers",
            "Potential Loyalist",
            "New Customers",
            "Promising",
            "Need Attention",
            "About To Sleep",
            "At Risk",
            "Can't Lose Them",
            "Hibernating",
            "Lost",
        ]
    )
)
KEYS = {"event", "monetary_property", "window_days", "bins", "include"}


def tier_of(r: int, f: int, m: int, bins: int = 5) -> str:
    """The tier of one score triple (the same map the SQL applies)."""
    r5, f5, m5 = ((s * 5 + bins - 1) // bins for s in (r, f, m))
    return TIER_GRID[r5][(f5 + m5 + 1) // 2 - 1]


def validate(definition: dict[str, Any]) -> dict[str, Any]:
    """Check an RFM definition; returns it with defaults filled in."""
    unstorable = find_unstorable(definition, "definition")
    if unstorable is not None:
        raise ServiceError(f"{unstorable.path}: {unstorable.problem}", field="definition")
    unknown = set(definition) - KEYS
    if unknown:
        raise ServiceError(f'definition: unknown key "{sorted(unknown)[0]}".', field="definition")
    event = definition.get("event")
    if not isinstance(event, str) or not event.strip():
        raise ServiceError(
            'definition.event: name the purchase event, e.g. "Order Completed".', field="definition"
        )
    prop = definition.get("monetary_property", "amount")
    if not isinstance(prop, str) or not prop:
        raise ServiceError(
            "definition.monetary_property: expected a property name.", field="definition"
        )
    window = definition.get("window_days", 365)
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 36_500:
        raise ServiceError(
            "definition.window_days: a whole number of days from 1 to 36500.", field="definition"
        )
    bins = definition.get("bins", 5)
    if isinstance(bins, bool) or not isinstance(bins, int) or not 2 <= bins <= 10:
        raise ServiceError("definition.bins: a whole number from 2 to 10.", field="definition")
    include = definition.get("include", [])
    if not isinstance(include, list) or any(t not in TIERS for t in include):
        bad = (
            next((t for t in include if t not in TIERS), include)
            if isinstance(include, list)
            else include
        )
        raise ServiceError(
            f"definition.include: unknown tier {bad!r}; tiers are: {', '.join(TIERS)}.",
            field="definition",
        )
    return {
        "event": event,
        "monetary_property": prop,
        "window_days": window,
        "bins": bins,
        "include": include,
    }


def _tier_case(r5: str, fm5: str) -> str:
    cases = " ".join(
        f"WHEN {r5} = {r} AND {fm5} = {fm + 1} THEN '{name.replace(chr(39), chr(39) * 2)}'"
        for r, row in TIER_GRID.items()
        for fm, name in enumerate(row)
    )
    return f"CASE {cases} END"


def scored_sql(
    definition: dict[str, Any], *, workspace_id: int, as_of: datetime, dialect: Dialect
) -> SQL:
    """One query: pid, recency_days, frequency, monetary, r, f, m, tier per purchaser."""
    spec = validate(definition)
    bins = spec["bins"]
    at = dialect.time(as_of)
    purchases = sql(
        f"SELECT e.person_id AS pid, MAX(e.timestamp) AS last_ts, COUNT(*) AS frequency, "  # noqa: S608
        f"COALESCE({{}}, 0) AS monetary FROM {EVENT} e "
        "WHERE e.workspace_id = {} AND e.name = {} AND e.timestamp <= {} AND e.timestamp >= {} "
        "GROUP BY e.person_id",
        dialect.total(dialect.json_number("e.properties", spec["monetary_property"])),
        param(workspace_id),
        param(spec["event"]),
        at,
        dialect.time(as_of - timedelta(days=spec["window_days"])),
    )
    measured = sql(
        "SELECT pid, {} AS recency_days, frequency, monetary FROM ({}) p",
        dialect.whole_days(at, SQL("p.last_ts")),
        purchases,
    )
    ranked = sql(
        "SELECT pid, recency_days, frequency, monetary, "
        "RANK() OVER (ORDER BY recency_days DESC) AS r_rank, "
        "RANK() OVER (ORDER BY frequency) AS f_rank, "
        "RANK() OVER (ORDER BY monetary) AS m_rank, COUNT(*) OVER () AS n FROM ({}) q",
        measured,
    )
    scores = sql(
        f"SELECT pid, recency_days, frequency, monetary, "  # noqa: S608
        f"((r_rank - 1) * {bins}) / n + 1 AS r, ((f_rank - 1) * {bins}) / n + 1 AS f, "
        f"((m_rank - 1) * {bins}) / n + 1 AS m FROM ({{}}) k",
        ranked,
    )

    def five(column: str) -> str:
        return f"((s.{column} * 5 + {bins - 1}) / {bins})"

    fm5 = f"(({five('f')} + {five('m')} + 1) / 2)"
    tier = _tier_case(five("r"), fm5)
    return sql(f"SELECT s.*, {tier} AS tier FROM ({{}}) s", scores)  # noqa: S608


def _json_scores(dialect: Dialect) -> str:
    keys = ("recency_days", "frequency", "monetary", "r", "f", "m", "tier")
    builder = "jsonb_build_object" if dialect.connection.vendor == "postgresql" else "json_object"
    pairs = ", ".join(f"'{key}', x.{key}" for key in keys)
    return f"{builder}({pairs})"


SCORES = "motive_stage_rfm_scores"


def compute(*, segment: Segment, as_of: datetime, now: datetime | None = None) -> MembershipDiff:
    """Members = purchasers in the included tiers; their scores are stored on the membership.

    The scores are computed once, into a temporary table keyed by person and analyzed,
    which both the membership diff and the scores' UPDATE read: the UPDATE then joins
    the memberships to a table whose size the planner knows, instead of to the scoring
    query, which a nested loop would re-run for every membership row.
    """
    dialect = dialect_for(connection)
    dialect.prepare()
    spec = validate(segment.definition)
    scored = scored_sql(spec, workspace_id=segment.workspace_id, as_of=as_of, dialect=dialect)
    json_type = "jsonb" if connection.vendor == "postgresql" else "text"
    with transaction.atomic():
        _execute(f"DROP TABLE IF EXISTS {SCORES}", [])
        _execute(
            f"CREATE TEMPORARY TABLE {SCORES} "
            f"(pid bigint PRIMARY KEY, tier text NOT NULL, scores {json_type} NOT NULL, "
            "r5 integer NOT NULL, fm5 integer NOT NULL, monetary double precision NOT NULL)",
            [],
        )
        bins = spec["bins"]

        def five(column: str) -> str:
            return f"((x.{column} * 5 + {bins - 1}) / {bins})"

        try:
            stage = sql(
                f"INSERT INTO {SCORES} (pid, tier, scores, r5, fm5, monetary) "  # noqa: S608
                f"SELECT x.pid, x.tier, {_json_scores(dialect)}, {five('r')}, "
                f"(({five('f')} + {five('m')} + 1) / 2), x.monetary FROM ({{}}) x",
                scored,
            )
            _execute(stage.text, list(stage.params))
            if connection.vendor == "postgresql":
                _execute(f"ANALYZE {SCORES}", [])
            members = _members(spec, SQL(SCORES))
            diff = apply_members(
                segment=segment,
                members_sql=members.text,
                members_params=list(members.params),
                now=now,
            )
            _execute(
                f"UPDATE {MEMBERSHIP} SET scores = z.scores FROM {SCORES} z "  # noqa: S608
                "WHERE segment_id = %s AND exited_at IS NULL AND person_id = z.pid",
                [segment.pk],
            )
            Segment.objects.filter(pk=segment.pk).update(result=_grid_summary(spec))
        finally:
            _execute(f"DROP TABLE IF EXISTS {SCORES}", [])
    return diff


def _grid_summary(spec: dict[str, Any]) -> dict[str, Any]:
    """Purchasers and revenue per cell of the 5 by 5 tier grid, from the staged scores:
    what the segment page draws as its heatmap and tier bars."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r5, fm5, COUNT(*), SUM(monetary) FROM {SCORES} GROUP BY r5, fm5"  # noqa: S608
        )
        cells = [
            {"r": int(r), "fm": int(fm), "count": int(n), "revenue": round(float(total or 0), 2)}
            for r, fm, n, total in cursor.fetchall()
        ]
    return {
        "grid": sorted(cells, key=lambda c: (-c["r"], c["fm"])),
        "purchasers": sum(c["count"] for c in cells),
        "revenue": round(sum(c["revenue"] for c in cells), 2),
        "include": spec["include"],
    }


def heatmap(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored grid as rows R 5..1 of cells FM 1..5, each with its tier, purchasers,
    their share of everyone's revenue and a 0..1 heat (count against the fullest cell);
    and the tiers with their sizes, largest first."""
    if not summary or "grid" not in summary:
        return None
    by_cell = {(c["r"], c["fm"]): c for c in summary["grid"]}
    fullest = max((c["count"] for c in summary["grid"]), default=0) or 1
    revenue = summary.get("revenue") or 0
    include = set(summary.get("include") or TIERS)
    rows = []
    tiers: dict[str, dict[str, Any]] = {}
    for r in range(5, 0, -1):
        cells = []
        for fm in range(1, 6):
            cell = by_cell.get((r, fm), {"count": 0, "revenue": 0.0})
            tier = TIER_GRID[r][fm - 1]
            share = cell["revenue"] / revenue if revenue else None
            cells.append(
                {
                    "tier": tier,
                    "count": cell["count"],
                    "revenue_share": share,
                    "heat": round(cell["count"] / fullest, 3),
                    "included": tier in include,
                }
            )
            total = tiers.setdefault(tier, {"tier": tier, "count": 0, "revenue": 0.0})
            total["count"] += cell["count"]
            total["revenue"] += cell["revenue"]
        rows.append({"r": r, "cells": cells})
    purchasers = summary.get("purchasers") or 0
    bars = sorted(tiers.values(), key=lambda t: (-t["count"], TIERS.index(t["tier"])))
    for bar in bars:
        bar["share"] = bar["count"] / purchasers if purchasers else 0.0
        bar["width"] = round(100 * bar["count"] / max(bars[0]["count"], 1), 1)
        bar["revenue_share"] = bar["revenue"] / revenue if revenue else None
        bar["included"] = bar["tier"] in include
    return {"rows": rows, "tiers": bars, "purchasers": purchasers, "revenue": revenue}


def _execute(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def preview(
    definition: dict[str, Any], *, workspace_id: int, as_of: datetime, sample: int = 20
) -> dict[str, Any]:
    """Size and a sample of user ids of an RFM definition, without saving anything."""
    analyze_if_stale()
    dialect = dialect_for(connection)
    dialect.prepare()
    spec = validate(definition)
    scored = scored_sql(spec, workspace_id=workspace_id, as_of=as_of, dialect=dialect)
    members = _members(spec, sql("({})", scored))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({members.text}) c", list(members.params))  # noqa: S608
        (size,) = cursor.fetchone()
        cursor.execute(
            f"SELECT sp.user_id FROM segments_person sp WHERE sp.id IN ({members.text}) "  # noqa: S608
            "AND sp.user_id IS NOT NULL ORDER BY sp.id LIMIT %s",
            [*members.params, sample],
        )
        return {"size": size, "sample": [row[0] for row in cursor.fetchall()]}


def _members(spec: dict[str, Any], source: SQL) -> SQL:
    """`person_id`s of the scored purchasers in the included tiers (all tiers if none);
    `source` is the scoring query in parentheses or the table it was staged in."""
    if not spec["include"]:
        return sql("SELECT t.pid AS person_id FROM {} t", source)
    tiers = join(", ", (param(tier) for tier in spec["include"]))
    return sql("SELECT t.pid AS person_id FROM {} t WHERE t.tier IN ({})", source, tiers)
