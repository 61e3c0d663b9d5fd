"""Believable demo data for a B2B analytics product, seeded and reproducible.

People fall into planted behavioral groups, so that rule, RFM and cluster
segments built on the demo have something real to find:

- power users: active most weekdays, dashboards, exports, feature use, invites;
- buyers: moderate use, repeat `Order Completed` with high `amount`s;
- trial stallers: signed up in the last weeks, free plan, view pricing again and
  again (3+ times in the last 7 days), never invite a teammate, never buy;
- churn risks: paying customers active months ago who faded out 5 to 10 weeks
  ago, after support tickets;
- casual users: everyone else, occasional logins.

The group is not stored anywhere: it shows only in behavior. Everything derives
from one `random.Random(seed)` and a pinned `now`, so a seed and an `as_of`
give the same rows every time.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from people.models import Account, Event, Person, PersonAlias
from workspaces.models import Workspace

WINDOW_DAYS = 120
BATCH_SIZE = 2000
ACCOUNTS_PER_PERSON = 150 / 2000


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ada Alex Amara Ben Carla Chen Dana Diego Elena Emeka Farah Felix Grace Hana Ivan "
    "Jonas Julia Kai Lena Leo Maya Mateo Mia Nadia Noah Omar Priya Quinn Rosa Sam Sara "
    "Sofia Tariq Theo Uma Vera Wei Yara Yusuf Zoe"
)
LAST_NAMES = _words(
    "Adams Bauer Costa Dubois Eriksen Fischer Garcia Haddad Ito Jensen Kim Kowalski Lopez "
    "Martin Moreau Nakamura Novak Okafor Patel Rossi Schmidt Silva Singh Tanaka Nguyen "
    "Weber Walsh Yilmaz Zhang Murphy"
)
COMPANY_HEADS = _words(
    "Blue North Bright Iron Clear Silver Green Swift Red Open True High Deep Bold Quiet "
    "Amber Cedar Harbor Summit Lumen"
)
COMPANY_TAILS = _words("field wave stack labs works loop path point forge leaf mint grid")
INDUSTRIES = (
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
COUNTRIES = {"US": 30, "GB": 10, "DE": 10, "IN": 8, "FR": 6, "CA": 6, "BR": 5, "NL": 4}
COUNTRIES |= {"AU": 4, "ES": 4, "SE": 3, "JP": 3, "PL": 3, "MX": 2, "NG": 2}
ROLES = {
    "Product Manager": 22,
    "Engineer": 20,
    "Data Analyst": 16,
    "Designer": 9,
    "Marketing": 10,
    "Founder": 6,
    "Customer Success": 8,
    "Executive": 4,
    "Sales": 5,
}
FEATURES = ("funnels", "cohorts", "retention", "alerts", "sql", "dashboards", "segments")
ORDER_AMOUNTS = (29.0, 49.0, 99.0, 149.0, 299.0, 499.0)


@dataclass(frozen=True)
class Archetype:
    name: str
    share: float
    signup_days: tuple[int, int]  # signed up this many days ago (range)
    daily_activity: float  # chance of a session on a weekday
    plans: dict[str, int]
    actions: dict[str, float]  # event → expected count per session


ARCHETYPES = (
    Archetype(
        "power",
        0.12,
        (60, 720),
        0.33,
        {"team": 50, "pro": 45, "free": 5},
        {
            "Feature Used": 1.3,
            "Dashboard Created": 0.22,
            "Report Exported": 0.45,
            "Teammate Invited": 0.05,
            "Pricing Page Viewed": 0.02,
        },
    ),
    Archetype(
        "buyer",
        0.10,
        (30, 500),
        0.2,
        {"pro": 60, "team": 30, "free": 10},
        {"Feature Used": 0.9, "Report Exported": 0.3, "Dashboard Created": 0.08},
    ),
    Archetype(
        "staller",
        0.15,
        (3, 24),
        0.45,
        {"free": 100},
        {"Feature Used": 0.5, "Pricing Page Viewed": 0.55, "Dashboard Created": 0.05},
    ),
    Archetype(
        "churn_risk",
        0.15,
        (100, 300),
        0.35,
        {"pro": 60, "team": 20, "free": 20},
        {"Feature Used": 0.8, "Report Exported": 0.12, "Support Ticket Opened": 0.04},
    ),
    Archetype(
        "casual",
        0.48,
        (1, 400),
        0.08,
        {"free": 60, "pro": 30, "team": 10},
        {
            "Feature Used": 0.7,
            "Report Exported": 0.1,
            "Dashboard Created": 0.05,
            "Pricing Page Viewed": 0.04,
        },
    ),
)


@dataclass(frozen=True)
class DemoResult:
    created: bool
    people: int = 0
    accounts: int = 0
    events: int = 0
    aliases: int = 0


def load_demo_data(
    *, workspace: Workspace, people: int = 2000, seed: int = 7, now: dt.datetime | None = None
) -> DemoResult:
    """Fill an empty workspace with demo people, accounts and events; a no-op otherwise."""
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the workspace row so two concurrent loads cannot both see "empty".
        Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        if Person.objects.filter(workspace=workspace).exists():
            return DemoResult(created=False)
        return _DemoWriter(workspace=workspace, seed=seed, now=now).write(people)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _count(rng: random.Random, expected: float) -> int:
    """A small count with the given mean: whole part plus one more with the remainder's chance."""
    whole = int(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


class _DemoWriter:
    def __init__(self, *, workspace: Workspace, seed: int, now: dt.datetime) -> None:
        self.workspace = workspace
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        self.seed = seed
        self.now = now
        self.window_start = now - dt.timedelta(days=WINDOW_DAYS)

    def write(self, people: int) -> DemoResult:
        accounts = self._accounts(max(1, round(people * ACCOUNTS_PER_PERSON)))
        Account.objects.bulk_create(accounts, batch_size=BATCH_SIZE)
        account_ids = dict(
            Account.objects.filter(workspace=self.workspace).values_list("group_id", "pk")
        )
        plans = [self._plan_person(index, accounts) for index in range(people)]
        Person.objects.bulk_create(
            [
                Person(
                    workspace=self.workspace,
                    user_id=plan.user_id,
                    account_id=account_ids.get(plan.group_id) if plan.group_id else None,
                    traits=plan.traits,
                    first_seen=plan.first_seen,
                    last_seen=plan.last_seen,
                )
                for plan in plans
            ],
            batch_size=BATCH_SIZE,
        )
        person_ids: dict[str, int] = {
            user_id: pk
            for user_id, pk in Person.objects.filter(workspace=self.workspace).values_list(
                "user_id", "pk"
            )
            if user_id is not None
        }
        aliases = [
            PersonAlias(
                workspace=self.workspace, anonymous_id=anon, person_id=person_ids[p.user_id]
            )
            for p in plans
            for anon in p.anonymous_ids
        ]
        PersonAlias.objects.bulk_create(aliases, batch_size=BATCH_SIZE)
        events = self._write_events(plans, person_ids)
        return DemoResult(
            created=True,
            people=len(plans),
            accounts=len(accounts),
            events=events,
            aliases=len(aliases),
        )

    # --- accounts ---------------------------------------------------------------

    def _accounts(self, count: int) -> list[Account]:
        rng = self.rng
        names = [f"{head}{tail}" for head in COMPANY_HEADS for tail in COMPANY_TAILS]
        rng.shuffle(names)
        accounts = []
        for index in range(count):
            name = names[index % len(names)] + ("" if index < len(names) else f" {index}")
            employees = int(rng.lognormvariate(4.2, 1.3)) + 3
            accounts.append(
                Account(
                    workspace=self.workspace,
                    group_id=f"acct_{index + 1:04d}",
                    traits={
                        "name": name,
                        "domain": f"{name.lower().replace(' ', '')}.example",
                        "industry": rng.choice(INDUSTRIES),
                        "employees": employees,
                        "arr": round(min(employees, 2000) * rng.uniform(18, 60), -2),
                        "country": _weighted(rng, COUNTRIES),
                    },
                    created_at=self.window_start - dt.timedelta(days=rng.randint(0, 600)),
                    updated_at=self.now,
                )
            )
        return accounts

    # --- people -----------------------------------------------------------------

    def _plan_person(self, index: int, accounts: list[Account]) -> _PersonPlan:
        rng = self.rng
        archetype = rng.choices(ARCHETYPES, weights=[a.share for a in ARCHETYPES])[0]
        signup = self.now - dt.timedelta(
            days=rng.randint(*archetype.signup_days), seconds=rng.randint(0, 86399)
        )
        plan = _weighted(rng, archetype.plans)
        account = self._pick_account(rng, accounts, plan)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        domain = account.traits["domain"] if account else rng.choice(("gmail.com", "outlook.com"))
        traits: dict[str, Any] = {
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{index}@{domain}",
            "plan": plan,
            "country": account.traits["country"]
            if account and rng.random() < 0.8
            else _weighted(rng, COUNTRIES),
            "signup_date": signup.date().isoformat(),
            "role": _weighted(rng, ROLES),
            "marketing_opt_in": rng.random() < 0.4,
        }
        person = _PersonPlan(
            user_id=f"u_{index + 1:05d}",
            group_id=account.group_id if account else None,
            traits=traits,
            first_seen=signup,
            last_seen=signup,
            anonymous_ids=[
                f"anon-{rng.getrandbits(48):012x}" for _ in range(rng.choice((0, 0, 0, 1, 1, 2)))
            ],
            events=[],
        )
        person.events = list(self._behave(person, archetype, signup))
        if person.events:
            person.last_seen = max(ts for _, ts, _ in person.events)
        return person

    def _pick_account(
        self, rng: random.Random, accounts: list[Account], plan: str
    ) -> Account | None:
        # Team plans are always on an account; a third of the rest use Motive alone.
        if plan != "team" and rng.random() < 0.35:
            return None
        # Skewed towards the first accounts: a few large buying committees, many small ones.
        return accounts[int(len(accounts) * rng.random() ** 1.4)]

    # --- behavior ---------------------------------------------------------------

    def _behave(
        self, person: _PersonPlan, archetype: Archetype, signup: dt.datetime
    ) -> Iterator[tuple[str, dt.datetime, dict[str, Any]]]:
        rng = self.rng
        if signup >= self.window_start:
            source = rng.choice(("organic", "ads", "referral", "partner"))
            yield "Signed Up", signup, {"source": source}
        start = max(signup, self.window_start)
        end = self.now
        if archetype.name == "churn_risk":
            end = self.now - dt.timedelta(days=rng.randint(35, 75))
        peak_hour = rng.choice((8, 9, 10, 11, 13, 14, 15, 16, 20))
        day = start
        while day < end:
            weekday = day.weekday() < 5
            chance = archetype.daily_activity * (1 if weekday else 0.3)
            if rng.random() < chance:
                yield from self._session(person, archetype, day, (start, end), peak_hour)
            day += dt.timedelta(days=1)
        yield from self._planted(person, archetype, start, end)

    def _at(self, day: dt.datetime, peak_hour: int) -> dt.datetime:
        hour = min(23, max(0, round(self.rng.gauss(peak_hour, 2))))
        base = day.replace(hour=0, minute=0, second=0, microsecond=0)
        return base + dt.timedelta(hours=hour, seconds=self.rng.randint(0, 3599))

    def _session(
        self,
        person: _PersonPlan,
        archetype: Archetype,
        day: dt.datetime,
        bounds: tuple[dt.datetime, dt.datetime],
        peak_hour: int,
    ) -> Iterator[tuple[str, dt.datetime, dict[str, Any]]]:
        rng = self.rng
        start, end = bounds
        login = self._at(day, peak_hour)
        if not (start <= login <= end):
            return
        yield "Logged In", login, {"method": rng.choice(("password", "google", "sso"))}
        moment = login
        for event, expected in archetype.actions.items():
            for _ in range(_count(rng, expected)):
                moment = moment + dt.timedelta(seconds=rng.randint(20, 900))
                if moment > end:
                    return
                yield event, moment, self._properties(event, person)

    def _planted(
        self,
        person: _PersonPlan,
        archetype: Archetype,
        start: dt.datetime,
        end: dt.datetime,
    ) -> Iterator[tuple[str, dt.datetime, dict[str, Any]]]:
        """The signature behavior of each group, on top of its ordinary sessions."""
        rng = self.rng
        if archetype.name == "staller":
            # Repeated pricing visits in the last week; the plan never changes.
            recent = max(start, self.now - dt.timedelta(days=7))
            for _ in range(rng.randint(3, 6)):
                moment = recent + (self.now - recent) * rng.random()
                yield "Pricing Page Viewed", moment, self._properties("Pricing Page Viewed", person)
        elif archetype.name == "buyer":
            moment = start + dt.timedelta(days=rng.randint(1, 12))
            while moment < end:
                yield "Order Completed", moment, self._order(person, rng.choice(ORDER_AMOUNTS[2:]))
                moment += dt.timedelta(days=rng.randint(6, 21), hours=rng.randint(0, 12))
        elif archetype.name == "churn_risk":
            for _ in range(rng.randint(1, 3)):
                moment = end - dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
                topic = rng.choice(("bug", "billing", "performance"))
                yield "Support Ticket Opened", moment, {"topic": topic, "priority": "high"}
            if person.traits["plan"] != "free":
                for _ in range(rng.randint(1, 3)):
                    moment = start + (end - start) * rng.random()
                    yield "Order Completed", moment, self._order(person, rng.choice(ORDER_AMOUNTS))
        elif archetype.name == "power" and person.traits["plan"] != "free":
            for _ in range(rng.randint(1, 3)):
                moment = start + (end - start) * rng.random()
                yield "Order Completed", moment, self._order(person, rng.choice(ORDER_AMOUNTS))
        elif archetype.name == "casual" and rng.random() < 0.08:
            moment = start + (end - start) * rng.random()
            yield "Order Completed", moment, self._order(person, rng.choice(ORDER_AMOUNTS[:3]))

    def _order(self, person: _PersonPlan, amount: float) -> dict[str, Any]:
        return {
            "amount": round(amount * self.rng.uniform(0.9, 1.1), 2),
            "currency": "USD",
            "plan": person.traits["plan"],
        }

    def _properties(self, event: str, person: _PersonPlan) -> dict[str, Any]:
        rng = self.rng
        if event == "Feature Used":
            return {"feature": rng.choice(FEATURES)}
        if event == "Pricing Page Viewed":
            return {
                "plan_viewed": rng.choice(("pro", "team")),
                "source": rng.choice(("nav", "upgrade_banner", "email")),
            }
        if event == "Report Exported":
            return {"format": rng.choice(("csv", "pdf", "png")), "rows": rng.randint(10, 5000)}
        if event == "Dashboard Created":
            return {"widgets": rng.randint(1, 12)}
        if event == "Teammate Invited":
            return {"role": rng.choice(("viewer", "editor", "admin"))}
        if event == "Support Ticket Opened":
            return {"topic": rng.choice(("how-to", "bug", "billing")), "priority": "normal"}
        return {}

    # --- writing ----------------------------------------------------------------

    def _write_events(self, plans: list[_PersonPlan], person_ids: dict[str, int]) -> int:
        batch: list[Event] = []
        written = 0
        for plan in plans:
            person_id = person_ids[plan.user_id]
            for number, (name, timestamp, properties) in enumerate(
                sorted(plan.events, key=_by_time)
            ):
                batch.append(
                    Event(
                        workspace=self.workspace,
                        person_id=person_id,
                        name=name,
                        properties=properties,
                        timestamp=timestamp,
                        message_id=f"demo-{self.seed}-{plan.user_id}-{number}",
                        received_at=timestamp,
                    )
                )
            if len(batch) >= BATCH_SIZE:
                Event.objects.bulk_create(batch, batch_size=BATCH_SIZE)
                written += len(batch)
                batch = []
        Event.objects.bulk_create(batch, batch_size=BATCH_SIZE)
        return written + len(batch)


def _by_time(event: tuple[str, dt.datetime, dict[str, Any]]) -> dt.datetime:
    return event[1]


@dataclass
class _PersonPlan:
    user_id: str
    group_id: str | None
    traits: dict[str, Any]
    first_seen: dt.datetime
    last_seen: dt.datetime
    anonymous_ids: list[str]
    events: list[tuple[str, dt.datetime, dict[str, Any]]]
