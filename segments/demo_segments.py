"""The demo workspace's example segments: one of each kind, with playbooks, computed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

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
            # A fixed k keeps the clusters comparable across the weekly history.
            "k": 3,
            "seed": 0,
        },
        "playbook": "Tailor onboarding emails to each cluster's main job.",
    },
]


HISTORY_WEEKS = 8


def create_demo_segments(*, workspace: Workspace, now: datetime | None = None) -> list[Segment]:
    """Create the examples once, with eight weeks of weekly computes behind today's.

    The weekly computes are evaluated and recorded as of their own date, so the
    trend lines, stability and entered/exited history have something to show.
    """
    if Segment.objects.filter(workspace=workspace).exists():
        return []
    now = now or timezone.now()
    created = []
    for example in EXAMPLES:
        segment = services.segment_create(workspace=workspace, **example)
        for weeks_ago in range(HISTORY_WEEKS, 0, -1):
            then = now - timedelta(weeks=weeks_ago)
            services.segment_compute(segment=segment, as_of=then, record_at=then)
        services.segment_compute(segment=segment, as_of=now, record_at=now)
        segment.refresh_from_db()
        created.append(segment)
    return created
