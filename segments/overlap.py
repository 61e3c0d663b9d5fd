"""Pairwise overlap of a workspace's active segments, and the warnings a researcher should see.

One grouped self-join of open memberships counts every pair's intersection in
the database; Jaccard = |A ∩ B| / (|A| + |B| - |A ∩ B|).
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from segments.membership import MEMBERSHIP
from segments.models import Segment, SegmentKind

MAX_ACTIVE = 7
MERGE_JACCARD = 0.8


def overlap(*, workspace_id: int) -> dict[str, Any]:
    segments: list[dict[str, Any]] = [
        dict(row)
        # A cluster parent is the union of its children: its clusters are what is compared.
        for row in Segment.objects.filter(workspace_id=workspace_id, is_active=True)
        .exclude(kind=SegmentKind.CLUSTER, parent__isnull=True)
        .order_by("id")
        .values("id", "name", "size", "playbook")
    ]
    ids = [s["id"] for s in segments]
    sizes = {s["id"]: s["size"] for s in segments}
    pairs: list[dict[str, Any]] = []
    if len(ids) > 1:
        marks = ", ".join(["%s"] * len(ids))
        query = (
            f"SELECT a.segment_id, b.segment_id, COUNT(*) FROM {MEMBERSHIP} a "  # noqa: S608
            f"JOIN {MEMBERSHIP} b ON b.person_id = a.person_id AND b.segment_id > a.segment_id "
            f"WHERE a.exited_at IS NULL AND b.exited_at IS NULL "
            f"AND a.segment_id IN ({marks}) AND b.segment_id IN ({marks}) "
            "GROUP BY a.segment_id, b.segment_id"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, [*ids, *ids])
            counts = {(a, b): n for a, b, n in cursor.fetchall()}
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                both = counts.get((a, b), 0)
                union = sizes[a] + sizes[b] - both
                pairs.append(
                    {
                        "a": a,
                        "b": b,
                        "intersection": both,
                        "union": union,
                        "jaccard": round(both / union, 4) if union else 0.0,
                    }
                )
    return {
        "segments": [{k: s[k] for k in ("id", "name", "size")} for s in segments],
        "pairs": pairs,
        "warnings": warnings(segments, pairs),
    }


def warnings(segments: list[dict[str, Any]], pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a researcher should look at, as data: a `code`, the `segments` concerned and
    the `figure` behind it (active count, Jaccard); `message` says it in words for API
    clients, and the web page renders its own sentence from the same data."""
    names = {s["id"]: s["name"] for s in segments}
    found: list[dict[str, Any]] = []
    if len(segments) > MAX_ACTIVE:
        found.append(
            {
                "code": "too_many_segments",
                "segments": [s["id"] for s in segments],
                "figure": len(segments),
                "message": f"{len(segments)} segments are active; more than {MAX_ACTIVE} "
                "is hard to act on. Deactivate or merge some.",
            }
        )
    for pair in pairs:
        if pair["jaccard"] > MERGE_JACCARD:
            found.append(
                {
                    "code": "high_overlap",
                    "segments": [pair["a"], pair["b"]],
                    "figure": pair["jaccard"],
                    "message": f"“{names[pair['a']]}” and “{names[pair['b']]}” share "
                    f"{pair['jaccard']:.0%} of their members; consider merging them.",
                }
            )
    by_playbook: dict[str, list[int]] = {}
    for s in segments:
        key = " ".join(s["playbook"].split()).lower()
        if key:
            by_playbook.setdefault(key, []).append(s["id"])
        else:
            found.append(
                {
                    "code": "no_playbook",
                    "segments": [s["id"]],
                    "figure": None,
                    "message": f"“{s['name']}” has no playbook: a segment without a decision is "
                    "taxonomy. Say what the team does for it.",
                }
            )
    for same in by_playbook.values():
        if len(same) > 1:
            found.append(
                {
                    "code": "same_playbook",
                    "segments": same,
                    "figure": len(same),
                    "message": "Segments "
                    + ", ".join(f"“{names[i]}”" for i in same)
                    + " share one playbook; consider merging them.",
                }
            )
    return found


def matrix(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The pairs of `overlap()` as rows of a segment-by-segment table: each cell the
    Jaccard share and the people in both (the diagonal is the segment itself)."""
    by_pair = {(p["a"], p["b"]): p for p in result["pairs"]}
    rows = []
    for row in result["segments"]:
        cells = []
        for column in result["segments"]:
            if row["id"] == column["id"]:
                cells.append({"self": True, "both": row["size"], "jaccard": 1.0})
                continue
            pair = by_pair.get((min(row["id"], column["id"]), max(row["id"], column["id"])))
            cells.append(
                {
                    "self": False,
                    "both": pair["intersection"] if pair else 0,
                    "jaccard": pair["jaccard"] if pair else 0.0,
                    "high": bool(pair and pair["jaccard"] > MERGE_JACCARD),
                }
            )
        rows.append({"segment": row, "cells": cells})
    return rows
