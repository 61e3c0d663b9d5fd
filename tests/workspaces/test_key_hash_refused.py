"""The stored hash of a key is not a key: whoever reads the api-key table cannot call the API."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from people.models import Event, Person
from tests.conftest import bearer_client
from tests.factories import make_api_key
from workspaces.models import KeyScope

TRACK = {"type": "track", "userId": "u_1", "event": "Signed Up", "messageId": "m-hash"}


@pytest.mark.parametrize("scope", [KeyScope.FULL, KeyScope.INGEST])
def test_the_stored_hash_is_refused_by_the_api(workspace, scope):
    key, raw = make_api_key(workspace, scope)
    assert bearer_client(raw).get("/api/v1/people/").status_code in (200, 403)

    response = bearer_client(key.key_hash).get("/api/v1/people/")

    assert response.status_code == 401
    assert response.json()["error"] == "Unknown API key."


def _basic(value: str) -> str:
    return "Basic " + base64.b64encode(f"{value}:".encode()).decode()


@pytest.mark.parametrize(
    "url,how",
    [
        ("/api/v1/ingest/track", "bearer"),
        ("/v1/track", "basic"),
        ("/v1/batch", "write_key"),
    ],
)
def test_the_stored_hash_is_refused_by_ingestion(workspace, url, how):
    key, _raw = make_api_key(workspace, KeyScope.INGEST)
    body: dict[str, object] = dict(TRACK) if "batch" not in url else {"batch": [TRACK]}
    headers = {}
    if how == "bearer":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key.key_hash}"
    elif how == "basic":
        headers["HTTP_AUTHORIZATION"] = _basic(key.key_hash)
    else:
        body["writeKey"] = key.key_hash

    response = APIClient().post(url, body, format="json", **headers)

    assert response.status_code == 401
    assert response.json()["error"] == "Unknown API key."
    assert not Event.objects.exists()
    assert not Person.objects.exists()
