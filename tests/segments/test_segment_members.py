"""Member lists a researcher can act on: who, their traits, why they qualified; sorted,
searched, paginated; and the CSV export (page and API), streamed and formula-safe."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from segments import rfm, services
from segments.models import Segment, SegmentKind, SegmentMembership
from tests.factories import EventFactory, PersonFactory, SegmentFactory, WorkspaceFactory
from workspaces.spreadsheets import spreadsheet_safe

TIMES = "\u00d7"  # the multiplication sign the page writes
PRICING = {"event": "Pricing Page Viewed", "value": {"gte": 3}, "within_days": 7}


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def viewed(person, times: int, name: str = "Pricing Page Viewed", **properties) -> None:
    for i in range(times):
        EventFactory(
            person=person,
            name=name,
            timestamp=timezone.now() - timedelta(days=1, minutes=i),
            properties=properties,
        )


@pytest.fixture
def pricing_segment(workspace) -> Segment:
    """ana (5 views, named), bo (3 views, email only), =cmd (4 views, a hostile name)."""
    ana = PersonFactory(
        workspace=workspace, user_id="u_ana", traits={"name": "Ana Lima", "plan": "pro"}
    )
    bo = PersonFactory(workspace=workspace, user_id="u_bo", traits={"email": "bo@example.com"})
    evil = PersonFactory(
        workspace=workspace, user_id="u_evil", traits={"name": "=HYPERLINK(1)", "plan": "-free"}
    )
    other = PersonFactory(workspace=workspace, user_id="u_two", traits={"name": "Two Views"})
    viewed(ana, 5)
    viewed(bo, 3)
    viewed(evil, 4)
    viewed(other, 2)
    segment = services.segment_create(
        workspace=workspace, name="Pricing", kind="rule", definition=PRICING
    )
    services.segment_compute(segment=segment)
    return segment


def members_page(client, segment, **query) -> str:
    url = reverse("segments:detail", args=[segment.pk])
    response = client.get(url, query)
    assert response.status_code == 200
    return response.content.decode()


def row_order(page: str, *names: str) -> list[str]:
    return sorted(names, key=page.index)


def test_rule_members_show_name_email_traits_and_the_value_that_qualified_them(
    signed_in, pricing_segment
):
    page = members_page(signed_in, pricing_segment)
    assert "Ana Lima" in page and "bo@example.com" in page and "u_ana" in page
    assert f"5 {TIMES} Pricing Page Viewed in the last 7 days" in page
    assert f"3 {TIMES} Pricing Page Viewed in the last 7 days" in page
    assert f"4 {TIMES} Pricing Page Viewed in the last 7 days" in page
    assert "Two Views" not in page  # not a member
    assert '<span class="chip-key">plan</span>' in page


def test_members_sort_by_any_column_both_ways(signed_in, pricing_segment):
    by_user = members_page(signed_in, pricing_segment, sort="user")
    assert row_order(by_user, "u_evil", "u_ana", "u_bo") == ["u_ana", "u_bo", "u_evil"]
    backwards = members_page(signed_in, pricing_segment, sort="-user")
    assert row_order(backwards, "u_evil", "u_ana", "u_bo") == ["u_evil", "u_bo", "u_ana"]
    assert 'aria-sort="descending"' in backwards
    by_name = members_page(signed_in, pricing_segment, sort="name")
    # Names sort first; a person without a name comes last either way.
    assert row_order(by_name, "Ana Lima", "=HYPERLINK(1)", "bo@example.com") == [
        "=HYPERLINK(1)",
        "Ana Lima",
        "bo@example.com",
    ]
    # An unknown column falls back to the default order instead of failing.
    assert members_page(signed_in, pricing_segment, sort="password").count("u_ana") >= 1


def test_members_search_by_user_id_name_or_email(signed_in, pricing_segment):
    page = members_page(signed_in, pricing_segment, q="ANA")
    assert "Ana Lima" in page and "u_bo" not in page
    assert "1 member matching “ANA”" in page
    by_email = members_page(signed_in, pricing_segment, q="example.com")
    assert "bo@example.com" in by_email and "u_ana" not in by_email
    nobody = members_page(signed_in, pricing_segment, q="zzz")
    assert "No member matches “zzz”" in nobody


def test_members_paginate_and_keep_search_and_sort(signed_in, workspace):
    segment = SegmentFactory(workspace=workspace, kind=SegmentKind.STATIC, definition={})
    now = timezone.now()
    people = PersonFactory.create_batch(55, workspace=workspace)
    SegmentMembership.objects.bulk_create(
        SegmentMembership(segment=segment, person=p, entered_at=now) for p in people
    )
    page = members_page(signed_in, segment, sort="user")
    assert "Page 1 of 2" in page and "sort=user&amp;page=2" in page
    second = members_page(signed_in, segment, sort="user", page=2)
    assert "showing 51\u201355" in second


def test_member_page_queries_do_not_grow_with_members(signed_in, workspace, pricing_segment):
    with CaptureQueriesContext(connection) as few:
        members_page(signed_in, pricing_segment)
    for i in range(10):
        person = PersonFactory(workspace=workspace, user_id=f"more{i}", traits={"plan": "x"})
        viewed(person, 3)
    services.segment_compute(segment=pricing_segment)
    with CaptureQueriesContext(connection) as more:
        members_page(signed_in, pricing_segment)
    assert len(more) == len(few)


def test_rfm_members_sort_by_scores(signed_in, workspace):
    for user_id, orders in (("zz_big", 6), ("zz_mid", 3), ("zz_one", 1)):
        person = PersonFactory(workspace=workspace, user_id=user_id)
        viewed(person, orders, name="Order Completed", amount=10 * orders)
    segment = services.segment_create(
        workspace=workspace, name="Buyers", kind="rfm", definition={"event": "Order Completed"}
    )
    services.segment_compute(segment=segment)
    page = members_page(signed_in, segment, sort="-frequency")
    assert row_order(page, "zz_one", "zz_big", "zz_mid") == ["zz_big", "zz_mid", "zz_one"]
    page = members_page(signed_in, segment, sort="frequency")
    assert row_order(page, "zz_one", "zz_big", "zz_mid") == ["zz_one", "zz_mid", "zz_big"]
    assert ">Tier<" in page


def test_cluster_parent_lists_each_members_cluster(signed_in, workspace):
    parent = SegmentFactory(workspace=workspace, kind=SegmentKind.CLUSTER, definition={})
    heavy = SegmentFactory(
        workspace=workspace, kind=SegmentKind.CLUSTER, parent=parent, name="Heavy exporters"
    )
    light = SegmentFactory(
        workspace=workspace, kind=SegmentKind.CLUSTER, parent=parent, name="Light readers"
    )
    now = timezone.now()
    for user_id, child in (("p1", heavy), ("p2", light)):
        person = PersonFactory(workspace=workspace, user_id=user_id)
        SegmentMembership.objects.create(segment=parent, person=person, entered_at=now)
        SegmentMembership.objects.create(segment=child, person=person, entered_at=now)
    page = members_page(signed_in, parent, sort="cluster")
    assert row_order(page, "Light readers", "Heavy exporters") == [
        "Heavy exporters",
        "Light readers",
    ]
    assert ">Cluster<" in page


# --- CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "escaped"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_spreadsheet_safe(cell, escaped):
    assert spreadsheet_safe(cell) == escaped


def read_csv(response) -> list[dict[str, str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_csv_export_streams_members_with_traits_and_qualifying_values_escaped(
    signed_in, pricing_segment
):
    response = signed_in.get(
        reverse("segments:members-csv", args=[pricing_segment.pk]), {"sort": "user"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert [r["user_id"] for r in rows] == ["u_ana", "u_bo", "u_evil"]
    ana, bo, evil = rows
    assert (ana["name"], ana["email"], bo["email"]) == ("Ana Lima", "", "bo@example.com")
    assert ana["qualified_by"] == f"5 {TIMES} Pricing Page Viewed in the last 7 days"
    assert evil["name"] == "'=HYPERLINK(1)"
    assert '"plan": "-free"' in evil["traits"]
    assert ana["entered_at"].endswith("+00:00")


def test_csv_export_keeps_the_search(signed_in, pricing_segment):
    response = signed_in.get(
        reverse("segments:members-csv", args=[pricing_segment.pk]), {"q": "bo@"}
    )
    assert [r["user_id"] for r in read_csv(response)] == ["u_bo"]


def test_csv_export_of_another_workspace_is_404(signed_in):
    other = SegmentFactory(workspace=WorkspaceFactory())
    assert signed_in.get(reverse("segments:members-csv", args=[other.pk])).status_code == 404


def test_rfm_csv_has_scores(signed_in, workspace):
    person = PersonFactory(workspace=workspace, user_id="buyer")
    viewed(person, 2, name="Order Completed", amount=30)
    segment = services.segment_create(
        workspace=workspace, name="Buyers", kind="rfm", definition={"event": "Order Completed"}
    )
    services.segment_compute(segment=segment)
    (row,) = read_csv(signed_in.get(reverse("segments:members-csv", args=[segment.pk])))
    assert (row["frequency"], row["monetary"]) == ("2", "60")
    assert row["tier"] in rfm.TIERS


def test_api_members_as_csv(api, pricing_segment):
    response = api.get(f"/api/v1/segments/{pricing_segment.pk}/members/?format=csv&sort=-user")
    assert response.status_code == 200
    rows = read_csv(response)
    assert [r["user_id"] for r in rows] == ["u_evil", "u_bo", "u_ana"]
    assert rows[0]["name"] == "'=HYPERLINK(1)"


def test_api_members_json_has_name_email_and_searches(api, pricing_segment):
    response = api.get(f"/api/v1/segments/{pricing_segment.pk}/members/?search=ana")
    assert response.status_code == 200
    (member,) = response.json()["results"]
    assert (member["user_id"], member["name"], member["email"], member["cluster"]) == (
        "u_ana",
        "Ana Lima",
        None,
        None,
    )


def test_api_members_refuses_an_unknown_sort_with_the_choices(api, pricing_segment):
    response = api.get(f"/api/v1/segments/{pricing_segment.pk}/members/?sort=tier")
    assert response.status_code == 400
    assert "entered, user, name, email" in response.content.decode()


def test_api_members_csv_of_another_workspace_is_404(api):
    other = SegmentFactory(workspace=WorkspaceFactory())
    assert api.get(f"/api/v1/segments/{other.pk}/members/?format=csv").status_code == 404


def test_an_unsearchable_text_is_a_400_with_the_reason(signed_in, pricing_segment):
    response = signed_in.get(reverse("segments:detail", args=[pricing_segment.pk]), {"q": "a\x00"})
    assert response.status_code == 400
    assert "contains a NUL character" in response.content.decode()
    assert "u_ana" in response.content.decode()  # the unfiltered list is still shown
    csv_response = signed_in.get(
        reverse("segments:members-csv", args=[pricing_segment.pk]), {"q": "a\x00"}
    )
    assert csv_response.status_code == 400
    listing = signed_in.get(reverse("segments:list"), {"q": "\x00"})
    assert listing.status_code == 400 and "contains a NUL character" in listing.content.decode()
