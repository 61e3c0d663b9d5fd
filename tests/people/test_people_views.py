"""The people and accounts pages: search, pagination, typed traits, timelines, tenancy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from people.models import Event, Person
from people.selectors import PeopleQuery, parse_people_query
from tests.factories import (
    AccountFactory,
    EventFactory,
    MembershipFactory,
    PersonAliasFactory,
    PersonFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    WorkspaceFactory,
)
from workspaces.models import Role

PEOPLE = reverse("people:list")
ACCOUNTS = reverse("people:accounts")


@pytest.fixture
def browser(client, owner):
    client.force_login(owner)
    return client


def row_ids(response) -> list[str]:
    return [person.user_id for person in response.context["page"].object_list]


# --- the search grammar -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", PeopleQuery()),
        ("  u_12 ", PeopleQuery(text="u_12", user_id="u_12")),
        ("plan=pro", PeopleQuery(text="plan=pro", traits=[("plan", "pro")])),
        ("seats=5", PeopleQuery(text="seats=5", traits=[("seats", 5)])),
        ("arr=1.5e3", PeopleQuery(text="arr=1.5e3", traits=[("arr", 1500.0)])),
        ('seats="5"', PeopleQuery(text='seats="5"', traits=[("seats", "5")])),
        ("beta=true", PeopleQuery(text="beta=true", traits=[("beta", True)])),
        (
            'plan=pro country="United States"',
            PeopleQuery(
                text='plan=pro country="United States"',
                traits=[("plan", "pro"), ("country", "United States")],
            ),
        ),
        ("motive.s1.q=yes", PeopleQuery(text="motive.s1.q=yes", traits=[("motive.s1.q", "yes")])),
        ("tags=[1]", PeopleQuery(text="tags=[1]", traits=[("tags", "[1]")])),
        ("plan = pro", PeopleQuery(text="plan = pro", traits=[("plan", "pro")])),
        ("not a trait=x", PeopleQuery(text="not a trait=x", user_id="not a trait=x")),
        ("a@b.com", PeopleQuery(text="a@b.com", user_id="a@b.com")),
    ],
)
def test_parse_people_query(text, expected):
    assert parse_people_query(text) == expected


# --- people list --------------------------------------------------------------


def test_login_is_required(client, workspace):
    response = client.get(PEOPLE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_empty_workspace_says_what_to_do_next(browser):
    response = browser.get(PEOPLE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "No people yet" in body
    assert f'href="{reverse("settings")}"' in body
    assert f'href="{reverse("api-docs")}"' in body
    assert 'aria-current="page">People</a>' in body
    # Nothing to search yet, so no search box.
    assert 'id="people-q"' not in body


def test_lists_people_most_recently_seen_first_with_account(browser, workspace):
    now = timezone.now()
    account = AccountFactory(workspace=workspace, group_id="acct_7", traits={"name": "Globex"})
    PersonFactory(workspace=workspace, user_id="old", last_seen=now - dt.timedelta(days=9))
    PersonFactory(
        workspace=workspace,
        user_id="fresh",
        account=account,
        traits={"email": "f@globex.com", "plan": "pro"},
        last_seen=now - dt.timedelta(hours=2),
    )
    response = browser.get(PEOPLE)
    assert response.status_code == 200
    assert row_ids(response) == ["fresh", "old"]
    body = response.content.decode()
    assert "Globex" in body
    assert reverse("people:account", args=[account.pk]) in body
    assert "f@globex.com" in body
    assert "2\xa0hours ago" in body
    assert "1\xa0week ago" in body
    assert "2 people, most recently seen first" in body


def test_other_workspaces_people_are_not_listed(browser, workspace):
    PersonFactory(workspace=workspace, user_id="mine")
    PersonFactory(workspace=WorkspaceFactory(), user_id="theirs")
    assert row_ids(browser.get(PEOPLE)) == ["mine"]
    assert row_ids(browser.get(PEOPLE, {"q": "theirs"})) == []


def test_search_by_part_of_user_id(browser, workspace):
    for user_id in ["alice-1", "bob-2", "malice-3"]:
        PersonFactory(workspace=workspace, user_id=user_id)
    response = browser.get(PEOPLE, {"q": "ALICE"})
    assert sorted(row_ids(response)) == ["alice-1", "malice-3"]
    assert "2 matches for <code>ALICE</code>" in response.content.decode()


def test_search_finds_a_person_by_full_anonymous_id(browser, workspace):
    alias = PersonAliasFactory(person=PersonFactory(workspace=workspace, user_id="known"))
    PersonFactory(workspace=workspace, user_id="other")
    assert row_ids(browser.get(PEOPLE, {"q": alias.anonymous_id})) == ["known"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("plan=pro", ["p_pro5", "p_pro_str5"]),
        ("seats=5", ["p_pro5"]),
        ('seats="5"', ["p_pro_str5"]),
        ("seats=5.0", ["p_pro5"]),
        ("beta=true", ["p_free"]),
        ("beta=false", []),
        ("plan=pro seats=5", ["p_pro5"]),
        ('country="United States"', ["p_free"]),
        ("motive.s1.why=price", ["p_free"]),
        ("plan=enterprise", []),
    ],
)
def test_search_by_typed_trait(browser, workspace, q, expected):
    PersonFactory(workspace=workspace, user_id="p_pro5", traits={"plan": "pro", "seats": 5})
    PersonFactory(workspace=workspace, user_id="p_pro_str5", traits={"plan": "pro", "seats": "5"})
    PersonFactory(
        workspace=workspace,
        user_id="p_free",
        traits={
            "plan": "free",
            "beta": True,
            "country": "United States",
            "motive.s1.why": "price",
        },
    )
    response = browser.get(PEOPLE, {"q": q})
    assert response.status_code == 200
    assert sorted(row_ids(response)) == expected


def test_search_without_results_explains_matching(browser, workspace):
    PersonFactory(workspace=workspace, user_id="someone")
    response = browser.get(PEOPLE, {"q": 'seats="5"'})
    body = response.content.decode()
    assert "No one matches" in body
    assert "No people yet" not in body
    assert "Clear the search" in body


def test_pagination_is_fifty_a_page_and_keeps_the_query(browser, workspace):
    now = timezone.now()
    for i in range(60):
        PersonFactory(
            workspace=workspace,
            user_id=f"u_{i:03d}",
            traits={"plan": "pro"},
            last_seen=now - dt.timedelta(minutes=i),
        )
    first = browser.get(PEOPLE, {"q": "plan=pro"})
    assert row_ids(first) == [f"u_{i:03d}" for i in range(50)]
    body = first.content.decode()
    assert "Page 1 of 2" in body
    assert 'href="/people/?q=plan%3Dpro&amp;page=2"' in body
    second = browser.get(PEOPLE, {"q": "plan=pro", "page": 2})
    assert row_ids(second) == [f"u_{i:03d}" for i in range(50, 60)]
    assert "showing 51\u201360" in second.content.decode()


@pytest.mark.parametrize("page", ["0", "99", "abc"])
def test_a_bad_page_number_shows_a_real_page(browser, workspace, page):
    PersonFactory(workspace=workspace)
    response = browser.get(PEOPLE, {"page": page})
    assert response.status_code == 200
    assert len(row_ids(response)) == 1


def test_people_list_queries_are_bounded(browser, workspace, django_assert_max_num_queries):
    accounts = AccountFactory.create_batch(5, workspace=workspace)
    for i in range(120):
        PersonFactory(workspace=workspace, account=accounts[i % 5], traits={"plan": "pro"})
    # session, user, membership (+ switcher list), count, one page with accounts joined.
    with django_assert_max_num_queries(7):
        response = browser.get(PEOPLE)
    assert len(row_ids(response)) == 50
    with django_assert_max_num_queries(7):
        browser.get(PEOPLE, {"q": "plan=pro", "page": 3})


def test_htmx_search_gets_only_the_results_fragment(browser, workspace):
    PersonFactory(workspace=workspace, user_id="frag")
    response = browser.get(
        PEOPLE, {"q": "frag"}, headers={"HX-Request": "true", "HX-Target": "people-results"}
    )
    body = response.content.decode()
    assert body.startswith('<div id="people-results"')
    assert "<html" not in body
    assert "frag" in body


# --- person page --------------------------------------------------------------


def test_person_page_shows_typed_traits_account_and_ids(browser, workspace):
    account = AccountFactory(workspace=workspace, traits={"name": "Initech"})
    person = PersonFactory(
        workspace=workspace,
        user_id="u_42",
        account=account,
        traits={"email": "pat@initech.com", "seats": 5, "zip": "02139", "beta": True, "x": None},
    )
    PersonAliasFactory(person=person, anonymous_id="anon-abc")
    response = browser.get(reverse("people:person", args=[person.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<h1><span class="mono">u_42</span></h1>' in body
    assert '<span class="value value-number">5</span>' in body
    assert '<span class="value">02139</span>' in body
    assert '<code class="value value-boolean">true</code>' in body
    assert '<span class="value value-null">null</span>' in body
    assert '<span class="type-label">number</span>' in body
    assert '<span class="type-label">string</span>' in body
    assert reverse("people:account", args=[account.pk]) in body
    assert "anon-abc" in body
    assert 'aria-current="page">People</a>' in body


def test_person_page_empty_states(browser, workspace):
    person = PersonFactory(workspace=workspace, traits={})
    body = browser.get(reverse("people:person", args=[person.pk])).content.decode()
    assert "No traits yet" in body
    assert "No events yet" in body
    assert "Not in any segment yet" in body
    assert "No invitations yet" in body
    assert "None recorded" in body


def test_person_timeline_most_recent_first_with_properties(browser, workspace):
    person = PersonFactory(workspace=workspace)
    now = timezone.now()
    EventFactory(person=person, name="Signed Up", timestamp=now - dt.timedelta(days=3))
    EventFactory(
        person=person,
        name="Order Completed",
        properties={"amount": 49.5, "currency": "USD"},
        timestamp=now - dt.timedelta(hours=1),
    )
    EventFactory(person=PersonFactory(workspace=workspace), name="Someone Else's")
    response = browser.get(reverse("people:person", args=[person.pk]))
    events = list(response.context["events"].object_list)
    assert [e.name for e in events] == ["Order Completed", "Signed Up"]
    body = response.content.decode()
    assert body.index("Order Completed") < body.index("Signed Up")
    assert (
        '<span class="chip-key">amount</span> <span class="value value-number">49.5</span>' in body
    )
    assert "Someone Else" not in body


def test_person_timeline_is_paginated(browser, workspace):
    person = PersonFactory(workspace=workspace)
    now = timezone.now()
    for i in range(55):
        EventFactory(person=person, name=f"E{i}", timestamp=now - dt.timedelta(minutes=i))
    url = reverse("people:person", args=[person.pk])
    first = browser.get(url)
    assert len(first.context["events"].object_list) == 50
    second = browser.get(url, {"page": 2})
    assert [e.name for e in second.context["events"].object_list] == [
        f"E{i}" for i in range(50, 55)
    ]
    fragment = browser.get(
        url, {"page": 2}, headers={"HX-Request": "true", "HX-Target": "timeline"}
    ).content.decode()
    assert fragment.startswith('<section class="card" id="timeline"')


def test_person_page_lists_segments_in_and_left(browser, workspace):
    person = PersonFactory(workspace=workspace)
    now = timezone.now()
    SegmentMembershipFactory(
        person=person, segment=SegmentFactory(workspace=workspace, name="Power users")
    )
    SegmentMembershipFactory(
        person=person,
        segment=SegmentFactory(workspace=workspace, name="Trial stallers"),
        entered_at=now - dt.timedelta(days=20),
        exited_at=now - dt.timedelta(days=2),
    )
    response = browser.get(reverse("people:person", args=[person.pk]))
    # The card is the segments app's, added through people.hooks.
    (segments,) = [
        s["data"]
        for s in response.context["sections"]
        if s["template"] == "segments/_person_segments.html"
    ]
    assert [m.segment.name for m in segments["current"]] == ["Power users"]
    assert [m.segment.name for m in segments["past"]] == ["Trial stallers"]
    body = response.content.decode()
    assert '<span class="badge badge-success">in</span>' in body
    assert '<span class="badge">left</span>' in body
    assert "Not in any segment yet" not in body


def test_another_workspaces_person_is_404(browser):
    stranger = PersonFactory(workspace=WorkspaceFactory())
    response = browser.get(reverse("people:person", args=[stranger.pk]))
    assert response.status_code == 404


def test_viewer_can_read_people(client, workspace):
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER).user
    client.force_login(viewer)
    person = PersonFactory(workspace=workspace)
    assert client.get(PEOPLE).status_code == 200
    assert client.get(reverse("people:person", args=[person.pk])).status_code == 200


# --- accounts -----------------------------------------------------------------


def test_accounts_empty_state(browser):
    body = browser.get(ACCOUNTS).content.decode()
    assert "No accounts yet" in body
    assert 'aria-current="page">Accounts</a>' in body
    assert 'aria-current="page">People</a>' in body


def test_accounts_list_member_counts_and_search(browser, workspace):
    big = AccountFactory(workspace=workspace, group_id="acct_big", traits={"name": "Big Co"})
    AccountFactory(workspace=workspace, group_id="acct_empty", traits={})
    AccountFactory(workspace=WorkspaceFactory(), group_id="acct_theirs")
    PersonFactory.create_batch(3, workspace=workspace, account=big)
    response = browser.get(ACCOUNTS)
    counts = {a.group_id: a.member_count for a in response.context["page"].object_list}
    assert counts == {"acct_big": 3, "acct_empty": 0}
    body = response.content.decode()
    assert "Big Co" in body
    assert reverse("people:account", args=[big.pk]) in body
    searched = browser.get(ACCOUNTS, {"q": "BIG"})
    assert [a.group_id for a in searched.context["page"].object_list] == ["acct_big"]
    missing = browser.get(ACCOUNTS, {"q": "theirs"}).content.decode()
    assert "No account matches" in missing


def test_accounts_list_queries_are_bounded(browser, workspace, django_assert_max_num_queries):
    for account in AccountFactory.create_batch(60, workspace=workspace):
        PersonFactory.create_batch(2, workspace=workspace, account=account)
    with django_assert_max_num_queries(7):
        response = browser.get(ACCOUNTS)
    assert len(response.context["page"].object_list) == 50


def test_account_page_shows_traits_and_members(browser, workspace):
    account = AccountFactory(
        workspace=workspace,
        group_id="acct_9",
        traits={"name": "Umbrella", "employees": 250, "industry": "Healthcare"},
    )
    PersonFactory(workspace=workspace, user_id="member_a", account=account)
    PersonFactory(workspace=workspace, user_id="not_member")
    response = browser.get(reverse("people:account", args=[account.pk]))
    assert response.status_code == 200
    assert [p.user_id for p in response.context["page"].object_list] == ["member_a"]
    body = response.content.decode()
    assert "<h1>Umbrella</h1>" in body
    assert '<span class="value value-number">250</span>' in body
    assert "Healthcare" in body
    assert "1 member" in body
    assert "not_member" not in body


def test_another_workspaces_account_is_404(browser):
    stranger = AccountFactory(workspace=WorkspaceFactory())
    assert browser.get(reverse("people:account", args=[stranger.pk])).status_code == 404


# --- CSV upload ---------------------------------------------------------------

IMPORT = reverse("people:import")


def csv_file(text: str, name: str = "upload.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_researchers_see_the_import_form_viewers_do_not(client, workspace):
    researcher = MembershipFactory(workspace=workspace, role=Role.RESEARCHER).user
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER).user
    client.force_login(researcher)
    assert f'action="{IMPORT}"' in client.get(PEOPLE).content.decode()
    client.force_login(viewer)
    assert f'action="{IMPORT}"' not in client.get(PEOPLE).content.decode()


def test_viewer_cannot_upload(client, workspace):
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER).user
    client.force_login(viewer)
    response = client.post(IMPORT, {"kind": "people", "file": csv_file("user_id,plan\nv1,pro\n")})
    assert response.status_code == 403
    assert Person.objects.count() == 0


def test_a_get_of_the_import_url_goes_to_the_people_list(browser):
    response = browser.get(IMPORT)
    assert response.status_code == 302 and response["Location"] == PEOPLE
    assert browser.put(IMPORT).status_code == 405


def test_people_csv_is_imported_with_typed_traits(browser, workspace):
    upload = csv_file("user_id,plan,seats,zip\nc1,pro,5,02139\nc2,free,1,10001\n")
    response = browser.post(IMPORT, {"kind": "people", "file": upload}, follow=True)
    assert response.redirect_chain == [(f"{PEOPLE}#import-result", 302)]
    assert response.status_code == 200
    result = response.context["import_result"]
    assert (result.imported, result.error_count) == (2, 0)
    body = response.content.decode()
    assert "Import finished" in body
    assert "<dt>People imported</dt><dd>2</dd>" in body
    person = Person.objects.get(workspace=workspace, user_id="c1")
    assert person.traits == {"plan": "pro", "seats": 5, "zip": "02139"}
    # The freshly imported people are listed under the result.
    assert sorted(row_ids(response)) == ["c1", "c2"]


def test_events_csv_reports_bad_rows_by_line(browser, workspace):
    upload = csv_file(
        "user_id,event,timestamp,properties,message_id\n"
        'e1,Order Completed,2026-11-01T10:00:00Z,"{""amount"": 49}",m1\n'
        "e1,Order Completed,not-a-time,,m2\n"
        'e2,Logged In,2026-11-02T10:00:00Z,"{oops",m3\n'
        "e2,Logged In,2026-11-02T11:00:00Z,,m4\n"
    )
    response = browser.post(IMPORT, {"kind": "events", "file": upload}, follow=True)
    assert response.status_code == 200
    result = response.context["import_result"]
    assert result.imported == 2
    assert [line for line, _ in result.errors] == [3, 4]
    body = response.content.decode()
    assert "Imported, with 2 rows left out" in body
    assert '<td class="num">3</td>' in body
    assert '<td class="num">4</td>' in body
    assert "properties is not valid JSON." in body
    assert Event.objects.filter(workspace=workspace).count() == 2
    again = browser.post(
        IMPORT, {"kind": "events", "file": csv_file(upload_text(upload))}, follow=True
    )
    assert (again.context["import_result"].imported, again.context["import_result"].duplicates) == (
        0,
        2,
    )
    assert Event.objects.filter(workspace=workspace).count() == 2


def upload_text(upload: SimpleUploadedFile) -> str:
    upload.seek(0)
    return upload.read().decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "people"}, "Choose a CSV file to upload."),
        ({"file": "missing-kind"}, "Choose whether the file holds people or events."),
        ({"kind": "people", "file": "empty"}, "The file is empty"),
    ],
)
def test_invalid_upload_is_400_with_a_message(browser, workspace, data, message):
    if data.get("file") == "missing-kind":
        data = {"file": csv_file("user_id\nx\n")}
    elif data.get("file") == "empty":
        data = {"kind": "people", "file": csv_file("")}
    response = browser.post(IMPORT, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert message in body
    assert '<details class="disclosure" id="import" open>' in body
    assert Person.objects.filter(workspace=workspace).count() == 0


def test_a_bad_header_is_reported_on_line_one(browser, workspace):
    response = browser.post(
        IMPORT, {"kind": "events", "file": csv_file("who,what\na,b\n")}, follow=True
    )
    assert response.status_code == 200
    assert [line for line, _ in response.context["import_result"].errors] == [1]
    assert Event.objects.filter(workspace=workspace).count() == 0


def test_upload_lands_in_the_current_workspace_only(browser, workspace):
    other = WorkspaceFactory()
    browser.post(IMPORT, {"kind": "people", "file": csv_file("user_id\nmine\n")})
    assert list(Person.objects.filter(workspace=workspace).values_list("user_id", flat=True)) == [
        "mine"
    ]
    assert Person.objects.filter(workspace=other).count() == 0


# --- hostile searches -------------------------------------------------------------


@pytest.mark.parametrize("path", [PEOPLE, ACCOUNTS])
@pytest.mark.parametrize(
    "q,words",
    [
        ("u\u0000", "Null characters are not allowed."),
        ('plan="\\u0000"', "contains a NUL character"),
        ('plan="\\ud800"', "contains a lone surrogate"),
    ],
)
def test_a_search_no_text_can_match_is_a_400_that_says_why(browser, workspace, path, q, words):
    PersonFactory(workspace=workspace, user_id="u_1")
    response = browser.get(path, {"q": q})
    if path == ACCOUNTS and q.startswith("plan="):
        # Accounts are searched by group id alone: the escape is just text there.
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert words in response.content.decode()
    assert list(response.context["page"].object_list) == []
