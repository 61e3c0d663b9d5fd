"""The people API: list and its filters, one person, their events, erasure with its audit entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from people import erasure, hooks, services
from people.models import Account, Event, Person, PersonAlias, PersonErasure
from people.selectors import person_erasures_of
from segments.models import SegmentMembership
from tests.conftest import bearer_client
from tests.factories import (
    AccountFactory,
    EventFactory,
    MembershipFactory,
    PersonAliasFactory,
    PersonFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    WorkspaceFactory,
    make_api_key,
)
from workspaces.models import KeyScope, Role

PEOPLE = "/api/v1/people/"
T = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def detail_url(person: Person) -> str:
    return f"{PEOPLE}{person.pk}/"


def events_url(person: Person) -> str:
    return f"{PEOPLE}{person.pk}/events/"


def user_ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["user_id"] for row in response.json()["results"]]


def person(workspace, user_id: str, minutes_ago: int = 0, **traits) -> Person:
    return PersonFactory(
        workspace=workspace,
        user_id=user_id,
        traits=traits,
        last_seen=T - timedelta(minutes=minutes_ago),
    )


# --- the list --------------------------------------------------------------------------


def test_list_shows_the_workspace_people_most_recently_seen_first(api, workspace):
    account = AccountFactory(workspace=workspace, group_id="acme", traits={"tier": "gold"})
    older = person(workspace, "u_old", minutes_ago=10)
    newer = PersonFactory(
        workspace=workspace, user_id="u_new", traits={"plan": "pro"}, last_seen=T, account=account
    )
    person(WorkspaceFactory(), "u_elsewhere")

    body = api.get(PEOPLE).json()

    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert body["results"] == [
        {
            "id": newer.pk,
            "user_id": "u_new",
            "traits": {"plan": "pro"},
            "first_seen": newer.first_seen.isoformat().replace("+00:00", "Z"),
            "last_seen": "2026-11-01T12:00:00Z",
            "account": {"id": account.pk, "group_id": "acme", "traits": {"tier": "gold"}},
        },
        {
            "id": older.pk,
            "user_id": "u_old",
            "traits": {},
            "first_seen": older.first_seen.isoformat().replace("+00:00", "Z"),
            "last_seen": "2026-11-01T11:50:00Z",
            "account": None,
        },
    ]


def test_list_is_paginated(api, workspace):
    for i in range(5):
        person(workspace, f"u_{i}", minutes_ago=i)

    first = api.get(PEOPLE, {"page_size": 2}).json()
    last = api.get(PEOPLE, {"page_size": 2, "page": 3}).json()

    assert first["count"] == 5
    assert [r["user_id"] for r in first["results"]] == ["u_0", "u_1"]
    assert "page=2" in first["next"] and first["previous"] is None
    assert [r["user_id"] for r in last["results"]] == ["u_4"]
    assert last["next"] is None and "page=2" in last["previous"]
    assert api.get(PEOPLE, {"page": 9}).status_code == 404


def test_user_id_filter_is_exact(api, workspace):
    person(workspace, "u_1")
    person(workspace, "u_10")
    person(workspace, "U_1")

    assert user_ids(api.get(PEOPLE, {"user_id": "u_1"})) == ["u_1"]
    assert user_ids(api.get(PEOPLE, {"user_id": "u_"})) == []


@pytest.fixture
def traits_world(workspace):
    person(workspace, "pro", 1, plan="pro", seats=5, beta=True)
    person(workspace, "pro_str", 2, plan="pro", seats="5", beta=False)
    person(workspace, "free", 3, plan="free", seats=1, site="https://x.com:8080/a")
    person(workspace, "dotted", 4, **{"motive.s1.why": "price", "gone": None})


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (["plan:pro"], ["pro", "pro_str"]),
        (["seats:5"], ["pro"]),
        (['seats:"5"'], ["pro_str"]),
        (["beta:true"], ["pro"]),
        (["beta:false"], ["pro_str"]),
        pytest.param(
            ['beta:"true"'],
            [],
            marks=pytest.mark.skipif(
                connection.vendor == "sqlite",
                reason='SQLite\'s JSON functions read true and "true" alike',
            ),
        ),
        (["plan:pro", "seats:5"], ["pro"]),
        (["plan:free", "seats:5"], []),
        (["site:https://x.com:8080/a"], ["free"]),
        (["motive.s1.why:price"], ["dotted"]),
        (["gone:null"], ["dotted"]),
        (["plan:"], []),
        (["nosuchkey:pro"], []),
    ],
)
def test_trait_filter_types_values_like_the_search_box(api, traits_world, terms, expected):
    assert user_ids(api.get(PEOPLE, {"trait": terms})) == expected


@pytest.mark.parametrize("term", ["plan", ":pro", " :pro"])
def test_a_trait_term_without_a_key_is_a_400(api, traits_world, term):
    response = api.get(PEOPLE, {"trait": term})

    assert response.status_code == 400
    assert response.json()["detail"] == {
        "trait": [f'"{term}" is not KEY:VALUE (e.g. trait=plan:pro or trait=seats:5).']
    }


@pytest.fixture
def segment_world(workspace):
    segment = SegmentFactory(workspace=workspace)
    for user_id, minutes in (("in_a", 1), ("in_b", 2)):
        SegmentMembershipFactory(segment=segment, person=person(workspace, user_id, minutes))
    left = person(workspace, "left", 3)
    SegmentMembershipFactory(segment=segment, person=left, exited_at=T)
    person(workspace, "never", 4)
    return segment


def test_segment_filter_lists_the_current_members(api, segment_world):
    assert user_ids(api.get(PEOPLE, {"segment": segment_world.pk})) == ["in_a", "in_b"]


def test_segment_filter_combines_with_the_others(api, workspace, segment_world):
    Person.objects.filter(user_id="in_b").update(traits={"plan": "pro"})

    both = api.get(PEOPLE, {"segment": segment_world.pk, "trait": "plan:pro"})
    exact = api.get(PEOPLE, {"segment": segment_world.pk, "user_id": "in_a"})

    assert user_ids(both) == ["in_b"]
    assert user_ids(exact) == ["in_a"]


def test_another_workspaces_segment_answers_like_an_unknown_one(api, segment_world):
    foreign = SegmentMembershipFactory(segment=SegmentFactory(workspace=WorkspaceFactory()))
    missing_id = foreign.segment.pk + 1000

    foreign_answer = api.get(PEOPLE, {"segment": foreign.segment.pk})
    missing_answer = api.get(PEOPLE, {"segment": missing_id})

    assert foreign_answer.status_code == missing_answer.status_code == 400
    message = f"There is no segment {foreign.segment.pk} in this workspace."
    assert foreign_answer.json() == {"error": message, "detail": {"segment": [message]}}
    assert missing_answer.json()["error"] == (
        f"There is no segment {missing_id} in this workspace."
    )


@pytest.mark.parametrize("value", ["abc", "1.5", "[1]"])
def test_a_segment_id_that_is_not_an_integer_is_a_400(api, segment_world, value):
    response = api.get(PEOPLE, {"segment": value})

    assert response.status_code == 400
    assert response.json()["detail"] == {"segment": ["Enter a whole number."]}


def test_the_filter_registry_adds_parameters(api, workspace, monkeypatch):
    """An app to the right adds a filter through people.hooks, and the list honours it."""
    monkeypatch.setattr(hooks, "_person_filters", dict(hooks._person_filters))
    hooks.register_person_filter(
        hooks.PersonFilter(
            key="initial",
            description="First letter of the userId.",
            narrow=lambda people, ws, value: people.filter(user_id__startswith=value),
        )
    )
    person(workspace, "ada", 1)
    person(workspace, "bob", 2)

    assert user_ids(api.get(PEOPLE, {"initial": "b"})) == ["bob"]


def test_list_queries_do_not_grow_with_the_page(api, workspace):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(PEOPLE, {"segment": segment.pk, "trait": "plan:pro"}).status_code == 200
        return len(queries)

    segment = SegmentFactory(workspace=workspace)
    api.get(PEOPLE)  # the key's first use writes its last_used_at once
    SegmentMembershipFactory(
        segment=segment,
        person=PersonFactory(
            workspace=workspace, traits={"plan": "pro"}, account=AccountFactory(workspace=workspace)
        ),
    )
    one = count_queries()
    for _ in range(7):
        SegmentMembershipFactory(
            segment=segment,
            person=PersonFactory(
                workspace=workspace,
                traits={"plan": "pro"},
                account=AccountFactory(workspace=workspace),
            ),
        )
    eight = count_queries()

    # The key, the segment's existence, the count, the page (people with their accounts).
    assert one == eight == 4


# --- one person ------------------------------------------------------------------------


def test_detail_shows_ids_traits_account_and_current_segments(api, workspace):
    account = AccountFactory(workspace=workspace, group_id="acme", traits={"seats": 12})
    someone = PersonFactory(
        workspace=workspace,
        user_id="u_1",
        traits={"plan": "pro"},
        account=account,
        first_seen=T - timedelta(days=3),
        last_seen=T,
    )
    PersonAliasFactory(person=someone, anonymous_id="anon-b")
    PersonAliasFactory(person=someone, anonymous_id="anon-a")
    early = SegmentFactory(workspace=workspace, name="Early")
    late = SegmentFactory(workspace=workspace, name="Late")
    former = SegmentFactory(workspace=workspace, name="Former")
    SegmentMembershipFactory(segment=early, person=someone, entered_at=T - timedelta(days=2))
    SegmentMembershipFactory(segment=late, person=someone, entered_at=T - timedelta(days=1))
    SegmentMembershipFactory(segment=former, person=someone, entered_at=T, exited_at=T)

    body = api.get(detail_url(someone)).json()

    assert body == {
        "id": someone.pk,
        "user_id": "u_1",
        "anonymous_ids": ["anon-a", "anon-b"],
        "traits": {"plan": "pro"},
        "first_seen": "2026-10-29T12:00:00Z",
        "last_seen": "2026-11-01T12:00:00Z",
        "account": {"id": account.pk, "group_id": "acme", "traits": {"seats": 12}},
        "segments": [
            {"id": late.pk, "name": "Late", "entered_at": "2026-10-31T12:00:00Z"},
            {"id": early.pk, "name": "Early", "entered_at": "2026-10-30T12:00:00Z"},
        ],
    }


def test_detail_of_an_anonymous_person_without_account_or_segments(api, workspace):
    anonymous = PersonFactory(workspace=workspace, user_id=None, traits={})
    PersonAliasFactory(person=anonymous, anonymous_id="anon-1")

    body = api.get(detail_url(anonymous)).json()

    assert body["user_id"] is None
    assert body["anonymous_ids"] == ["anon-1"]
    assert body["account"] is None and body["segments"] == []


def test_detail_ignores_the_list_filters(api, workspace):
    someone = person(workspace, "u_1")

    assert api.get(detail_url(someone), {"segment": "abc"}).status_code == 200


@pytest.mark.parametrize("path", ["", "events/"])
def test_another_workspaces_person_is_a_404(api, path):
    foreign = PersonFactory(workspace=WorkspaceFactory())

    response = api.get(f"{detail_url(foreign)}{path}")

    assert response.status_code == 404
    assert response.json() == {"error": "Not found.", "detail": {"code": "not_found"}}


def test_detail_queries_are_constant(api, workspace, django_assert_num_queries):
    someone = PersonFactory(workspace=workspace, account=AccountFactory(workspace=workspace))
    for _ in range(3):
        PersonAliasFactory(person=someone)
        SegmentMembershipFactory(person=someone, segment=SegmentFactory(workspace=workspace))
    api.get(PEOPLE)

    # The key, the person with the account, the anonymous ids, the segments.
    with django_assert_num_queries(4):
        assert api.get(detail_url(someone)).status_code == 200


# --- a person's events -----------------------------------------------------------------


def test_events_are_newest_first_with_their_fields(api, workspace):
    someone = person(workspace, "u_1")
    EventFactory(
        person=someone,
        name="Signed Up",
        timestamp=T - timedelta(days=2),
        message_id="m-old",
        properties={"plan": "free"},
        received_at=T,
    )
    EventFactory(person=someone, name="Upgraded", timestamp=T, message_id="m-new", received_at=T)
    EventFactory(person=person(workspace, "u_2"), timestamp=T + timedelta(hours=1))

    body = api.get(events_url(someone)).json()

    assert body["count"] == 2
    assert body["results"] == [
        {
            "timestamp": "2026-11-01T12:00:00Z",
            "name": "Upgraded",
            "properties": {},
            "message_id": "m-new",
            "received_at": "2026-11-01T12:00:00Z",
        },
        {
            "timestamp": "2026-10-30T12:00:00Z",
            "name": "Signed Up",
            "properties": {"plan": "free"},
            "message_id": "m-old",
            "received_at": "2026-11-01T12:00:00Z",
        },
    ]


def test_events_are_paginated_and_ties_break_by_newest_row(api, workspace):
    someone = person(workspace, "u_1")
    for i in range(5):
        EventFactory(person=someone, timestamp=T - timedelta(hours=i // 2), message_id=f"m{i}")

    first = api.get(events_url(someone), {"page_size": 2}).json()
    rest = [api.get(events_url(someone), {"page_size": 2, "page": p}).json() for p in (2, 3)]

    assert first["count"] == 5 and "page=2" in first["next"]
    pages = [first, *rest]
    assert [[e["message_id"] for e in page["results"]] for page in pages] == [
        ["m1", "m0"],
        ["m3", "m2"],
        ["m4"],
    ]
    assert rest[-1]["next"] is None


def test_events_queries_are_constant(api, workspace, django_assert_num_queries):
    someone = person(workspace, "u_1")
    for i in range(20):
        EventFactory(person=someone, timestamp=T - timedelta(minutes=i))
    api.get(PEOPLE)

    # The key, the person, the count, the page.
    with django_assert_num_queries(4):
        assert api.get(events_url(someone)).status_code == 200


# --- erasure ---------------------------------------------------------------------------


@pytest.fixture
def erasable(workspace):
    """The person to erase and a neighbour sharing their account and segment."""
    account = AccountFactory(workspace=workspace)
    segment = SegmentFactory(workspace=workspace)
    people = {}
    for user_id in ("u_123", "u_keep"):
        someone = PersonFactory(
            workspace=workspace, user_id=user_id, traits={"email": f"{user_id}@x.com"}
        )
        someone.account = account
        someone.save()
        PersonAliasFactory(person=someone)
        EventFactory(person=someone)
        EventFactory(person=someone, name="Upgraded")
        SegmentMembershipFactory(segment=segment, person=someone)
        SegmentMembershipFactory(segment=segment, person=someone, entered_at=T, exited_at=T)
        people[user_id] = someone
    return people


def rows_naming(person_id: int) -> dict[str, int]:
    return {
        "person": Person.objects.filter(pk=person_id).count(),
        "events": Event.objects.filter(person_id=person_id).count(),
        "aliases": PersonAlias.objects.filter(person_id=person_id).count(),
        "memberships": SegmentMembership.objects.filter(person_id=person_id).count(),
    }


def test_erasure_deletes_every_row_of_the_person_and_no_other(
    api, workspace, erasable, django_capture_on_commit_callbacks
):
    erased, kept = erasable["u_123"], erasable["u_keep"]
    kept_before = rows_naming(kept.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(detail_url(erased))

    assert response.status_code == 204 and response.content == b""
    assert rows_naming(erased.pk) == {
        "person": 0,
        "events": 0,
        "aliases": 0,
        "memberships": 0,
    }
    assert (
        rows_naming(kept.pk)
        == kept_before
        == {
            "person": 1,
            "events": 2,
            "aliases": 1,
            "memberships": 2,
        }
    )
    assert Account.objects.filter(pk=kept.account_id).exists()
    assert api.get(detail_url(erased)).status_code == 404
    assert api.get(events_url(erased)).status_code == 404


def test_the_audit_entry_says_who_erased_whom_and_nothing_else(api, workspace, full_key, erasable):
    erased = erasable["u_123"]
    key = workspace.api_keys.get(scope=KeyScope.FULL)

    api.delete(detail_url(erased))

    entry = PersonErasure.objects.get()
    assert entry.workspace_id == workspace.pk
    assert entry.person_id == erased.pk
    assert entry.user_id_hash == erasure.user_id_hash(workspace_id=workspace.pk, user_id="u_123")
    assert len(entry.user_id_hash) == 64 and "u_123" not in entry.user_id_hash
    assert entry.api_key_id == key.pk and entry.user_id is None
    assert entry.actor == f"API key 'full key' ({key.prefix}…)"
    assert entry.erased_at is not None
    stored = " ".join(str(v) for v in PersonErasure.objects.values().get().values())
    assert "u_123" not in stored and "@x.com" not in stored


def test_was_this_user_id_erased(api, workspace, erasable):
    api.delete(detail_url(erasable["u_123"]))
    elsewhere = WorkspaceFactory()

    assert [e.person_id for e in person_erasures_of(workspace=workspace, user_id="u_123")] == [
        erasable["u_123"].pk
    ]
    assert not person_erasures_of(workspace=workspace, user_id="u_keep").exists()
    assert not person_erasures_of(workspace=elsewhere, user_id="u_123").exists()


def test_erasures_stay_answerable_after_a_secret_key_rotation(api, workspace, erasable, settings):
    api.delete(detail_url(erasable["u_123"]))

    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789abcdef"

    assert person_erasures_of(workspace=workspace, user_id="u_123").count() == 1


def test_an_anonymous_person_is_erased_with_an_empty_hash(api, workspace):
    anonymous = PersonFactory(workspace=workspace, user_id=None)
    PersonAliasFactory(person=anonymous)

    assert api.delete(detail_url(anonymous)).status_code == 204

    assert PersonErasure.objects.get().user_id_hash == ""
    assert rows_naming(anonymous.pk)["aliases"] == 0


def test_a_researcher_session_is_recorded_as_the_actor(client, workspace, erasable):
    researcher = MembershipFactory(workspace=workspace, role=Role.RESEARCHER).user
    client.force_login(researcher)

    assert client.delete(detail_url(erasable["u_123"])).status_code == 204

    entry = PersonErasure.objects.get()
    assert entry.user_id == researcher.pk and entry.api_key_id is None
    assert entry.actor == f"user {researcher.get_username()}"


def test_a_viewer_cannot_erase(client, workspace, erasable):
    client.force_login(MembershipFactory(workspace=workspace, role=Role.VIEWER).user)
    before = rows_naming(erasable["u_123"].pk)

    assert client.delete(detail_url(erasable["u_123"])).status_code == 403

    assert rows_naming(erasable["u_123"].pk) == before
    assert not PersonErasure.objects.exists()


def test_another_workspaces_person_cannot_be_erased(api, erasable):
    foreign = PersonFactory(workspace=WorkspaceFactory())
    EventFactory(person=foreign)
    before = rows_naming(foreign.pk)

    response = api.delete(detail_url(foreign))

    assert response.status_code == 404
    assert response.json() == {"error": "Not found.", "detail": {"code": "not_found"}}
    assert rows_naming(foreign.pk) == before
    assert not PersonErasure.objects.exists()


def test_erasing_twice_is_a_404_the_second_time(api, erasable):
    url = detail_url(erasable["u_123"])

    assert api.delete(url).status_code == 204
    assert api.delete(url).status_code == 404
    assert PersonErasure.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ""), ("get", "{id}/"), ("get", "{id}/events/"), ("delete", "{id}/")],
)
def test_an_ingest_key_is_refused_on_every_people_route(workspace, erasable, method, path):
    client = bearer_client(make_api_key(workspace, KeyScope.INGEST)[1])
    erased = erasable["u_123"]
    before = rows_naming(erased.pk)

    response = getattr(client, method)(PEOPLE + path.format(id=erased.pk))

    assert response.status_code == 403
    assert "ingest scope" in response.json()["error"]
    assert rows_naming(erased.pk) == before


def test_person_erased_is_sent_before_the_rows_go(api, workspace, erasable):
    heard = []

    def receiver(*, workspace_id, person_id, **_):
        # Still there: a receiver can find what it holds of the person.
        heard.append((workspace_id, person_id, rows_naming(person_id)["events"]))

    hooks.person_erased.connect(receiver, dispatch_uid="test.person_erased")
    try:
        api.delete(detail_url(erasable["u_123"]))
    finally:
        hooks.person_erased.disconnect(dispatch_uid="test.person_erased")

    assert heard == [(workspace.pk, erasable["u_123"].pk, 2)]


def test_a_failing_receiver_erases_nothing(workspace, erasable):
    erased = erasable["u_123"]
    before = rows_naming(erased.pk)

    def receiver(**_):
        raise RuntimeError("downstream failed")

    hooks.person_erased.connect(receiver, dispatch_uid="test.failing")
    try:
        with pytest.raises(RuntimeError):
            services.person_erase(person=erased)
    finally:
        hooks.person_erased.disconnect(dispatch_uid="test.failing")

    assert rows_naming(erased.pk) == before
    assert not PersonErasure.objects.exists()


def test_deleting_a_person_cascades_to_their_events(workspace):
    someone = PersonFactory(workspace=workspace)
    EventFactory(person=someone)
    other = EventFactory(person=PersonFactory(workspace=workspace))

    Person.objects.filter(pk=someone.pk).delete()

    assert list(Event.objects.values_list("pk", flat=True)) == [other.pk]
