"""Bearer keys, scopes, roles, the JSON error shape and pagination."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import bearer_client
from tests.factories import MembershipFactory, make_api_key
from workspaces import authentication, services
from workspaces.models import ApiKey, KeyScope, Role


@pytest.mark.django_db
def test_no_credentials_is_401_with_json_error():
    response = APIClient().get("/api/v1/workspace/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert set(response.json()) == {"error", "detail"}
    assert "Authorization: Bearer" in response.json()["error"]


@pytest.mark.django_db
def test_unknown_key_is_401():
    response = bearer_client("mk_not-a-real-key").get("/api/v1/workspace/")
    assert response.status_code == 401
    assert response.json()["error"] == "Unknown API key."


def test_full_key_reads_its_workspace(workspace, full_key):
    response = bearer_client(full_key).get("/api/v1/workspace/")
    assert response.status_code == 200
    assert response.json()["id"] == workspace.pk
    assert response.json()["name"] == "Acme"


def test_ingest_key_is_refused_outside_ingestion(ingest_key):
    response = bearer_client(ingest_key).get("/api/v1/workspace/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "ingest scope" in response.json()["error"]


def test_revoked_key_is_401(workspace):
    key, raw = make_api_key(workspace, KeyScope.FULL)
    services.api_key_revoke(key=key)
    response = bearer_client(raw).get("/api/v1/workspace/")
    assert response.status_code == 401
    assert response.json()["error"] == "This API key has been revoked."


def test_key_is_stored_hashed_and_shown_once(workspace):
    key, raw = make_api_key(workspace, KeyScope.FULL)
    assert raw.startswith("mk_") and len(raw) >= 40
    assert raw not in {key.key_hash, key.prefix}
    assert raw.startswith(key.prefix)
    assert not ApiKey.objects.filter(key_hash=raw).exists()


def test_last_used_time_is_recorded(workspace):
    key, raw = make_api_key(workspace, KeyScope.FULL)
    assert key.last_used_at is None
    before = timezone.now()
    bearer_client(raw).get("/api/v1/workspace/")
    key.refresh_from_db()
    assert key.last_used_at is not None and key.last_used_at >= before


def test_owner_session_creates_a_key_that_works(workspace, owner):
    client = APIClient()
    client.force_authenticate(owner)
    response = client.post("/api/v1/api-keys/", {"name": "CI", "scope": "full"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["scope"] == "full" and body["active"] is True
    assert bearer_client(body["key"]).get("/api/v1/workspace/").status_code == 200
    listed = client.get("/api/v1/api-keys/").json()
    assert "key" not in listed["results"][0]


def test_owner_revokes_a_key_with_delete(workspace, owner):
    key, raw = make_api_key(workspace, KeyScope.INGEST)
    client = APIClient()
    client.force_authenticate(owner)
    response = client.delete(f"/api/v1/api-keys/{key.pk}/")
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert bearer_client(raw).get("/api/v1/workspace/").status_code == 401


def test_full_key_cannot_mint_keys(api, workspace):
    count = ApiKey.objects.count()
    response = api.post("/api/v1/api-keys/", {"name": "x", "scope": "full"}, format="json")
    assert response.status_code == 403
    assert ApiKey.objects.count() == count


@pytest.mark.parametrize(
    "role,expected", [(Role.VIEWER, 403), (Role.RESEARCHER, 403), (Role.OWNER, 201)]
)
def test_only_owners_create_keys(workspace, role, expected):
    user = MembershipFactory(workspace=workspace, role=role).user
    client = APIClient()
    client.force_authenticate(user)
    assert client.get("/api/v1/api-keys/").status_code == 200
    response = client.post("/api/v1/api-keys/", {"scope": "ingest"}, format="json")
    assert response.status_code == expected


def test_viewer_reads_but_cannot_write(workspace):
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER).user
    client = APIClient()
    client.force_authenticate(viewer)
    assert client.get("/api/v1/workspace/").json()["role"] == "viewer"
    response = client.post("/api/v1/api-keys/", {"scope": "full"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]


@pytest.mark.django_db
def test_user_without_workspace_is_refused():
    from tests.factories import UserFactory

    client = APIClient()
    client.force_authenticate(UserFactory())
    response = client.get("/api/v1/workspace/")
    assert response.status_code == 403
    assert response.json()["error"] == "You are not a member of any workspace."


def test_bad_scope_is_400_naming_the_field(workspace, owner):
    client = APIClient()
    client.force_authenticate(owner)
    response = client.post("/api/v1/api-keys/", {"scope": "admin"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("scope:")
    assert "scope" in response.json()["detail"]


def test_malformed_json_is_400(workspace, owner):
    client = APIClient()
    client.force_authenticate(owner)
    response = client.post("/api/v1/api-keys/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["error"]


def test_unknown_api_path_is_json_404(api):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"] == "Not found."


def test_lists_are_paginated(api, workspace):
    for _ in range(3):
        make_api_key(workspace, KeyScope.INGEST)
    body = api.get("/api/v1/api-keys/?page_size=2").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 4 and len(body["results"]) == 2
    assert "page=2" in body["next"]
    assert api.get("/api/v1/api-keys/?page=99").status_code == 404


def test_key_list_has_no_n_plus_one(api, workspace, django_assert_max_num_queries):
    for _ in range(10):
        make_api_key(workspace, KeyScope.INGEST)
    with django_assert_max_num_queries(4):
        assert api.get("/api/v1/api-keys/").status_code == 200


def test_ingestion_reuses_a_looked_up_key_for_at_most_its_cache_bound(workspace, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(authentication, "_clock", lambda: clock[0])
    monkeypatch.setattr(authentication, "_recent_keys", {})
    key, raw = make_api_key(workspace, KeyScope.INGEST)
    client = bearer_client(raw)

    def ingest():
        return client.post("/api/v1/ingest/batch", {"batch": []}, format="json")

    assert ingest().status_code == 200
    services.api_key_revoke(key=key)
    bound = authentication.INGEST_KEY_CACHE_SECONDS
    assert bound <= 5
    clock[0] += bound - 0.5
    assert ingest().status_code == 200  # read this recently: still the cached key
    clock[0] += 0.5
    response = ingest()
    assert response.status_code == 401
    assert response.json()["error"] == "This API key has been revoked."


def test_revocation_is_immediate_outside_ingestion(workspace, monkeypatch):
    monkeypatch.setattr(authentication, "_recent_keys", {})
    key, raw = make_api_key(workspace, KeyScope.FULL)
    client = bearer_client(raw)
    assert client.get("/api/v1/workspace/").status_code == 200
    services.api_key_revoke(key=key)
    assert client.get("/api/v1/workspace/").status_code == 401


@pytest.mark.django_db
def test_unknown_keys_are_not_cached(monkeypatch):
    monkeypatch.setattr(authentication, "_recent_keys", {})
    response = bearer_client("mk_unknown").post(
        "/api/v1/ingest/batch", {"batch": []}, format="json"
    )
    assert response.status_code == 401
    assert authentication._recent_keys == {}
