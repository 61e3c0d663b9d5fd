"""The demo workspace's ready-made segments, with playbooks, computed with weekly history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from segments import jobs, services
from segments.models import Segment, SegmentKind
from workspaces.models import Workspace

EXAMPLES: list[dict[str, Any]] = [
    {
        "name": "Power users",
        "kind": "rule",
        "definition": {
            "all": [
                {
                    "event": "Session Started",
                    "agg": "distinct_days",
                    "value": {"gte": 12},
                    "within_days": 30,
                },
                {"event": "Report Exported", "value": {"gte": 20}, "within_days": 30},
            ]
        },
        "playbook": "Invite them to the beta programme and ask for a case study.",
    },
    {
        "name": "Light users",
        "kind": "rule",
        "definition": {
            "event": "Session Started",
            "value": {"between": [1, 4]},
            "within_days": 30,
        },
        "playbook": "Send the 'one useful report a week' email series with a saved dashboard.",
    },
    {
        "name": "3+ pricing-page visits in 7 days",
        "kind": "rule",
        "definition": {"event": "Pricing Page Viewed", "value": {"gte": 3}, "within_days": 7},
        "playbook": "Offer a 20-minute pricing call and a 14-day team trial.",
    },
    {
        "name": "Downgraded in the last 30 days",
        "kind": "rule",
        "definition": {"event": "Plan Downgraded", "within_days": 30},
        "playbook": "Customer success calls within a week; offer the old plan at the annual price.",
    },
    {
        "name": "RFM Champions",
        "kind": "rfm",
        "definition": {
            "event": "Order Completed",
            "monetary_property": "amount",
            "window_days": 365,
            "bins": 5,
            "include": ["Champions"],
        },
        "playbook": "Early access to new features and a referral ask.",
    },
    {
        "name": "RFM At Risk",
        "kind": "rfm",
        "definition": {
            "event": "Order Completed",
            "monetary_property": "amount",
            "window_days": 365,
            "bins": 5,
            "include": ["At Risk"],
        },
        "playbook": "A win-back offer and a personal check-in from their account manager.",
    },
    {
        "name": "Usage clusters",
        "kind": "cluster",
        "definition": {
            "features": [
                {"event": "Session Started", "within_days": 30},
                {"event": "Report Exported", "within_days": 30},
                {"event": "Email Clicked", "within_days": 30},
                {"event": "Order Completed", "within_days": 180},
            ],
            # A fixed k keeps the clusters comparable across the weekly history.
            "k": 4,
            "seed": 0,
        },
        "playbook": "Tailor onboarding emails to each cluster's main job.",
    },
]


# Weekly computes behind today's, so trend lines, stability and entered/exited history
# have something to show. Clusters get today's compute only: k-means over every person
# is the slow one, and `make demo` must be ready in minutes.
HISTORY_WEEKS = 2


def create_demo_segments(*, workspace: Workspace, now: datetime | None = None) -> list[Segment]:
    """Create the ready-made segments once, each computed with weekly history behind it.

    The weekly computes are evaluated and recorded as of their own date.
    """
    if Segment.objects.filter(workspace=workspace).exists():
        return []
    now = now or timezone.now()
    created = []
    # Their shares of revenue follow in one task, as of today (the history's are not shown).
    with jobs.revenue_shares_together():
        for example in EXAMPLES:
            segment = services.segment_create(workspace=workspace, **example)
            weeks = 0 if segment.kind == SegmentKind.CLUSTER else HISTORY_WEEKS
            for weeks_ago in range(weeks, 0, -1):
                then = now - timedelta(weeks=weeks_ago)
                services.segment_compute(segment=segment, as_of=then, record_at=then)
            services.segment_compute(segment=segment, as_of=now, record_at=now)
            segment.refresh_from_db()
            _child_playbooks(segment)
            created.append(segment)
    return created


# A cluster's generated name starts with what its members do most; its playbook follows.
CLUSTER_PLAYBOOKS: list[tuple[str, str]] = [
    ("Heavy Report Exported", "Invite them to the beta programme; offer scheduled exports."),
    ("Heavy Session Started", "Show the next feature their team has not tried; ask for a review."),
    ("Heavy Email Clicked", "Bring email readers into the product: link to a saved dashboard."),
    ("Heavy Order Completed", "Paying but rarely in: a customer-success check-in before renewal."),
]
REST_PLAYBOOK = "A re-engagement series: one useful report a week by email."


def _child_playbooks(segment: Segment) -> None:
    for child in segment.children.all():
        playbook = next(
            (text for cue, text in CLUSTER_PLAYBOOKS if child.name.startswith(cue)), REST_PLAYBOOK
        )
        services.segment_update(segment=child, playbook=playbook)
