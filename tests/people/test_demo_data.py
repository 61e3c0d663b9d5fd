"""The demo loader: seeded, reproducible, idempotent, and with its behavioral groups planted."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Q

from people.demo_data import load_demo_data
from people.models import Account, Event, Person, PersonAlias
from tests.factories import PersonFactory, WorkspaceFactory

AS_OF = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)


def snapshot(workspace) -> dict[str, object]:
    """Everything the loader wrote into one workspace, comparable across workspaces."""
    return {
        "accounts": list(
            Account.objects.filter(workspace=workspace).values_list("group_id", "traits")
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


def load(workspace, **options) -> str:
    out = io.StringIO()
    call_command("load_demo_data", workspace=workspace.pk, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_same_seed_gives_the_same_rows():
    first, second = WorkspaceFactory(), WorkspaceFactory()
    load(first, people=200, seed=3, as_of=AS_OF.isoformat())
    load(second, people=200, seed=3, as_of=AS_OF.isoformat())
    a, b = snapshot(first), snapshot(second)
    assert a == b
    assert (len(a["people"]), len(a["accounts"])) == (200, 15)
    assert len(a["events"]) > 2000


@pytest.mark.django_db
def test_another_seed_gives_other_rows():
    first, second = WorkspaceFactory(), WorkspaceFactory()
    load_demo_data(workspace=first, people=100, seed=1, now=AS_OF)
    load_demo_data(workspace=second, people=100, seed=2, now=AS_OF)
    assert snapshot(first)["events"] != snapshot(second)["events"]


@pytest.mark.django_db
def test_a_workspace_with_people_is_left_alone():
    workspace = WorkspaceFactory()
    PersonFactory(workspace=workspace, user_id="real-customer")
    output = load(workspace, people=50)
    assert "already has people; no demo data loaded" in output
    assert list(Person.objects.filter(workspace=workspace).values_list("user_id", flat=True)) == [
        "real-customer"
    ]
    assert Event.objects.filter(workspace=workspace).count() == 0
    assert Account.objects.filter(workspace=workspace).count() == 0


@pytest.mark.django_db
def test_loading_twice_loads_once():
    workspace = WorkspaceFactory()
    assert "Loaded 80 people" in load(workspace, people=80, seed=5)
    before = snapshot(workspace)
    assert "already has people" in load(workspace, people=80, seed=5)
    assert snapshot(workspace) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"people": 0}, "--people must be at least 1"),
        ({"as_of": "yesterday"}, "--as-of must be an ISO 8601 time"),
        ({"as_of": "2026-11-02T12:00:00"}, "--as-of must be an ISO 8601 time"),
    ],
)
def test_bad_options_are_refused(options, message):
    workspace = WorkspaceFactory()
    with pytest.raises(CommandError, match=message):
        load(workspace, **options)
    assert Person.objects.filter(workspace=workspace).count() == 0


@pytest.mark.django_db
def test_unknown_workspace_is_refused():
    with pytest.raises(CommandError, match="No workspace with id 999999"):
        call_command("load_demo_data", workspace=999999, stdout=io.StringIO())


@pytest.mark.django_db
def test_rows_are_well_formed_and_inside_the_window():
    workspace = WorkspaceFactory()
    load_demo_data(workspace=workspace, people=300, seed=7, now=AS_OF)
    people = Person.objects.filter(workspace=workspace)
    for person in people:
        assert {"email", "name", "plan", "country", "signup_date", "role"} <= set(person.traits)
        assert person.traits["plan"] in {"free", "pro", "team"}
        assert person.first_seen <= person.last_seen <= AS_OF
        dt.date.fromisoformat(person.traits["signup_date"])
    for account in Account.objects.filter(workspace=workspace):
        assert isinstance(account.traits["employees"], int)
        assert isinstance(account.traits["arr"], float | int)
        assert account.traits["industry"]
    events = Event.objects.filter(workspace=workspace)
    window = events.aggregate(
        early=Count("id", filter=Q(timestamp__lt=AS_OF - dt.timedelta(days=120))),
        late=Count("id", filter=Q(timestamp__gt=AS_OF)),
    )
    assert window == {"early": 0, "late": 0}
    assert set(events.values_list("name", flat=True)) == {
        "Signed Up",
        "Logged In",
        "Pricing Page Viewed",
        "Report Exported",
        "Dashboard Created",
        "Teammate Invited",
        "Order Completed",
        "Support Ticket Opened",
        "Feature Used",
    }
    for properties in events.filter(name="Order Completed").values_list("properties", flat=True):
        assert isinstance(properties["amount"], float)
    for properties in events.filter(name="Feature Used").values_list("properties", flat=True):
        assert properties["feature"]
    # People on the team plan are always on an account.
    assert not people.filter(traits__plan="team", account__isnull=True).exists()


@pytest.mark.django_db
def test_the_behavioral_groups_are_there_to_find():
    workspace = WorkspaceFactory()
    load_demo_data(workspace=workspace, people=1000, seed=7, now=AS_OF)
    week, month = AS_OF - dt.timedelta(days=7), AS_OF - dt.timedelta(days=30)
    people = Person.objects.filter(workspace=workspace).annotate(
        pricing_7d=Count(
            "events", filter=Q(events__name="Pricing Page Viewed", events__timestamp__gte=week)
        ),
        invites_30d=Count(
            "events", filter=Q(events__name="Teammate Invited", events__timestamp__gte=month)
        ),
        orders=Count("events", filter=Q(events__name="Order Completed")),
        dashboards=Count("events", filter=Q(events__name="Dashboard Created")),
        last_login=Max("events__timestamp", filter=Q(events__name="Logged In")),
    )
    stallers = people.filter(pricing_7d__gte=3, invites_30d=0, orders=0).count()
    faded = people.filter(last_login__lt=month).exclude(traits__plan="free").count()
    repeat_buyers = people.filter(orders__gte=4).count()
    power = people.filter(dashboards__gte=5).count()
    # Each planted group is a sizeable minority of 1,000, not everyone and not a handful.
    for size in (stallers, faded, repeat_buyers, power):
        assert 40 <= size <= 300, (stallers, faded, repeat_buyers, power)


@pytest.mark.django_db
def test_setup_demo_loads_the_full_demo_once():
    first = json.loads(_setup_demo())
    workspace_id = first["workspace"]
    people = Person.objects.filter(workspace_id=workspace_id).count()
    events = Event.objects.filter(workspace_id=workspace_id).count()
    assert people == 2000
    assert Account.objects.filter(workspace_id=workspace_id).count() == 150
    assert 50_000 <= events <= 70_000
    second = json.loads(_setup_demo())
    assert second["workspace"] == workspace_id
    assert Person.objects.filter(workspace_id=workspace_id).count() == people
    assert Event.objects.filter(workspace_id=workspace_id).count() == events


def _setup_demo() -> str:
    out = io.StringIO()
    call_command("setup_demo", "--json", stdout=out)
    return out.getvalue()
