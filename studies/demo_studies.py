"""The demo workspace's studies: a one-off comparison study and a continuous one, launched.

The comparison study targets two of the ready-made segments (segments/demo_segments.py)
whose members the generator drew from different latent groups, asks all six question
types with probing on, and invites through `link` (the demo sends no email). The
continuous study listens: it invites people as they newly enter its segment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from django.utils import timezone

from segments import selectors as segment_selectors
from segments import services as segment_services
from segments.models import Segment
from studies import services
from studies.models import Study
from workspaces.models import Workspace

COMPARISON_SEGMENTS: Final = ("Power users", "3+ pricing-page visits in 7 days")
LISTENING_SEGMENT: Final = "Downgraded in the last 30 days"
LAUNCHED_DAYS_AGO: Final = 5
PROBE: Final = {"max_followups": 2, "instructions": "Ask for the concrete moment and the why."}

COMPARISON: Final[dict[str, Any]] = {
    "key": "why-stay-or-stall",
    "title": "Why do power users stay and pricing visitors stall?",
    "objective": "Decide what the pricing page and the first week should promise.",
    "quota_per_segment": 60,
    "channel": "link",
    "incentive_text": "A $20 gift card for 10 minutes of your time.",
    "questions": [
        {
            "key": "job",
            "type": "open_ended",
            "prompt": "What were you trying to get done the last time you used Acme Analytics?",
            "probe": PROBE,
        },
        {
            "key": "nps",
            "type": "scale",
            "prompt": "How likely are you to recommend Acme Analytics to a colleague?",
            "min": 0,
            "max": 10,
            "min_label": "Not at all likely",
            "max_label": "Extremely likely",
        },
        {
            "key": "plan_fit",
            "type": "single_choice",
            "prompt": "Which plan fits your team today?",
            "options": ["Free", "Pro", "Team"],
            "allow_other": True,
        },
        {
            "key": "features",
            "type": "multiple_choice",
            "prompt": "Which features do you rely on most?",
            "options": ["Dashboards", "SQL", "Funnels", "Alerts", "Cohorts", "Exports"],
            "min_selected": 1,
            "max_selected": 3,
        },
        {
            "key": "priorities",
            "type": "ranking",
            "prompt": "Rank what matters most to you in an analytics tool.",
            "options": ["Price", "Speed", "Depth of analysis", "Support"],
        },
        {
            "key": "team",
            "type": "yes_no",
            "prompt": "Would you bring more of your team onto a paid plan this quarter?",
        },
        {
            "key": "blocker",
            "type": "open_ended",
            "prompt": "What, if anything, holds you back from using it more?",
            "probe": PROBE,
        },
    ],
}

LISTENING: Final[dict[str, Any]] = {
    "key": "downgrade-listening",
    "title": "Why did you downgrade?",
    "objective": "Hear from every downgrade within days, while the reason is fresh.",
    "mode": "continuous",
    "quota_per_segment": 500,
    "channel": "link",
    "questions": [
        {
            "key": "why",
            "type": "open_ended",
            "prompt": "What made you change your plan?",
            "probe": PROBE,
        },
        {
            "key": "reason",
            "type": "single_choice",
            "prompt": "Which comes closest to the main reason?",
            "options": ["Price", "Not using it enough", "Missing a feature", "Switched tools"],
            "allow_other": True,
        },
    ],
}


# The loop closed: answers become traits (motive.<study>.<question>), segments are cut on
# them, and a follow-up study compares the two sides.
ANSWER_TRAIT: Final = f"motive.{COMPARISON['key']}.team"
ANSWER_SEGMENTS: Final = {
    "Said yes: would bring the team": True,
    "Said no: would not bring the team": False,
}
FOLLOWUP: Final[dict[str, Any]] = {
    "key": "team-followup",
    "title": "What would it take to bring your team onto a paid plan?",
    "objective": "Cut by one answer: compare who would bring their team with who would not.",
    "quota_per_segment": 200,
    "recontact_days": 0,
    "channel": "link",
    "questions": [
        {
            "key": "what_it_takes",
            "type": "open_ended",
            "prompt": "What would it take for your whole team to use Acme Analytics?",
            "probe": PROBE,
        },
        {
            "key": "price_fit",
            "type": "scale",
            "prompt": "How fair is the price for what you get?",
            "min": 1,
            "max": 5,
            "min_label": "Not fair at all",
            "max_label": "Very fair",
        },
        {
            "key": "first_step",
            "type": "single_choice",
            "prompt": "Which would help most first?",
            "options": [
                "A cheaper small-team plan",
                "A longer trial",
                "Faster queries",
                "Permissions per team",
            ],
        },
    ],
}
FOLLOWUP_LAUNCHED_HOURS_AGO: Final = 20


def create_followup_study(*, workspace: Workspace, now: datetime | None = None) -> Study | None:
    """Once the comparison study has answers both ways: segments on one answer's trait and a
    follow-up study at them, launched. None if it exists or an answer has nobody yet."""
    if Study.objects.filter(workspace=workspace, key=FOLLOWUP["key"]).exists():
        return None
    now = now or timezone.now()
    definitions = {
        name: {"trait": ANSWER_TRAIT, "op": "eq", "value": value}
        for name, value in ANSWER_SEGMENTS.items()
    }
    for definition in definitions.values():
        preview = segment_selectors.segment_preview(
            workspace=workspace, kind="rule", definition=definition, as_of=now, sample=0
        )
        if not preview["size"]:
            return None
    segment_ids = []
    for name, definition in definitions.items():
        segment = segment_services.segment_create(
            workspace=workspace,
            name=name,
            kind="rule",
            definition=definition,
            playbook="Follow up: what would it take to bring the whole team?",
        )
        segment_services.segment_compute(segment=segment, as_of=now)
        segment_ids.append(segment.pk)
    study = services.study_create(workspace=workspace, segments=segment_ids, **FOLLOWUP)
    launched = now - timedelta(hours=FOLLOWUP_LAUNCHED_HOURS_AGO)
    return services.study_launch(study=study, now=launched).study


def create_demo_studies(*, workspace: Workspace, now: datetime | None = None) -> list[Study]:
    """Create and launch the demo's two studies once; [] if the workspace has studies or
    lacks the ready-made segments."""
    if Study.objects.filter(workspace=workspace).exists():
        return []
    names = [*COMPARISON_SEGMENTS, LISTENING_SEGMENT]
    by_name = dict(
        Segment.objects.filter(workspace=workspace, name__in=names).values_list("name", "pk")
    )
    if set(names) - set(by_name):
        return []
    # Launched a few days ago, so the simulated interviews can spread over days.
    launched = (now or timezone.now()) - timedelta(days=LAUNCHED_DAYS_AGO)
    studies = []
    for spec, segment_names in (
        (COMPARISON, COMPARISON_SEGMENTS),
        (LISTENING, [LISTENING_SEGMENT]),
    ):
        study = services.study_create(
            workspace=workspace, segments=[by_name[n] for n in segment_names], **spec
        )
        studies.append(services.study_launch(study=study, now=launched).study)
    return studies
