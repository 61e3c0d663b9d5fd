"""The demo workspace's example segments: one of each kind, with playbooks, computed."""

from __future__ import annotations

from typing import Any

from segments import services
from segments.models import Segment
from workspaces.models import Workspace

EXAMPLES: list[dict[str, Any]] = [
    {
        "name": "Trial stallers",
        "kind": "rule",
        "definition": {
            "all": [
                {"event": "Pricing Page Viewed", "value": {"gte": 3}, "within_days": 7},
                {"not": {"event": "Teammate Invited", "within_days": 30}},
                {"trait": "plan", "op": "eq", "value": "free"},
            ]
        },
        "playbook": "Offer a 20-minute pricing call and a 14-day team trial.",
    },
    {
        "name": "Power users",
        "kind": "rule",
        "definition": {
            "all": [
                {
                    "event": "Logged In",
                    "agg": "distinct_days",
                    "value": {"gte": 10},
                    "within_days": 30,
                },
                {"event": "Report Exported", "value": {"gte": 3}, "within_days": 30},
            ]
        },
        "playbook": "Invite to the beta programme and ask for a case study.",
    },
    {
        "name": "Fading payers",
        "kind": "rule",
        "definition": {
            "all": [
                {"event": "Order Completed", "within_days": 120},
                {"event": "Logged In", "agg": "days_since_last", "value": {"gte": 21}},
            ]
        },
        "playbook": "Customer success reaches out personally within a week.",
    },
    {
        "name": "Customer value (RFM)",
        "kind": "rfm",
        "definition": {
            "event": "Order Completed",
            "monetary_property": "amount",
            "window_days": 365,
            "bins": 5,
        },
        "playbook": "Champions get early access; At Risk get a win-back offer.",
    },
    {
        "name": "Usage clusters",
        "kind": "cluster",
        "definition": {
            "features": [
                {"event": "Logged In", "within_days": 30},
                {"event": "Report Exported", "within_days": 30},
                {"event": "Dashboard Created", "within_days": 30},
                {"event": "Pricing Page Viewed", "within_days": 30},
            ],
            "k": "auto",
            "seed": 0,
        },
        "playbook": "Tailor onboarding emails to each cluster's main job.",
    },
]


def create_demo_segments(*, workspace: Workspace) -> list[Segment]:
    """Create and compute the examples once; a workspace with segments is left alone."""
    if Segment.objects.filter(workspace=workspace).exists():
        return []
    created = []
    for example in EXAMPLES:
        segment = services.segment_create(workspace=workspace, **example)
        services.segment_compute(segment=segment)
        created.append(segment)
    return created
