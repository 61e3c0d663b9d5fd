"""Synthetic interviews with planted differences between two segments.

Segment "a" talks about price and scores higher on the scale; segment "b"
talks about integrations and picks "Teams" more on the single choice. Every
other answer (the remaining open-answer topics, the yes/no, the multiple
choice, the ranking) is drawn from one distribution for both, so any other
"significant" difference would be invented. Used by the planted-differences
test and by `benchmarks/reports.py`.
"""

from __future__ import annotations

import random
from typing import Any, Final

from reports.analysis import Response

QUESTIONS: Final[list[dict[str, Any]]] = [
    {"key": "why", "type": "open_ended", "prompt": "What brought you to us?"},
    {"key": "nps", "type": "scale", "min": 0, "max": 10},
    {"key": "plan", "type": "single_choice", "options": ["Solo", "Teams", "Enterprise"]},
    {"key": "feat", "type": "multiple_choice", "options": ["Reports", "Alerts", "Exports"]},
    {"key": "rank", "type": "ranking", "options": ["Speed", "Support", "Docs"]},
    {"key": "team", "type": "yes_no"},
]

PRICE: Final = [
    "The price is too high for a small team like ours.",
    "Honestly the monthly price went up and the cost is hard to justify.",
    "I wish the pricing were cheaper, the subscription cost adds up.",
    "We compared the price with other tools because the budget is tight.",
    "The cost per seat is too expensive for us.",
]
INTEGRATIONS: Final = [
    "I need a Salesforce integration so that our sales data flows in.",
    "The Slack integration is missing and that hurts.",
    "We connect everything through the API integration with our CRM.",
    "It's hard to set up the HubSpot integration without a developer.",
    "I wish the integrations with our CRM and Slack were deeper.",
]
SHARED: Final = [
    "I use the dashboard every morning to check the weekly reports.",
    "The onboarding emails helped me find my way around.",
    "Our manager asked us to try it after a conference talk.",
    "The mobile app is handy when I am travelling for work.",
    "I mostly export charts into our quarterly slides.",
    "Support answered my question about permissions within an hour.",
]


def responses(seed: int, per_segment: int) -> list[Response]:
    """`per_segment` completed interviews for each of segments "a" and "b"."""
    rng = random.Random(seed)
    made = []
    for segment in ("a", "b"):
        for index in range(per_segment):
            made.append(_response(rng, segment, f"{segment}-{seed}-{index}"))
    return made


def _response(rng: random.Random, segment: str, interview: str) -> Response:
    own = PRICE if segment == "a" else INTEGRATIONS
    parts = [rng.choice(SHARED)]
    if rng.random() < 0.7:
        parts.append(rng.choice(own))
    if rng.random() < 0.3:
        parts.append(rng.choice(SHARED))
    rng.shuffle(parts)
    mean = 7.5 if segment == "a" else 5.5
    teams = 0.6 if segment == "b" else 0.25
    plan = "Teams" if rng.random() < teams else rng.choice(["Solo", "Enterprise"])
    answers: dict[str, Any] = {
        "why": " ".join(parts),
        "nps": min(10, max(0, round(rng.gauss(mean, 1.8)))),
        "plan": plan,
        "feat": [option for option in ("Reports", "Alerts", "Exports") if rng.random() < 0.5]
        or ["Reports"],
        "rank": rng.sample(["Speed", "Support", "Docs"], 3),
        "team": rng.random() < 0.5,
    }
    if rng.random() < 0.05:
        answers["nps"] = None  # skipped
    return Response(interview=interview, segment=segment, answers=answers)
