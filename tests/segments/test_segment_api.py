"""The segments REST API: CRUD, preview, compute, members, push, overlap, signed webhook."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from people.models import Event, Person
from segments.inbound import sign
from segments.models import Segment, SegmentMembership
from tests.conftest import bearer_client
from tests.factories import MembershipFactory, make_api_key
from workspaces.models import KeyScope, Role

AS_OF = "2026-11-28T00:00:00Z"
T = datetime(2026, 11, 28, tzinfo=UTC)
RULE = {"event": "Pricing Page Viewed", "value": {"gte": 3}, "within_days": 7}


@pytest.fixture
def data(workspace):
    people = {u: Person.objects.create(workspace=workspace, user_id=u) for u in ("a", "b", "c")}
    visits = {"a": 3, "b": 1, "c": 4}
    Event.objects.bulk_create(
        Event(
            workspace=workspace,
            person=people[u],
            name="Pricing Page Viewed",
            timestamp=T - timedelta(days=1, minutes=i),
            message_id=f"{u}{i}",
        )
        for u, n in visits.items()
        for i in range(n)
    )
    return people


def create(api, **body):
    body = {
        "name": "Pricing stallers",
        "kind": "rule",
        "definition": RULE,
        "playbook": "Offer a call",
    } | body
    return api.post("/api/v1/segments/", body, format="json")


def test_create_compute_and_list_members(api, data):
    response = create(api)
    assert response.status_code == 201, response.json()
    segment = response.json()
    assert segment["size"] == 0 and segment["webhook_secret"] is None
    assert set(segment) >= {
        "id",
        "name",
        "kind",
        "definition",
        "playbook",
        "size",
        "share_of_people",
        "computed_at",
    }
    computed = api.post(
        f"/api/v1/segments/{segment['id']}/compute", {"as_of": AS_OF}, format="json"
    )
    assert computed.json() == {"size": 2, "entered": 2, "exited": 0}
    members = api.get(f"/api/v1/segments/{segment['id']}/members/").json()
    assert members["count"] == 2
    assert {m["user_id"] for m in members["results"]} == {"a", "c"}
    detail = api.get(f"/api/v1/segments/{segment['id']}/").json()
    assert detail["size"] == 2 and detail["share_of_people"] == pytest.approx(2 / 3)


def test_the_share_of_revenue_reads_pending_until_its_follow_up_records_it(
    api, data, django_capture_on_commit_callbacks
):
    Event.objects.create(
        workspace=data["a"].workspace,
        person=data["a"],
        name="Order Completed",
        properties={"amount": 30},
        timestamp=T - timedelta(days=3),
        message_id="order-a",
    )
    Event.objects.create(
        workspace=data["b"].workspace,
        person=data["b"],
        name="Order Completed",
        properties={"amount": 90},
        timestamp=T - timedelta(days=3),
        message_id="order-b",
    )
    url = f"/api/v1/segments/{create(api).json()['id']}/"
    with django_capture_on_commit_callbacks() as queued:
        api.post(url + "compute", {"as_of": AS_OF}, format="json")
    pending = api.get(url).json()
    assert pending["size"] == 2
    assert (
        pending["share_of_revenue"],
        pending["share_of_revenue_at"],
        pending["share_of_revenue_pending"],
    ) == (None, None, True)

    for callback in queued:
        callback()  # the follow-up task (eager in tests)

    recorded = api.get(url).json()
    assert recorded["share_of_revenue"] == pytest.approx(30 / 120)
    assert (recorded["share_of_revenue_at"], recorded["share_of_revenue_pending"]) == (
        AS_OF,
        False,
    )


def test_preview_saves_nothing(api, data):
    response = api.post(
        "/api/v1/segments/preview",
        {"kind": "rule", "definition": RULE, "as_of": AS_OF},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {"size": 2, "sample": ["a", "c"], "unknown": []}
    assert not Segment.objects.exists()


def test_preview_of_static_and_rfm(api, data):
    static = api.post(
        "/api/v1/segments/preview",
        {"kind": "static", "definition": {"user_ids": ["a", "zz"]}},
        format="json",
    )
    assert static.json() == {"size": 1, "sample": ["a"], "unknown": []}
    rfm = api.post(
        "/api/v1/segments/preview",
        {"kind": "rfm", "definition": {"event": "Pricing Page Viewed"}, "as_of": AS_OF},
        format="json",
    )
    assert rfm.status_code == 200 and rfm.json()["size"] == 3


@pytest.mark.parametrize(
    "body,message",
    [
        (
            {"definition": {"all": [{"event": "X", "value": {"gt=": 1}}]}},
            'all[0].value: unknown comparator "gt="',
        ),
        ({"definition": {"event": "X", "colour": 1}}, "colour"),
        ({"kind": "magic"}, "kind"),
        ({"name": ""}, "name"),
        ({"definition": {"segment": 999999}}, "999999"),
    ],
)
def test_bad_definitions_are_400_with_a_path(api, data, body, message):
    response = create(api, **body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Segment.objects.exists()


def test_bad_as_of_is_400(api, data):
    response = api.post(
        "/api/v1/segments/preview", {"definition": RULE, "as_of": "last tuesday"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("as_of:")


def test_update_and_delete(api, data):
    segment = create(api).json()
    response = api.patch(
        f"/api/v1/segments/{segment['id']}/",
        {"playbook": "Send the ROI calculator", "is_active": False},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["playbook"], response.json()["is_active"]) == (
        "Send the ROI calculator",
        False,
    )
    bad = api.patch(
        f"/api/v1/segments/{segment['id']}/", {"definition": {"event": 5}}, format="json"
    )
    assert bad.status_code == 400
    assert api.delete(f"/api/v1/segments/{segment['id']}/").status_code == 204
    assert not Segment.objects.exists()


def test_external_push_with_and_without_slash(api, data):
    created = create(api, kind="external", definition={"source": "crm"}).json()
    assert created["webhook_secret"].startswith("whsec_")
    url = f"/api/v1/segments/{created['id']}/members"
    assert api.post(url, {"add": ["a", "lead-1"]}, format="json").json() == {
        "size": 2,
        "entered": 2,
        "exited": 0,
    }
    assert api.post(url + "/", {"remove": ["a"]}, format="json").json() == {
        "size": 1,
        "entered": 0,
        "exited": 1,
    }
    bad = api.post(url, {"add": "a"}, format="json")
    assert bad.status_code == 400


def test_viewer_reads_but_cannot_compute(workspace, data):
    segment = Segment.objects.create(workspace=workspace, name="S", kind="rule", definition=RULE)
    client = APIClient()
    client.force_authenticate(MembershipFactory(workspace=workspace, role=Role.VIEWER).user)
    assert client.get("/api/v1/segments/").status_code == 200
    assert (
        client.post(f"/api/v1/segments/{segment.pk}/compute", {}, format="json").status_code == 403
    )
    assert not SegmentMembership.objects.exists()


def test_ingest_key_cannot_touch_segments(workspace):
    _, raw = make_api_key(workspace, KeyScope.INGEST)
    assert bearer_client(raw).get("/api/v1/segments/").status_code == 403


def test_overlap_and_warnings(api, data):
    a = create(api, name="A", kind="static", definition={"user_ids": ["a", "b", "c"]}).json()
    b = create(
        api, name="B", kind="static", definition={"user_ids": ["a", "b", "c"]}, playbook=""
    ).json()
    c = create(
        api, name="C", kind="static", definition={"user_ids": ["c"]}, playbook="offer  a CALL"
    ).json()
    body = api.get("/api/v1/segments/overlap/").json()
    pairs = {(p["a"], p["b"]): p for p in body["pairs"]}
    assert pairs[(a["id"], b["id"])]["jaccard"] == 1.0
    assert pairs[(a["id"], c["id"])] == {
        "a": a["id"],
        "b": c["id"],
        "intersection": 1,
        "union": 3,
        "jaccard": pytest.approx(0.3333),
    }
    codes = {(w["code"], tuple(w["segments"])) for w in body["warnings"]}
    assert ("high_overlap", (a["id"], b["id"])) in codes
    assert ("no_playbook", (b["id"],)) in codes
    assert ("same_playbook", (a["id"], c["id"])) in codes


def test_too_many_active_segments_warns(api, data):
    for i in range(8):
        create(api, name=f"S{i}", playbook=f"play {i}")
    codes = [w["code"] for w in api.get("/api/v1/segments/overlap/").json()["warnings"]]
    assert codes == ["too_many_segments"]


def test_segment_list_has_no_n_plus_one(api, workspace, django_assert_max_num_queries):
    for i in range(15):
        Segment.objects.create(workspace=workspace, name=f"S{i}", kind="rule", definition=RULE)
    with django_assert_max_num_queries(4):
        assert api.get("/api/v1/segments/").json()["count"] == 15


# --- the signed inbound webhook ---


def post_signed(segment_id: int, secret: str, payload, *, timestamp=None, query=""):
    body = json.dumps(payload).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    return APIClient().post(
        f"/api/v1/segments/{segment_id}/webhook{query}",
        body,
        content_type="application/json",
        HTTP_X_MOTIVE_TIMESTAMP=str(timestamp),
        HTTP_X_MOTIVE_SIGNATURE=sign(secret=secret, timestamp=timestamp, body=body),
    )


def test_signed_webhook_pushes_members_once(api, data):
    created = create(api, kind="external", definition={}).json()
    secret = created["webhook_secret"]
    timestamp = int(time.time())
    first = post_signed(created["id"], secret, {"add": ["a", "b"]}, timestamp=timestamp)
    assert first.status_code == 200 and first.json()["size"] == 2
    replay = post_signed(created["id"], secret, {"add": ["a", "b"]}, timestamp=timestamp)
    assert replay.status_code == 409
    assert replay.json()["detail"]["code"] == "replay"


def test_hubspot_contact_payload_with_action(api, data):
    created = create(api, kind="external", definition={"source": "hubspot"}).json()
    contact = {"objectId": 51, "properties": {"user_id": {"value": "c"}}}
    response = post_signed(created["id"], created["webhook_secret"], contact, query="?action=add")
    assert response.json() == {"size": 1, "entered": 1, "exited": 0}
    response = post_signed(
        created["id"], created["webhook_secret"], contact, query="?action=remove"
    )
    assert response.json() == {"size": 0, "entered": 0, "exited": 1}


@pytest.mark.parametrize("case", ["stale", "wrong_secret", "unsigned", "rule_segment", "unknown"])
def test_bad_webhook_deliveries_change_nothing(api, data, case):
    created = create(api, kind="external", definition={}).json()
    segment_id, secret, timestamp = created["id"], created["webhook_secret"], None
    if case == "stale":
        timestamp = int(time.time()) - 301
    elif case == "wrong_secret":
        secret = "whsec_guess"
    elif case == "rule_segment":
        segment_id = create(api, name="R").json()["id"]
    elif case == "unknown":
        segment_id = 10**9
    if case == "unsigned":
        response = APIClient().post(
            f"/api/v1/segments/{segment_id}/webhook", {"add": ["a"]}, format="json"
        )
    else:
        response = post_signed(segment_id, secret, {"add": ["a"]}, timestamp=timestamp)
    expected = 404 if case in ("rule_segment", "unknown") else 401
    assert response.status_code == expected
    assert response.json()["error"]
    assert not SegmentMembership.objects.exists()


def test_rotating_the_secret_invalidates_the_old_one(api, data):
    created = create(api, kind="external", definition={}).json()
    rotated = api.post(f"/api/v1/segments/{created['id']}/webhook-secret", {}, format="json").json()
    assert rotated["webhook_secret"] != created["webhook_secret"]
    assert post_signed(created["id"], created["webhook_secret"], {"add": ["a"]}).status_code == 401
    assert post_signed(created["id"], rotated["webhook_secret"], {"add": ["a"]}).status_code == 200


def test_overlap_compares_clusters_not_their_parent(api, workspace):
    from segments.models import Segment

    parent = Segment.objects.create(
        workspace=workspace, name="Usage", kind="cluster", definition={}, playbook="p0"
    )
    for i in range(2):
        Segment.objects.create(
            workspace=workspace,
            name=f"Cluster {i}",
            kind="cluster",
            parent=parent,
            definition={"cluster": i},
            playbook=f"p{i + 1}",
        )
    body = api.get("/api/v1/segments/overlap/").json()
    assert [s["name"] for s in body["segments"]] == ["Cluster 0", "Cluster 1"]
    assert len(body["pairs"]) == 1
