"""The demo's seeded generator: a B2B SaaS analytics product's customers and what they do.

Every person belongs to one latent group (`GROUPS`). The group is stored nowhere; it
drives behavior here and, in the interview simulation, what the person says. The
behavior covers the eight kinds researchers segment on:

- purchases: `Order Completed` with an `amount` (monthly renewals, credit packs);
- usage rate: `Session Started` (with `platform`), `Feature Used`, `Report Exported`,
  `Dashboard Created`: heavy, light and lapsed users;
- occasions: weekday mornings, quarter-end spikes, weekend-morning purchases;
- benefits sought: which `feature` people lean on, coupons on orders;
- loyalty: renewals going back years next to people who lapsed; an `nps` trait;
- journey stage: `Signed Up` → `Project Created` → `Teammate Invited` →
  `Subscription Started` → `Plan Upgraded`, or `Plan Downgraded` / `Subscription Cancelled`;
- channel engagement: `Email Opened`, `Email Clicked`, `Push Clicked`;
- intent signals: `Pricing Page Viewed`, `Demo Requested`, downgrades, support tickets.

Usage events span the last `days` days; billing history (orders) goes back to signup,
up to two years, as a billing import would. Each person has a `random.Random` of their
own, seeded from the run's seed and their user id, so a seed and a pinned `now` give
the same rows whatever the chunking, and `latent_group` can tell a person's group
without regenerating anything. People are written in chunks with `bulk_create`
(memory bounded by the chunk, not the workspace).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from django.db import connection, transaction
from django.utils import timezone

from people.bulk import insert_ignoring_conflicts
from people.demo_groups import (
    COMPANY_HEADS,
    COMPANY_TAILS,
    COUNTRIES,
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
    Group,
    demo_user_id,
    latent_group,
)
from people.models import Account, Event, Person, PersonAlias
from workspaces.models import Workspace

DEFAULT_PEOPLE: Final = 5000
DEFAULT_DAYS: Final = 180
DEFAULT_SEED: Final = 7
PEOPLE_PER_CHUNK: Final = 250
EVENT_COLUMNS: Final = (
    "workspace_id",
    "person_id",
    "name",
    "properties",
    "timestamp",
    "message_id",
    "received_at",
)
PEOPLE_PER_ACCOUNT: Final = 13
BILLING_HISTORY_DAYS: Final = 540


PLAN_PRICES: Final = {"pro": (49.0, 99.0), "team": (299.0, 499.0)}
CREDIT_PACKS: Final = (49.0, 79.0, 129.0)
QUARTER_END_MONTHS: Final = (3, 6, 9, 12)


@dataclass(frozen=True)
class DemoResult:
    created: bool
    people: int = 0
    accounts: int = 0
    events: int = 0
    aliases: int = 0


def seed_demo_data(
    *,
    workspace: Workspace,
    people: int = DEFAULT_PEOPLE,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    now: dt.datetime | None = None,
) -> DemoResult:
    """Fill an empty workspace with demo accounts, people and events; a no-op otherwise."""
    now = now or timezone.now().replace(microsecond=0)
    with transaction.atomic():
        # Lock the workspace row so two concurrent loads cannot both see "empty".
        Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        if Person.objects.filter(workspace=workspace).exists():
            return DemoResult(created=False)
        return _Generator(workspace=workspace, seed=seed, now=now, days=days).write(people)


# --- the generator ---------------------------------------------------------------


Moment = tuple[str, dt.datetime, dict[str, Any]]


@dataclass
class _PersonPlan:
    user_id: str
    group: Group
    account: Account | None
    traits: dict[str, Any]
    signup: dt.datetime
    anonymous_ids: list[str]
    events: list[Moment]


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _count(rng: random.Random, expected: float) -> int:
    """A small count with the given mean: the whole part, plus one with the remainder's chance."""
    whole = int(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def _at_hour(rng: random.Random, day: dt.datetime, hour: float) -> dt.datetime:
    base = day.replace(hour=0, minute=0, second=0, microsecond=0)
    hour = min(23, max(0, round(rng.gauss(hour, 1.2))))
    return base + dt.timedelta(hours=hour, seconds=rng.randint(0, 3599))


def _quarter_end(day: dt.datetime) -> bool:
    return day.month in QUARTER_END_MONTHS and day.day >= 20


class _Generator:
    def __init__(self, *, workspace: Workspace, seed: int, now: dt.datetime, days: int) -> None:
        self.workspace = workspace
        self.seed = seed
        self.now = now
        self.window_start = now - dt.timedelta(days=days)

    def write(self, people: int) -> DemoResult:
        accounts = self._accounts(max(1, people // PEOPLE_PER_ACCOUNT))
        Account.objects.bulk_create(accounts)
        events = aliases = 0
        for start in range(0, people, PEOPLE_PER_CHUNK):
            plans = [
                self._plan(index, accounts)
                for index in range(start, min(people, start + PEOPLE_PER_CHUNK))
            ]
            written = self._write_chunk(plans)
            events += written[0]
            aliases += written[1]
        return DemoResult(
            created=True, people=people, accounts=len(accounts), events=events, aliases=aliases
        )

    # --- accounts ----------------------------------------------------------------

    def _accounts(self, count: int) -> list[Account]:
        rng = random.Random(f"{self.seed}:accounts")  # noqa: S311 - demo data
        names = [f"{head}{tail}" for head in COMPANY_HEADS for tail in COMPANY_TAILS]
        rng.shuffle(names)
        accounts = []
        for index in range(count):
            name = names[index % len(names)] + ("" if index < len(names) else f" {index}")
            employees = int(rng.lognormvariate(4.0, 1.2)) + 3
            accounts.append(
                Account(
                    workspace=self.workspace,
                    group_id=f"acct_{index + 1:04d}",
                    traits={
                        "name": name,
                        "domain": f"{name.lower().replace(' ', '')}.example",
                        "industry": rng.choice(INDUSTRIES),
                        "employees": employees,
                        "arr": float(round(min(employees, 2000) * rng.uniform(18, 60), -2)),
                        "country": _weighted(rng, COUNTRIES),
                    },
                    created_at=self.now - dt.timedelta(days=rng.randint(200, 1200)),
                    updated_at=self.now,
                )
            )
        return accounts

    # --- people ------------------------------------------------------------------

    def _plan(self, index: int, accounts: list[Account]) -> _PersonPlan:
        user_id = demo_user_id(index)
        group = latent_group(seed=self.seed, user_id=user_id)
        rng = random.Random(f"{self.seed}:person:{user_id}")  # noqa: S311 - demo data
        signup = self.now - dt.timedelta(
            days=rng.randint(*group.signup_days), seconds=rng.randint(0, 86399)
        )
        plan = _weighted(rng, group.plans)
        account = self._account_for(rng, accounts, group, plan)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        domain = account.traits["domain"] if account else rng.choice(("gmail.com", "outlook.com"))
        traits: dict[str, Any] = {
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{index + 1}@{domain}",
            "plan": plan,
            "country": account.traits["country"]
            if account and rng.random() < 0.8
            else _weighted(rng, COUNTRIES),
            "signup_date": signup.date().isoformat(),
            "role": _weighted(rng, group.roles),
            "marketing_opt_in": rng.random() < 0.75,
        }
        if group.nps and rng.random() < 0.6:
            traits["nps"] = rng.randint(*group.nps)
        person = _PersonPlan(
            user_id=user_id,
            group=group,
            account=account,
            traits=traits,
            signup=signup,
            anonymous_ids=[
                f"anon-{rng.getrandbits(48):012x}" for _ in range(rng.choice((0, 0, 0, 1, 1, 2)))
            ],
            events=[],
        )
        person.events = sorted(_Behavior(self, person, rng).moments(), key=lambda m: m[1])
        return person

    def _account_for(
        self, rng: random.Random, accounts: list[Account], group: Group, plan: str
    ) -> Account | None:
        # Team plans are always on an account; a third of the rest use the product alone.
        if plan != "team" and rng.random() < 0.3:
            return None
        if group.key == "evaluator":
            # Evaluators come from companies big enough to shop around as a committee.
            large = [a for a in accounts[:40] if a.traits["employees"] >= 50]
            if large:
                return rng.choice(large)
        # Skewed towards the first accounts: a few large buying committees, many small ones.
        return accounts[int(len(accounts) * rng.random() ** 1.4)]

    # --- writing -----------------------------------------------------------------

    def _write_chunk(self, plans: list[_PersonPlan]) -> tuple[int, int]:
        people = Person.objects.bulk_create(
            [
                Person(
                    workspace=self.workspace,
                    user_id=plan.user_id,
                    account=plan.account,
                    traits=plan.traits,
                    first_seen=plan.events[0][1] if plan.events else plan.signup,
                    last_seen=plan.events[-1][1] if plan.events else plan.signup,
                )
                for plan in plans
            ]
        )
        ids = {person.user_id: person.pk for person in people}
        if None in ids.values():  # backends that return no ids on bulk insert
            ids = dict(
                Person.objects.filter(
                    workspace=self.workspace, user_id__in=[p.user_id for p in plans]
                ).values_list("user_id", "pk")
            )
        aliases = [
            PersonAlias(workspace=self.workspace, anonymous_id=anon, person_id=ids[p.user_id])
            for p in plans
            for anon in p.anonymous_ids
        ]
        PersonAlias.objects.bulk_create(aliases)
        # The ingestion writer's multi-row insert: far cheaper than model instances.
        adapt = connection.ops.adapt_datetimefield_value
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        events = [
            (
                self.workspace.pk,
                ids[plan.user_id],
                name,
                dumps(properties),
                adapt(timestamp),
                f"demo-{self.seed}-{plan.user_id}-{number}",
                adapt(timestamp),
            )
            for plan in plans
            for number, (name, timestamp, properties) in enumerate(plan.events)
        ]
        insert_ignoring_conflicts(
            table=Event._meta.db_table,
            columns=EVENT_COLUMNS,
            rows=events,
            conflict="(workspace_id, message_id)",
        )
        return len(events), len(aliases)


class _Behavior:
    """One person's moments, from their group, their own random stream and the calendar."""

    def __init__(self, generator: _Generator, person: _PersonPlan, rng: random.Random) -> None:
        self.rng = rng
        self.person = person
        self.group = person.group
        self.now = generator.now
        self.window_start = generator.window_start
        self.start = max(person.signup, generator.window_start)
        self.intensity = rng.lognormvariate(0, 0.3)
        self.peak = rng.choice(self.group.peak_hours)
        self.platform = _weighted(rng, self.group.platforms)
        # Fading payers stopped using the product five to ten weeks ago.
        self.end = self.now
        if self.group.key == "fading":
            self.end = self.now - dt.timedelta(days=rng.randint(35, 70), hours=rng.randint(0, 23))
        # A few of each group pay although their group mostly does not, and vice versa.
        self.paying = person.traits["plan"] != "free"

    def moments(self) -> Iterator[Moment]:
        yield from self._journey()
        yield from self._sessions()
        yield from self._orders()
        yield from self._signature()
        yield from self._emails()

    def _in_window(self, moment: dt.datetime) -> bool:
        return self.window_start <= moment <= self.now

    # --- journey -----------------------------------------------------------------

    def _journey(self) -> Iterator[Moment]:
        rng, signup = self.rng, self.person.signup
        if self._in_window(signup):
            source = rng.choice(("organic", "ads", "referral", "partner", "webinar"))
            yield "Signed Up", signup, {"source": source}
        if rng.random() < (0.55 if self.group.key == "light" else 0.92):
            created = signup + dt.timedelta(hours=rng.randint(1, 60))
            if self._in_window(created):
                yield (
                    "Project Created",
                    created,
                    {"template": rng.choice(("blank", "saas", "ecommerce"))},
                )

    # --- usage -------------------------------------------------------------------

    def _sessions(self) -> Iterator[Moment]:
        rng, group = self.rng, self.group
        day = self.start.replace(hour=0, minute=0, second=0, microsecond=0)
        rate = min(0.97, group.session_rate * self.intensity)
        while day < self.end:
            chance = rate if day.weekday() < 5 else min(0.97, rate * group.weekend_factor)
            if group.key in ("power", "steady") and _quarter_end(day):
                chance = min(0.97, chance * 1.6)  # quarter-end reporting
            if rng.random() < chance:
                yield from self._session(day)
            day += dt.timedelta(days=1)

    def _session(self, day: dt.datetime) -> Iterator[Moment]:
        rng = self.rng
        moment = _at_hour(rng, day, self.peak)
        if not (self.start <= moment <= self.end):
            return
        platform = self.platform if rng.random() < 0.85 else "web"
        yield "Session Started", moment, {"platform": platform}
        for event, expected in self.group.actions.items():
            scale = self.intensity if event == "Report Exported" else 1.0
            for _ in range(_count(rng, expected * scale)):
                moment += dt.timedelta(seconds=rng.randint(20, 900))
                if moment > self.end:
                    return
                yield event, moment, self._properties(event)

    def _properties(self, event: str) -> dict[str, Any]:
        rng = self.rng
        if event == "Feature Used":
            return {"feature": _weighted(rng, self.group.features)}
        if event == "Report Exported":
            return {"format": rng.choice(("csv", "pdf", "png")), "rows": rng.randint(10, 5000)}
        if event == "Dashboard Created":
            return {"widgets": rng.randint(1, 12)}
        if event == "Pricing Page Viewed":
            return {
                "plan_viewed": rng.choice(("pro", "team")),
                "source": rng.choice(("nav", "upgrade_banner", "email")),
            }
        if event == "Teammate Invited":
            return {"role": rng.choice(("viewer", "editor", "admin"))}
        if event == "Support Ticket Opened":
            return {"topic": rng.choice(("bug", "billing", "performance")), "priority": "high"}
        return {}

    # --- purchases and loyalty -----------------------------------------------------

    def _orders(self) -> Iterator[Moment]:
        if not self.paying or self.group.key == "founder":
            return
        rng, plan = self.rng, self.person.traits["plan"]
        price = rng.choice(PLAN_PRICES[plan])
        first = self.person.signup + dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(8, 11))
        cutoff = self.now - dt.timedelta(days=BILLING_HISTORY_DAYS)
        if first < cutoff:  # the oldest renewal in the history, on the person's billing day
            first += dt.timedelta(days=30 * -(-(cutoff - first).days // 30))
        elif first <= self.now:
            yield "Subscription Started", first, {"plan": plan, "amount": price}
        # Fading payers are billed for a month after they stop using the product.
        last_billed = min(self.now, self.end + dt.timedelta(days=30))
        moment = first
        while moment <= last_billed:
            yield "Order Completed", moment, self._order(price, plan)
            moment += dt.timedelta(days=30)

    def _order(self, amount: float, plan: str, **extra: Any) -> dict[str, Any]:
        return {"amount": float(amount), "currency": "USD", "plan": plan, **extra}

    # --- what sets each group apart -------------------------------------------------

    def _signature(self) -> Iterator[Moment]:
        key = self.group.key
        if key == "power":
            yield from self._expansion()
        elif key == "evaluator":
            yield from self._evaluation()
        elif key == "fading":
            yield from self._fading()
        elif key == "founder":
            yield from self._credit_packs()

    def _expansion(self) -> Iterator[Moment]:
        rng = self.rng
        if self.person.traits["plan"] == "team" and rng.random() < 0.6:
            moment = self.start + (self.now - self.start) * rng.random()
            yield (
                "Plan Upgraded",
                moment,
                {"from": "pro", "to": "team", "seats": rng.randint(5, 40)},
            )

    def _evaluation(self) -> Iterator[Moment]:
        """Repeated pricing visits in the last week; demo requests; never a teammate or a plan."""
        rng = self.rng
        recent = max(self.start, self.now - dt.timedelta(days=7))
        for _ in range(rng.randint(3, 6)):
            moment = recent + (self.now - recent) * rng.random()
            yield "Pricing Page Viewed", moment, self._properties("Pricing Page Viewed")
        if rng.random() < 0.35:
            moment = recent + (self.now - recent) * rng.random()
            yield "Demo Requested", moment, {"team_size": rng.choice(("1-5", "6-20", "21-100"))}

    def _fading(self) -> Iterator[Moment]:
        rng = self.rng
        for _ in range(rng.randint(1, 3)):
            moment = self.end - dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
            if self._in_window(moment):
                yield "Support Ticket Opened", moment, self._properties("Support Ticket Opened")
        fate = rng.random()
        plan = self.person.traits["plan"]
        when = self.now - dt.timedelta(days=rng.randint(2, 28), hours=rng.randint(0, 23))
        if fate < 0.45:
            target = "pro" if plan == "team" else "free"
            yield "Plan Downgraded", when, {"from": plan, "to": target}
        elif fate < 0.65:
            yield (
                "Subscription Cancelled",
                when,
                {"plan": plan, "reason": rng.choice(("price", "unused", "switched"))},
            )

    def _credit_packs(self) -> Iterator[Moment]:
        """Founders top up credits on weekend mornings, often with a coupon."""
        rng = self.rng
        start = max(self.person.signup, self.now - dt.timedelta(days=BILLING_HISTORY_DAYS))
        moment = start + dt.timedelta(days=rng.randint(1, 10))
        while moment <= self.now:
            saturday = moment + dt.timedelta(days=(5 - moment.weekday()) % 7 + rng.choice((0, 1)))
            when = _at_hour(rng, saturday, 8)
            if when <= self.now:
                extra = {"coupon": "FOUNDER20"} if rng.random() < 0.6 else {}
                yield (
                    "Order Completed",
                    when,
                    self._order(rng.choice(CREDIT_PACKS), "pro", item="credit pack", **extra),
                )
            moment = saturday + dt.timedelta(days=rng.randint(10, 24))

    # --- channels ------------------------------------------------------------------

    def _emails(self) -> Iterator[Moment]:
        """Two campaigns a week (Tuesday tips, Thursday newsletter) to people who opted in."""
        if not self.person.traits["marketing_opt_in"]:
            return
        rng, group = self.rng, self.group
        # Half of each group reads the emails; the other half barely opens them.
        reader = rng.random() < 0.5
        clicks = min(0.9, group.email_click * self.intensity * (1.0 if reader else 0.15))
        day = max(self.person.signup, self.window_start).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        while day < self.now:
            if day.weekday() in (1, 3) and rng.random() < min(0.95, clicks * 1.5):
                campaign = "tips" if day.weekday() == 1 else "newsletter"
                opened = day + dt.timedelta(hours=10, minutes=rng.randint(0, 300))
                if self.start <= opened <= self.now:
                    yield "Email Opened", opened, {"campaign": campaign}
                    if rng.random() < 0.6:
                        clicked = opened + dt.timedelta(seconds=rng.randint(5, 600))
                        yield "Email Clicked", min(clicked, self.now), {"campaign": campaign}
            if self.platform != "web" and day.weekday() == 2 and rng.random() < clicks:
                pushed = day + dt.timedelta(hours=17, minutes=rng.randint(0, 120))
                if self.start <= pushed <= self.now:
                    yield "Push Clicked", pushed, {"campaign": "weekly digest"}
            day += dt.timedelta(days=1)
