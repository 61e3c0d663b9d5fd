"""The demo's latent groups of customers, and the names and places the generator draws on.

A person's group is stored nowhere: `latent_group` derives it from the seed and the user
id, so the generator (people/demo_data.py) and the interview simulation
(interviews/demo_respondents.py) agree on it without reading anything back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Final


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES: Final = _words(
    "Ada Alex Amara Ben Carla Chen Dana Diego Elena Emeka Farah Felix Grace Hana Ivan "
    "Jonas Julia Kai Lena Leo Maya Mateo Mia Nadia Noah Omar Priya Quinn Rosa Sam Sara "
    "Sofia Tariq Theo Uma Vera Wei Yara Yusuf Zoe"
)
LAST_NAMES: Final = _words(
    "Adams Bauer Costa Dubois Eriksen Fischer Garcia Haddad Ito Jensen Kim Kowalski Lopez "
    "Martin Moreau Nakamura Novak Okafor Patel Rossi Schmidt Silva Singh Tanaka Nguyen "
    "Weber Walsh Yilmaz Zhang Murphy"
)
COMPANY_HEADS: Final = _words(
    "Blue North Bright Iron Clear Silver Green Swift Red Open True High Deep Bold Quiet "
    "Amber Cedar Harbor Summit Lumen"
)
COMPANY_TAILS: Final = _words("field wave stack labs works loop path point forge leaf mint grid")
INDUSTRIES: Final = (
    "Software",
    "E-commerce",
    "Fintech",
    "Healthcare",
    "Education",
    "Media",
    "Logistics",
    "Manufacturing",
    "Agency",
)
COUNTRIES: Final = {"US": 30, "GB": 10, "DE": 10, "IN": 8, "FR": 6, "CA": 6, "BR": 5, "NL": 4}
ROLES: Final = {
    "Product Manager": 22,
    "Engineer": 20,
    "Data Analyst": 16,
    "Designer": 9,
    "Marketing": 10,
    "Founder": 6,
    "Customer Success": 8,
    "Executive": 4,
}


@dataclass(frozen=True)
class Group:
    """A latent group: how its members sign up, use the product, pay and read email."""

    key: str
    label: str
    share: float
    signup_days: tuple[int, int]  # signed up this many days before now (range)
    plans: dict[str, int]
    session_rate: float  # chance of a session on a weekday
    weekend_factor: float
    peak_hours: tuple[int, ...]
    platforms: dict[str, int]
    actions: dict[str, float]  # event → expected count per session
    features: dict[str, int]  # which features they lean on (benefits sought)
    email_click: float  # chance of clicking one campaign email
    nps: tuple[int, int] | None = None
    roles: dict[str, int] = field(default_factory=lambda: dict(ROLES))


GROUPS: Final[tuple[Group, ...]] = (
    Group(
        key="power",
        label="Power analysts",
        share=0.10,
        signup_days=(200, 900),
        plans={"team": 85, "pro": 15},
        session_rate=0.6,
        weekend_factor=0.15,
        peak_hours=(8, 9, 10),
        platforms={"web": 85, "ios": 10, "android": 5},
        actions={
            "Feature Used": 0.4,
            "Report Exported": 2.2,
            "Dashboard Created": 0.2,
            "Teammate Invited": 0.03,
        },
        features={"sql": 40, "dashboards": 25, "alerts": 20, "funnels": 15},
        email_click=0.05,
        nps=(8, 10),
        roles={"Data Analyst": 45, "Engineer": 30, "Product Manager": 25},
    ),
    Group(
        key="steady",
        label="Steady reporters",
        share=0.18,
        signup_days=(380, 1000),
        plans={"pro": 80, "team": 20},
        session_rate=0.2,
        weekend_factor=0.05,
        peak_hours=(9, 10, 11),
        platforms={"web": 95, "ios": 5},
        actions={"Feature Used": 0.5, "Report Exported": 0.7, "Dashboard Created": 0.04},
        features={"dashboards": 50, "retention": 25, "cohorts": 25},
        email_click=0.12,
        nps=(8, 10),
    ),
    Group(
        key="evaluator",
        label="Price-checking evaluators",
        share=0.14,
        signup_days=(2, 28),
        plans={"free": 100},
        session_rate=0.5,
        weekend_factor=0.3,
        peak_hours=(10, 13, 15, 16),
        platforms={"web": 100},
        actions={"Feature Used": 0.8, "Pricing Page Viewed": 0.35, "Dashboard Created": 0.1},
        features={"funnels": 40, "dashboards": 35, "segments": 25},
        email_click=0.3,
        roles={"Product Manager": 35, "Founder": 25, "Marketing": 20, "Engineer": 20},
    ),
    Group(
        key="light",
        label="Light, email-first users",
        share=0.36,
        signup_days=(20, 700),
        plans={"free": 75, "pro": 25},
        session_rate=0.06,
        weekend_factor=0.4,
        peak_hours=(11, 14, 16, 20),
        platforms={"web": 70, "ios": 18, "android": 12},
        actions={"Feature Used": 0.6, "Report Exported": 0.2, "Pricing Page Viewed": 0.03},
        features={"dashboards": 60, "alerts": 25, "funnels": 15},
        email_click=0.45,
        nps=(3, 8),
    ),
    Group(
        key="fading",
        label="Fading payers",
        share=0.14,
        signup_days=(150, 700),
        plans={"pro": 65, "team": 35},
        session_rate=0.25,
        weekend_factor=0.1,
        peak_hours=(9, 14, 15),
        platforms={"web": 90, "android": 10},
        actions={"Feature Used": 0.6, "Report Exported": 0.3, "Support Ticket Opened": 0.04},
        features={"funnels": 35, "cohorts": 35, "retention": 30},
        email_click=0.08,
        nps=(0, 6),
    ),
    Group(
        key="founder",
        label="Weekend founders",
        share=0.08,
        signup_days=(60, 500),
        plans={"pro": 100},
        session_rate=0.2,
        weekend_factor=2.2,
        peak_hours=(7, 8, 9),
        platforms={"web": 60, "ios": 40},
        actions={"Feature Used": 0.9, "Report Exported": 0.5, "Pricing Page Viewed": 0.05},
        features={"funnels": 45, "segments": 30, "alerts": 25},
        email_click=0.2,
        nps=(6, 10),
        roles={"Founder": 80, "Marketing": 20},
    ),
)
GROUPS_BY_KEY: Final = {group.key: group for group in GROUPS}


def latent_group(*, seed: int, user_id: str) -> Group:
    """The latent group the generator gave `user_id` for this seed (stored nowhere)."""
    rng = random.Random(f"{seed}:group:{user_id}")  # noqa: S311 - demo data, not secrets
    return rng.choices(GROUPS, weights=[g.share for g in GROUPS])[0]


def demo_user_id(index: int) -> str:
    return f"u_{index + 1:05d}"
