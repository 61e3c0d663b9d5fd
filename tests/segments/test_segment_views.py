"""The segment pages: list, rule builder and preview, wizards, segment page, permissions."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from segments import services
from segments.models import (
    Segment,
    SegmentComputeJob,
    SegmentKind,
    SegmentMembership,
    SegmentSnapshot,
)
from segments.templatetags.segment_ui import describe, error_words, path_words
from tests.factories import (
    EventFactory,
    MembershipFactory,
    PersonFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    WorkspaceFactory,
)
from workspaces.models import Role

LIST = reverse("segments:list")
NEW = reverse("segments:new")
PREVIEW = reverse("segments:preview")

STALLED = {
    "all": [
        {"event": "Pricing Page Viewed", "value": {"gte": 3}, "within_days": 7},
        {"not": {"event": "Teammate Invited", "within_days": 30}},
    ]
}


@pytest.fixture
def browser(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def viewer_client(client, workspace):
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER).user
    client.force_login(viewer)
    return client


def events(person, name: str, count: int, days_ago: float = 1, **properties) -> None:
    for _ in range(count):
        EventFactory(
            person=person,
            name=name,
            timestamp=timezone.now() - timedelta(days=days_ago),
            properties=properties,
        )


@pytest.fixture
def stalled_people(workspace):
    """u_a and u_b viewed pricing 3+ times this week; u_b invited a teammate; u_c twice."""
    a, b, c = (PersonFactory(workspace=workspace, user_id=u) for u in ("u_a", "u_b", "u_c"))
    events(a, "Pricing Page Viewed", 3)
    events(b, "Pricing Page Viewed", 4)
    events(b, "Teammate Invited", 1, days_ago=10)
    events(c, "Pricing Page Viewed", 2)
    return a, b, c


# --- list ------------------------------------------------------------------------------


def test_empty_list_offers_the_builder_and_says_to_send_events_first(browser):
    response = browser.get(LIST)
    body = response.content.decode()
    assert response.status_code == 200
    assert "No segments yet" in body
    assert f'href="{NEW}"' in body
    assert "has no people yet" in body and reverse("settings") in body


def test_empty_list_with_people_does_not_ask_for_events(browser, workspace):
    PersonFactory(workspace=workspace)
    body = browser.get(LIST).content.decode()
    assert "No segments yet" in body and "has no people yet" not in body


def test_list_shows_sizes_sparklines_children_and_warnings(browser, workspace):
    now = timezone.now()
    parent = SegmentFactory(
        workspace=workspace, name="Usage", kind=SegmentKind.CLUSTER, playbook="Tailor onboarding"
    )
    child = SegmentFactory(
        workspace=workspace, name="Heavy exporters", kind=SegmentKind.CLUSTER, parent=parent
    )
    bare = SegmentFactory(workspace=workspace, name="Bare", playbook="", size=1234)
    Segment.objects.filter(pk=bare.pk).update(computed_at=now, share_of_people=0.125)
    for i, size in enumerate((10, 12, 15)):
        SegmentSnapshot.objects.create(
            segment=bare, computed_at=now - timedelta(hours=3 - i), size=size
        )

    response = browser.get(LIST)
    body = response.content.decode()

    assert [(s.name, nested) for s, nested in response.context["rows"]] == [
        ("Bare", False),
        ("Usage", False),
        ("Heavy exporters", True),
    ]
    codes = {w["code"] for w in response.context["warnings"]}
    assert codes == {"no_playbook"}
    assert "“Bare” has no playbook" in body
    assert body.count('<svg class="sparkline"') == 1
    assert "<title>Bare: 10 to 15 over the last 3 computes (low 10, high 15)</title>" in body
    assert "12.5%" in body and "n=1,234" in body
    assert child.name in body


def test_list_query_count_does_not_grow_with_segments(
    browser, workspace, django_assert_max_num_queries
):
    now = timezone.now()
    for n in range(12):
        segment = SegmentFactory(workspace=workspace, name=f"S{n}")
        SegmentSnapshot.objects.bulk_create(
            SegmentSnapshot(segment=segment, computed_at=now - timedelta(hours=h), size=h)
            for h in range(40)
        )
    with django_assert_max_num_queries(10):
        response = browser.get(LIST)
    assert response.status_code == 200
    shown = response.context["rows"][0][0].recent_snapshots
    assert len(shown) == 30 and shown[0].computed_at < shown[-1].computed_at
    assert any(w["code"] == "too_many_segments" for w in response.context["warnings"])


# --- builder and preview ---------------------------------------------------------------


def test_builder_offers_the_workspace_vocabulary_and_templates(browser, workspace):
    person = PersonFactory(workspace=workspace, traits={"plan": "pro"})
    events(person, "Order Completed", 1, amount=10)
    response = browser.get(NEW + "?template=intent")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<option value="Order Completed">' in body
    assert '<option value="plan">' in body and '<option value="amount">' in body
    assert body.count("?template=") == 8
    initial = json.loads(response.context["form"].initial["definition_json"])
    assert initial["all"][1] == {"account_trait": "employees", "op": "gte", "value": 50}


def test_builder_post_stores_the_exact_definition_and_queues_its_compute(
    browser, workspace, stalled_people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = browser.post(
            NEW,
            {
                "name": "Stalled evaluators",
                "playbook": "Offer a demo call",
                "definition_json": json.dumps(STALLED),
            },
        )
    segment = Segment.objects.get(workspace=workspace)
    # Saved at once; the compute is a job a worker runs, like the Recompute button's.
    assert segment.size == 0 and segment.computed_at is None
    job = SegmentComputeJob.objects.get(segment=segment)
    assert job.status == "queued" and len(queued) == 1
    queued[0]()  # the worker (eager in tests)
    segment.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("segments:detail", args=[segment.pk])
    assert segment.definition == STALLED
    assert (segment.kind, segment.playbook, segment.size) == ("rule", "Offer a demo call", 1)
    members = SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True)
    assert [m.person.user_id for m in members] == ["u_a"]
    assert SegmentSnapshot.objects.filter(segment=segment).count() == 1


@pytest.mark.parametrize(
    ("definition", "words"),
    [
        (
            {"all": [{"event": "X"}, {"event": "Y", "value": {"gt=": 3}}]},
            "In condition 2, the value: unknown comparator",
        ),
        (
            {"all": [{"event": "X", "where": [{"property": "$hour", "op": "eq", "value": 24}]}]},
            "In condition 1, filter 1, the value:",
        ),
        ({"all": [{"segment": 999999}]}, "In condition 1, the segment:"),
    ],
)
def test_invalid_definition_rerenders_with_the_path_in_words(browser, workspace, definition, words):
    response = browser.post(
        NEW, {"name": "Broken", "playbook": "", "definition_json": json.dumps(definition)}
    )
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Segment.objects.filter(workspace=workspace).exists()


def test_invalid_json_rerenders_and_creates_nothing(browser, workspace):
    response = browser.post(NEW, {"name": "Broken", "definition_json": '{"all": ['})
    assert response.status_code == 400
    assert "The JSON is not valid (line 1" in response.content.decode()
    assert not Segment.objects.exists()


def test_preview_returns_size_sample_and_sentence(browser, stalled_people):
    response = browser.post(PREVIEW, {"definition_json": json.dumps(STALLED)})
    assert response.status_code == 200
    assert response.context["size"] == 1
    assert response.context["sample"] == ["u_a"]
    body = response.content.decode()
    assert 'data-testid="preview-size">1<' in body
    assert "33.3% of 3 people" in body
    assert (
        "3 or more Pricing Page Viewed in the last 7 days AND "
        "NOT 1 or more Teammate Invited in the last 30 days" in body
    )


def test_preview_explains_an_invalid_definition(browser, workspace):
    definition = {"all": [{"event": "X"}, {"trait": "plan", "op": "gt", "value": "a"}]}
    response = browser.post(PREVIEW, {"definition_json": json.dumps(definition)})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-error-path="all[1].value"' in body
    assert "In condition 2, the value:" in body


def test_edit_changes_the_definition_and_recomputes(
    browser, workspace, stalled_people, django_capture_on_commit_callbacks
):
    segment = services.segment_create(
        workspace=workspace, name="Viewers", kind="rule", definition={"event": "Nope"}
    )
    url = reverse("segments:edit", args=[segment.pk])
    assert browser.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            url, {"name": "Viewers", "playbook": "Call", "definition_json": json.dumps(STALLED)}
        )
    segment.refresh_from_db()
    assert response.status_code == 302
    assert (segment.definition, segment.size, segment.playbook) == (STALLED, 1, "Call")


# --- wizards -------------------------------------------------------------------------------


@pytest.fixture
def buyers(workspace):
    people = []
    for n in range(10):
        person = PersonFactory(workspace=workspace, user_id=f"buyer_{n}")
        events(person, "Order Completed", n + 1, days_ago=30 - 2 * n, amount=10 * (n + 1))
        people.append(person)
    return people


def test_rfm_preview_counts_every_purchaser_in_the_grid(browser, buyers):
    response = browser.post(
        reverse("segments:preview-rfm"),
        {"event": "Order Completed", "monetary_property": "amount", "window_days": 365, "bins": 5},
    )
    assert response.status_code == 200
    assert response.context["grid_total"] == 10
    assert response.context["grid_included"] == 10
    cells = [c for row in response.context["grid_rows"] for c in row["cells"]]
    assert len(cells) == 25 and sum(c["count"] for c in cells) == 10


def test_rfm_wizard_creates_scores_and_members_table(
    browser, workspace, buyers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            reverse("segments:new-rfm"),
            {
                "name": "Best buyers",
                "event": "Order Completed",
                "monetary_property": "amount",
                "window_days": 365,
                "bins": 5,
                "include": ["Champions"],
            },
        )
    segment = Segment.objects.get(workspace=workspace, kind=SegmentKind.RFM)
    assert response.status_code == 302
    assert segment.definition["include"] == ["Champions"]
    assert segment.size >= 1
    scores = SegmentMembership.objects.filter(segment=segment).first().scores
    assert scores["tier"] == "Champions"
    page = browser.get(reverse("segments:detail", args=[segment.pk])).content.decode()
    assert ">Tier<" in page and "Champions" in page
    assert reverse("people:person", args=[buyers[-1].pk]) in page


def test_rfm_wizard_without_an_event_shows_the_problem(browser, workspace):
    response = browser.post(
        reverse("segments:new-rfm"),
        {"name": "X", "event": "", "monetary_property": "amount", "window_days": 365, "bins": 5},
    )
    assert response.status_code == 400
    assert "Name the event that records a purchase." in response.content.decode()
    assert not Segment.objects.exists()


def cluster_post(**extra):
    data = {
        "name": "Usage clusters",
        "k": "2",
        "seed": "0",
        "playbook": "",
        "features-TOTAL_FORMS": "4",
        "features-INITIAL_FORMS": "0",
        "features-MIN_NUM_FORMS": "0",
        "features-MAX_NUM_FORMS": "12",
        "features-0-event": "Report Exported",
        "features-0-agg": "count",
        "features-0-within_days": "30",
        "features-1-event": "Logged In",
        "features-1-agg": "count",
        "features-1-within_days": "30",
    }
    for n in (2, 3):
        data |= {f"features-{n}-event": "", f"features-{n}-agg": "count"}
    return data | extra


def test_cluster_wizard_computes_children_with_profiles_and_renames(
    browser, workspace, django_capture_on_commit_callbacks
):
    for n in range(12):
        person = PersonFactory(workspace=workspace, user_id=f"p{n}")
        if n < 6:
            events(person, "Report Exported", 20)
            events(person, "Logged In", 1)
        else:
            events(person, "Logged In", 15)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(reverse("segments:new-cluster"), cluster_post())
    parent = Segment.objects.get(workspace=workspace, parent=None)
    assert response.status_code == 302
    assert parent.definition["k"] == 2 and len(parent.definition["features"]) == 2
    children = list(parent.children.all())
    assert sorted(c.size for c in children) == [6, 6]

    page = browser.get(reverse("segments:detail", args=[parent.pk])).content.decode()
    assert page.count('<svg class="zbar"') == 4
    assert "above average</title>" in page

    child = children[0]
    browser.post(reverse("segments:rename", args=[child.pk]), {f"c{child.pk}-name": "Exporters"})
    child.refresh_from_db()
    assert child.name == "Exporters"


def test_cluster_wizard_without_features_creates_nothing(browser, workspace):
    data = cluster_post()
    data["features-0-event"] = data["features-1-event"] = ""
    response = browser.post(reverse("segments:new-cluster"), data)
    assert response.status_code == 400
    assert "definition.features" in response.context["form"].errors["k"][0]
    assert not Segment.objects.exists()


def test_static_list_from_pasted_ids(browser, workspace):
    PersonFactory(workspace=workspace, user_id="u_1")
    PersonFactory(workspace=workspace, user_id="u_2")
    response = browser.post(
        reverse("segments:new-static"),
        {"name": "Beta cohort", "user_ids": "u_1\nu_2, u_unknown\n", "playbook": ""},
        follow=True,
    )
    segment = Segment.objects.get(workspace=workspace)
    assert segment.definition == {"user_ids": ["u_1", "u_2", "u_unknown"]}
    assert segment.size == 2
    assert "Created with 2 of 3 user ids. 1 did not match anyone" in response.content.decode()


def test_static_list_from_an_uploaded_file(browser, workspace):
    from django.core.files.uploadedfile import SimpleUploadedFile

    PersonFactory(workspace=workspace, user_id="u_9")
    upload = SimpleUploadedFile("ids.csv", b"user_id,name\nu_9,Ann\n", content_type="text/csv")
    browser.post(reverse("segments:new-static"), {"name": "Upload", "file": upload})
    segment = Segment.objects.get(workspace=workspace)
    assert segment.definition == {"user_ids": ["u_9"]} and segment.size == 1


def test_external_segment_shows_its_secret_once(browser, workspace):
    response = browser.post(
        reverse("segments:new-external"), {"name": "HubSpot MQLs", "source": "HubSpot"}
    )
    segment = Segment.objects.get(workspace=workspace)
    assert response.status_code == 302
    first = browser.get(response["Location"]).content.decode()
    assert segment.webhook_secret in first
    assert f"/api/v1/segments/{segment.pk}/webhook" in first
    again = browser.get(response["Location"]).content.decode()
    assert segment.webhook_secret not in again


# --- segment page ---------------------------------------------------------------------------


def test_recompute_is_queued_then_shows_entered_and_exited(
    browser, workspace, stalled_people, django_capture_on_commit_callbacks
):
    segment = services.segment_create(
        workspace=workspace, name="Stalled", kind="rule", definition=STALLED
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = browser.post(reverse("segments:compute", args=[segment.pk]), follow=True)
    page = response.content.decode()
    assert "Recompute queued" in page and 'hx-trigger="every 2s"' in page
    # Asking again while it is queued joins the same job.
    with django_capture_on_commit_callbacks(execute=False) as more:
        browser.post(reverse("segments:compute", args=[segment.pk]))
    assert len(callbacks) == 1 and more == []
    assert SegmentComputeJob.objects.filter(segment=segment).count() == 1
    for callback in callbacks:
        callback()  # the worker runs the job (eagerly in tests)
    status = browser.get(
        reverse("segments:compute-status", args=[segment.pk]), HTTP_HX_REQUEST="true"
    )
    assert "1 members, 1 entered, 0 exited." in status.content.decode()
    assert status["HX-Refresh"] == "true"

    events(stalled_people[2], "Pricing Page Viewed", 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(reverse("segments:compute", args=[segment.pk]), follow=True)
    assert (
        "2 members, 1 entered, 0 exited."
        in browser.get(response.request["PATH_INFO"]).content.decode()
    )


def share_cell(body: str, segment: Segment) -> str:
    """The share-of-revenue cell of `segment`'s row in the list, as text."""
    row = body.split(f'data-segment="{segment.pk}"', 1)[1]
    cell = row.split('data-testid="share-of-revenue">', 1)[1].split("</td>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", "", cell).split())


def test_a_share_of_revenue_being_recorded_says_so_on_the_list_and_page(browser, workspace):
    now = timezone.now()
    first, again, done = (
        SegmentFactory(workspace=workspace, name=name) for name in ("First", "Again", "Done")
    )
    Segment.objects.filter(pk=first.pk).update(computed_at=now, share_of_revenue_pending=True)
    Segment.objects.filter(pk=again.pk).update(
        computed_at=now,
        share_of_revenue=0.25,
        share_of_revenue_at=now - timedelta(hours=2),
        share_of_revenue_pending=True,
    )
    Segment.objects.filter(pk=done.pk).update(
        computed_at=now, share_of_revenue=0.5, share_of_revenue_at=now
    )

    body = browser.get(LIST).content.decode()

    assert share_cell(body, first) == "computing…"
    assert share_cell(body, again) == "25.0% updating…"
    assert share_cell(body, done) == "50.0%"
    page = browser.get(reverse("segments:detail", args=[again.pk])).content.decode()
    assert '25.0%</span> <span class="muted" data-testid="share-of-revenue-pending">as of' in page
    assert "2\xa0hours ago</time>, updating…" in page


def test_the_page_reloads_when_the_job_is_done_then_when_its_share_of_revenue_is_in(
    browser, workspace
):
    segment = SegmentFactory(workspace=workspace, name="S")
    Segment.objects.filter(pk=segment.pk).update(
        computed_at=timezone.now(), share_of_revenue_pending=True
    )
    SegmentComputeJob.objects.create(
        segment=segment, status="done", finished_at=timezone.now(), size=0, entered=0, exited=0
    )
    status = reverse("segments:compute-status", args=[segment.pk])

    # The page that followed the running job reloads for the new size and members...
    assert browser.get(status, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"
    page = browser.get(reverse("segments:detail", args=[segment.pk])).content.decode()
    assert f'hx-get="{status}?share=pending"' in page
    assert "Recording the share of revenue…" in page
    # ...then follows the share of revenue, and reloads once it is recorded.
    waiting = browser.get(status + "?share=pending", HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in waiting and "?share=pending" in waiting.content.decode()
    Segment.objects.filter(pk=segment.pk).update(
        share_of_revenue=0.1, share_of_revenue_at=timezone.now(), share_of_revenue_pending=False
    )
    recorded = browser.get(status + "?share=pending", HTTP_HX_REQUEST="true")
    assert recorded["HX-Refresh"] == "true"
    assert "hx-get" not in recorded.content.decode()


def test_a_failing_compute_is_reported(browser, workspace, django_capture_on_commit_callbacks):
    segment = services.segment_create(
        workspace=workspace,
        name="Too few",
        kind="cluster",
        definition={"features": [{"event": "Nothing"}], "k": 3},
    )
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(reverse("segments:compute", args=[segment.pk]))
    page = browser.get(reverse("segments:detail", args=[segment.pk])).content.decode()
    assert "Recompute failed: Cannot cluster yet: 0 people have events" in page
    job = SegmentComputeJob.objects.get(segment=segment)
    assert job.status == "failed" and job.finished_at is not None


def test_segment_page_reads_the_rule_and_lists_members(browser, workspace, stalled_people):
    segment = services.segment_create(
        workspace=workspace, name="Stalled", kind="rule", definition=STALLED, playbook=""
    )
    services.segment_compute(segment=segment)
    body = browser.get(reverse("segments:detail", args=[segment.pk])).content.decode()
    assert (
        "3 or more Pricing Page Viewed in the last 7 days AND NOT "
        "1 or more Teammate Invited in the last 30 days"
    ) in body
    assert reverse("people:person", args=[stalled_people[0].pk]) in body
    assert "No playbook yet" in body
    browser.post(reverse("segments:playbook", args=[segment.pk]), {"playbook": "Book a demo"})
    segment.refresh_from_db()
    assert segment.playbook == "Book a demo"


def test_deactivate_and_activate(browser, workspace):
    segment = SegmentFactory(workspace=workspace)
    browser.post(reverse("segments:active", args=[segment.pk]))
    segment.refresh_from_db()
    assert segment.is_active is False


# --- permissions and tenancy ---------------------------------------------------------------


def test_viewer_cannot_post_and_nothing_changes(viewer_client, workspace):
    segment = SegmentFactory(workspace=workspace, playbook="Keep")
    posts = [
        (NEW, {"name": "X", "definition_json": json.dumps({"event": "X"})}),
        (reverse("segments:new-static"), {"name": "X", "user_ids": "u"}),
        (reverse("segments:compute", args=[segment.pk]), {}),
        (reverse("segments:playbook", args=[segment.pk]), {"playbook": "Changed"}),
        (reverse("segments:active", args=[segment.pk]), {}),
    ]
    for url, data in posts:
        assert viewer_client.post(url, data).status_code == 403
    segment.refresh_from_db()
    assert (segment.playbook, segment.is_active, segment.computed_at) == ("Keep", True, None)
    assert Segment.objects.count() == 1
    page = viewer_client.get(reverse("segments:detail", args=[segment.pk])).content.decode()
    assert reverse("segments:compute", args=[segment.pk]) not in page


def test_other_workspaces_segment_is_404(browser):
    other = SegmentMembershipFactory(segment=SegmentFactory(workspace=WorkspaceFactory())).segment
    for name in ("detail", "edit"):
        assert browser.get(reverse(f"segments:{name}", args=[other.pk])).status_code == 404
    for name in ("compute", "playbook", "rename", "active"):
        assert browser.post(reverse(f"segments:{name}", args=[other.pk])).status_code == 404
    body = browser.post(
        PREVIEW, {"definition_json": json.dumps({"segment": other.pk})}
    ).content.decode()
    assert "In the segment:" in body


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- sentences and paths ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "text"),
    [
        ({"event": "A", "value": {"eq": 0}, "within_days": 30}, "no A in the last 30 days"),
        (
            {"event": "O", "agg": "avg", "property": "amount", "value": {"between": [1, 5]}},
            "average amount of O is between 1 and 5",
        ),
        (
            {"any": [{"trait": "plan", "op": "in", "value": ["a", "b"]}, {"segment": 4}]},
            "plan is one of “a”, “b” OR in segment “Four”",
        ),
        (
            {"all": [{"trait": "x", "op": "is_set"}, {"any": [{"event": "A"}, {"event": "B"}]}]},
            "x is set AND (1 or more A OR 1 or more B)",
        ),
        (
            {
                "event": "O",
                "agg": "share",
                "value": {"gt": 0.5},
                "where": [{"property": "$hour", "op": "lt", "value": 12}],
                "by": "account",
            },
            "share of O is more than 0.5 where hour of day is less than 12 "
            "(anyone in their account)",
        ),
    ],
)
def test_rules_read_as_sentences(node, text):
    assert describe(node, {4: "Four"}) == text


def test_paths_in_words():
    assert path_words("any[0].not.where[2].op") == "condition 1, NOT, filter 3, the operator"
    assert error_words("definition: a condition must be a JSON object") == (
        "A condition must be a JSON object"
    )


# --- names never received -------------------------------------------------------------------


def test_preview_says_an_event_was_never_received_and_offers_the_closest(
    browser, workspace, stalled_people
):
    events(stalled_people[0], "Session Start", 1)
    definition = {
        "all": [
            {"event": "Session Started"},
            {"event": "Pricing Page Viewed"},
            {"trait": "plann", "op": "eq", "value": "pro"},
        ]
    }
    stalled_people[0].traits = {"plan": "pro"}
    stalled_people[0].save()
    page = browser.post(PREVIEW, {"definition_json": json.dumps(definition)}).content.decode()
    assert "No “Session Started” events in this workspace — did you mean" in page
    assert 'data-replace-name="Session Started" data-with="Session Start"' in page
    assert "No people with the trait “plann” in this workspace" in page
    assert 'data-with="plan"' in page
    assert "Pricing Page Viewed” events" not in page  # received: no hint


def test_api_preview_lists_unknown_names(api, workspace, stalled_people):
    response = api.post(
        "/api/v1/segments/preview",
        {"kind": "rule", "definition": {"event": "Pricing Page Viewd"}},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["unknown"] == [
        {"kind": "event", "name": "Pricing Page Viewd", "closest": ["Pricing Page Viewed"]}
    ]
    known = api.post(
        "/api/v1/segments/preview",
        {"kind": "rule", "definition": {"event": "Pricing Page Viewed"}},
        format="json",
    )
    assert known.json()["unknown"] == []
