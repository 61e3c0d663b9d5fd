"""The demo generator: seeded, reproducible, idempotent, with its latent groups in the behavior."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min, Q

from people.demo_data import seed_demo_data
from people.demo_groups import GROUPS, latent_group
from people.models import Account, Event, Person, PersonAlias
from tests.factories import PersonFactory, WorkspaceFactory
from workspaces.demo import DEMO_EMAIL, DEMO_WORKSPACE
from workspaces.models import Membership

AS_OF = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
# The eight kinds of behavior researchers segment on, by the events that carry them.
BEHAVIOR_EVENTS = {
    "purchases": {"Order Completed"},
    "usage rate": {"Session Started", "Feature Used", "Report Exported", "Dashboard Created"},
    "journey stage": {
        "Signed Up",
        "Project Created",
        "Teammate Invited",
        "Subscription Started",
        "Plan Upgraded",
        "Plan Downgraded",
        "Subscription Cancelled",
    },
    "channel engagement": {"Email Opened", "Email Clicked", "Push Clicked"},
    "intent signals": {"Pricing Page Viewed", "Demo Requested", "Support Ticket Opened"},
}


def snapshot(workspace) -> dict[str, object]:
    """Everything the generator wrote into one workspace, comparable across workspaces."""
    return {
        "accounts": list(
            Account.objects.filter(workspace=workspace)
            .order_by("group_id")
            .values_list("group_id", "traits")
        ),
        "people": list(
            Person.objects.filter(workspace=workspace)
            .order_by("user_id")
            .values_list("user_id", "account__group_id", "traits", "first_seen", "last_seen")
        ),
        "aliases": sorted(
            PersonAlias.objects.filter(workspace=workspace).values_list(
                "anonymous_id", "person__user_id"
            )
        ),
        "events": list(
            Event.objects.filter(workspace=workspace)
            .order_by("message_id")
            .values_list("message_id", "person__user_id", "name", "timestamp", "properties")
        ),
    }


def seed(workspace, **options) -> str:
    out = io.StringIO()
    call_command("seed_demo", workspace=workspace.pk, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_same_seed_gives_the_same_rows():
    first, second = WorkspaceFactory(), WorkspaceFactory()
    seed(first, people=150, days=60, seed=3, as_of=AS_OF.isoformat())
    seed(second, people=150, days=60, seed=3, as_of=AS_OF.isoformat())
    a, b = snapshot(first), snapshot(second)
    assert a == b
    assert (len(a["people"]), len(a["accounts"])) == (150, 11)
    assert len(a["events"]) > 3000


@pytest.mark.django_db
def test_another_seed_gives_other_rows():
    first, second = WorkspaceFactory(), WorkspaceFactory()
    seed_demo_data(workspace=first, people=60, days=30, seed=1, now=AS_OF)
    seed_demo_data(workspace=second, people=60, days=30, seed=2, now=AS_OF)
    assert snapshot(first)["events"] != snapshot(second)["events"]


@pytest.mark.django_db
def test_a_workspace_with_people_is_left_alone():
    workspace = WorkspaceFactory()
    PersonFactory(workspace=workspace, user_id="real-customer")
    output = seed(workspace, people=50)
    assert "already has people; no demo data generated" in output
    assert list(Person.objects.filter(workspace=workspace).values_list("user_id", flat=True)) == [
        "real-customer"
    ]
    assert Event.objects.filter(workspace=workspace).count() == 0
    assert Account.objects.filter(workspace=workspace).count() == 0


@pytest.mark.django_db
def test_seeding_twice_seeds_once():
    workspace = WorkspaceFactory()
    assert "Generated 80 people" in seed(workspace, people=80, days=30, seed=5)
    before = snapshot(workspace)
    assert "already has people" in seed(workspace, people=80, days=30, seed=5)
    assert snapshot(workspace) == before


@pytest.mark.django_db
def test_without_a_workspace_it_fills_the_demo_workspace():
    out = io.StringIO()
    call_command("seed_demo", people=30, days=14, stdout=out)
    membership = Membership.objects.select_related("workspace", "user").get(
        workspace__name=DEMO_WORKSPACE
    )
    assert membership.user.email == DEMO_EMAIL
    assert Person.objects.filter(workspace=membership.workspace).count() == 30
    assert f"into workspace {membership.workspace.pk}" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"people": 0}, "--people must be between 1 and 1,000,000"),
        ({"days": 0}, "--days must be between 1 and 3650"),
        ({"days": 4000}, "--days must be between 1 and 3650"),
        ({"as_of": "yesterday"}, "--as-of must be an ISO 8601 time"),
        ({"as_of": "2026-11-02T12:00:00"}, "--as-of must be an ISO 8601 time"),
    ],
)
def test_bad_options_are_refused(options, message):
    workspace = WorkspaceFactory()
    with pytest.raises(CommandError, match=message):
        seed(workspace, **options)
    assert Person.objects.filter(workspace=workspace).count() == 0


@pytest.mark.django_db
def test_unknown_workspace_is_refused():
    with pytest.raises(CommandError, match="No workspace with id 999999"):
        call_command("seed_demo", workspace=999999, stdout=io.StringIO())
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_rows_are_well_formed_and_cover_the_eight_kinds_of_behavior():
    workspace = WorkspaceFactory()
    seed_demo_data(workspace=workspace, people=400, days=90, seed=7, now=AS_OF)
    people = Person.objects.filter(workspace=workspace)
    for person in people:
        assert {"email", "name", "plan", "country", "signup_date", "role"} <= set(person.traits)
        assert person.traits["plan"] in {"free", "pro", "team"}
        assert person.first_seen <= person.last_seen <= AS_OF
    # Team plans are always on an account.
    assert not people.filter(traits__plan="team", account__isnull=True).exists()
    events = Event.objects.filter(workspace=workspace)
    names = set(events.values_list("name", flat=True))
    for kind, expected in BEHAVIOR_EVENTS.items():
        assert expected <= names, (kind, expected - names)
    assert not events.filter(timestamp__gt=AS_OF).exists()
    # Usage is inside the window; billing history reaches back further, as an import would.
    usage = events.exclude(name__in=["Order Completed", "Subscription Started"])
    assert not usage.filter(timestamp__lt=AS_OF - dt.timedelta(days=90)).exists()
    assert events.filter(
        name="Order Completed", timestamp__lt=AS_OF - dt.timedelta(days=365)
    ).exists()
    orders = events.filter(name="Order Completed").values_list("properties", flat=True)
    assert all(isinstance(p["amount"], float) and p["amount"] > 0 for p in orders)
    # Occasions: weekend-morning purchases; benefits: coupons and the features leaned on.
    weekend_mornings = [
        e.timestamp
        for e in events.filter(name="Order Completed", properties__item="credit pack")
        if e.timestamp.weekday() >= 5 and e.timestamp.hour < 12
    ]
    assert len(weekend_mornings) > 20
    assert events.filter(name="Order Completed", properties__has_key="coupon").exists()
    platforms = set(
        events.filter(name="Session Started").values_list("properties__platform", flat=True)
    )
    assert platforms == {"web", "ios", "android"}


def _by_group(workspace, seed_value: int) -> dict[str, list[Person]]:
    groups: dict[str, list[Person]] = {g.key: [] for g in GROUPS}
    week, month = AS_OF - dt.timedelta(days=7), AS_OF - dt.timedelta(days=30)
    people = Person.objects.filter(workspace=workspace).annotate(
        pricing_7d=Count(
            "events", filter=Q(events__name="Pricing Page Viewed", events__timestamp__gte=week)
        ),
        sessions_30d=Count(
            "events", filter=Q(events__name="Session Started", events__timestamp__gte=month)
        ),
        exports_30d=Count(
            "events", filter=Q(events__name="Report Exported", events__timestamp__gte=month)
        ),
        orders=Count("events", filter=Q(events__name="Order Completed")),
        first_order=Min("events__timestamp", filter=Q(events__name="Order Completed")),
        last_session=Max("events__timestamp", filter=Q(events__name="Session Started")),
        downgrades_30d=Count(
            "events",
            filter=Q(
                events__name__in=["Plan Downgraded", "Subscription Cancelled"],
                events__timestamp__gte=month,
            ),
        ),
    )
    for person in people:
        groups[latent_group(seed=seed_value, user_id=person.user_id).key].append(person)
    return groups


def _share(people: list[Person], test) -> float:
    return sum(1 for p in people if test(p)) / len(people)


@pytest.mark.django_db
def test_the_latent_groups_show_in_behavior():
    workspace = WorkspaceFactory()
    seed_demo_data(workspace=workspace, people=800, days=120, seed=11, now=AS_OF)
    groups = _by_group(workspace, 11)
    assert all(len(members) >= 30 for members in groups.values()), {
        k: len(v) for k, v in groups.items()
    }
    month = AS_OF - dt.timedelta(days=30)
    # Evaluators shop around: 3+ pricing visits this week, free, no orders.
    assert _share(groups["evaluator"], lambda p: p.pricing_7d >= 3 and p.orders == 0) == 1
    # Fading payers stopped using the product over a month ago; many downgraded or left.
    assert _share(groups["fading"], lambda p: not p.last_session or p.last_session < month) == 1
    assert _share(groups["fading"], lambda p: p.downgrades_30d > 0) > 0.5
    # Power analysts are in most weekdays and export far more than anyone else.
    power_exports = sorted(p.exports_30d for p in groups["power"])
    others = sorted(p.exports_30d for k, g in groups.items() if k != "power" for p in g)
    assert power_exports[len(power_exports) // 2] > 5 * others[len(others) // 2] + 10
    # Steady reporters are long-standing payers.
    assert _share(groups["steady"], lambda p: p.first_order < AS_OF - dt.timedelta(days=365)) > 0.9
    # Light users rarely come in.
    assert _share(groups["light"], lambda p: p.sessions_30d <= 4) > 0.9
