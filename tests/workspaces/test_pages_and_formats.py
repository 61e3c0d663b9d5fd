"""The product's own 404/500 pages with a way back; money in the workspace currency;
relative dates; researcher wording in the segment pages."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone

from config import urls as project_urls
from segments import services as segment_services
from segments.templatetags.segment_ui import error_words, vs_average
from tests.factories import EventFactory, PersonFactory, SegmentFactory
from workspaces.currencies import currency_format
from workspaces.templatetags.motive_ui import money, when
from workspaces.views_errors import server_error


def _boom(request):
    raise RuntimeError("planted failure")


urlpatterns = [*project_urls.urlpatterns, path("boom/", _boom)]
handler400 = project_urls.handler400
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.fixture
def owner_client(workspace, owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def test_404_is_ours_with_the_layout_and_a_way_back(owner_client, workspace):
    response = owner_client.get("/no-such-page/", HTTP_REFERER="http://testserver/segments/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert 'class="app-header"' in html  # the product's layout, navigation included
    assert '<a href="http://testserver/segments/">Back to the page you came from</a>' in html
    assert '<a href="/segments/">Go to your segments</a>' in html
    assert "(you are in Acme)" in html


def test_404_offers_no_way_back_to_another_site(owner_client):
    html = owner_client.get("/nope/", HTTP_REFERER="https://evil.example/x").content.decode()
    assert "evil.example" not in html
    assert "Go to your segments" in html


def test_404_for_a_visitor_not_signed_in(db):
    html = Client().get("/nope/").content.decode()
    assert '<a href="/">Go to the start page</a>' in html


def test_another_workspaces_object_gets_the_same_page(owner_client):
    other = SegmentFactory()
    response = owner_client.get(f"/segments/{other.pk}/")
    assert response.status_code == 404 and "<h1>Page not found</h1>" in response.content.decode()


@override_settings(ROOT_URLCONF=__name__)
def test_500_is_ours_with_a_way_back(owner_client):
    owner_client.raise_request_exception = False
    response = owner_client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert '<a href="">Try again</a>' in html and '<a href="/">Go to the start page</a>' in html
    assert "motive.css" in html


def test_500_page_makes_no_database_query(db, rf, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = server_error(rf.get("/boom/"))
    assert b"Something went wrong on our side" in response.content


@override_settings(ROOT_URLCONF=__name__)
def test_api_errors_stay_json(owner_client):
    response = owner_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1234.5, "USD", "$1,234.50"),
        (1234567, "EUR", "€1,234,567.00"),
        (0.5, "GBP", "£0.50"),
        (1234.5, "JPY", "¥1,235"),
        (1234.5, "CHF", "CHF\u00a01,234.50"),
        (-20, "EUR", "\u2212€20.00"),
    ],
)
def test_money_has_separators_and_the_currency(amount, currency, text):
    assert currency_format(amount, currency) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1500.25"), "€1,500.25"),
        ("99.9", "€99.90"),
        (None, "—"),
        ("n/a", "n/a"),
        (float("nan"), "nan"),
    ],
)
def test_money_filter_takes_what_scores_hold(value, text):
    assert money(value, "EUR") == text


def test_when_is_relative_with_the_exact_time():
    moment = timezone.now() - timedelta(hours=5, minutes=3)
    html = when(moment)
    assert html.startswith(f'<time datetime="{moment.isoformat()}" title="')
    assert f'title="{moment:%Y-%m-%d %H:%M} UTC">5\xa0hours ago</time>' in html
    assert "in 2\xa0days" in when(timezone.now() + timedelta(days=2, hours=1))
    assert when(None) == '<span class="muted">never</span>'


@pytest.mark.parametrize(
    ("z", "words"),
    [
        (0.1, "about average"),
        (0.6, "above average"),
        (-1.4, "well below average"),
        (2.5, "far above average"),
        (None, ""),
    ],
)
def test_cluster_differences_in_words(z, words):
    assert vs_average(z) == words


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("all: must be a non-empty list of conditions", "Add at least one condition."),
        (
            "all[0].any: must be a non-empty list of conditions",
            "In condition 1, the group: this group has no conditions yet; add one, or remove "
            "the group",
        ),
        (
            "all[0]: a condition needs exactly one of all, any, not, event, trait, "
            "account_trait, segment (found none)",
            "In condition 1: this condition is empty; choose an event, a trait, an account "
            "trait or a segment",
        ),
        (
            "all[1]: a condition needs exactly one of all, any, not, event, trait, "
            "account_trait, segment (found event, trait)",
            "In condition 2: this condition mixes an event and a trait; keep one per condition",
        ),
    ],
)
def test_rule_problems_in_researcher_words(message, words):
    assert error_words(message) == words


def test_saving_an_empty_rule_says_what_to_do(owner_client):
    response = owner_client.post("/segments/new/", {"name": "x", "definition_json": '{"all": []}'})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Add at least one condition." in html
    assert "non-empty list" not in html


def test_no_developer_words_on_forms_and_the_playbook_hint_said_once(owner_client):
    pages = [
        owner_client.get(url).content.decode()
        for url in (
            *("/segments/new/", "/segments/new/rfm/", "/segments/new/cluster/"),
            *("/segments/new/static/", "/segments/new/external/"),
        )
    ]
    for html in pages:
        text = re.sub(r"<[^>]+>", " ", html)
        assert "silhouette" not in text.lower() and "\N{GREEK SMALL LETTER SIGMA}" not in text
        assert "taxonomy" not in text
        assert "What the team does for these people" in text


def test_rfm_revenue_and_member_spend_in_the_workspace_currency(owner_client, workspace):
    for n in range(10):
        person = PersonFactory(workspace=workspace, user_id=f"buyer{n}")
        for i in range(n + 1):
            EventFactory(
                person=person,
                name="Order Completed",
                timestamp=timezone.now() - timedelta(days=100 - 10 * n, minutes=i),
                properties={"amount": 100 * (n + 1)},
            )
    workspace.currency = "EUR"
    workspace.save(update_fields=["currency"])
    segment = segment_services.segment_create(
        workspace=workspace,
        name="Best",
        kind="rfm",
        definition={"event": "Order Completed", "include": ["Champions"]},
    )
    segment_services.segment_compute(segment=segment)
    page = owner_client.get(f"/segments/{segment.pk}/").content.decode()
    # 100 * (n + 1)^2 summed over n < 10 = 38,500; buyer9 spent 10 * 1,000.
    assert "€38,500.00 in revenue" in page
    assert "€10,000.00" in page


def test_people_pages_say_dates_relative_with_the_exact_time(owner_client, workspace):
    first = timezone.now() - timedelta(days=40)
    person = PersonFactory(workspace=workspace, user_id="u1", first_seen=first)
    exact = f'title="{first:%Y-%m-%d %H:%M} UTC"'
    for url in ("/people/", f"/people/{person.pk}/"):
        html = owner_client.get(url).content.decode()
        assert f"{exact}>1\xa0month ago</time>" in html, url
