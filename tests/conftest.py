from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, WorkspaceFactory, make_api_key
from tests.llm.fake_openai import fake_openai, llm_online  # noqa: F401  (shared fixtures)
from workspaces.models import KeyScope, Role


@pytest.fixture
def workspace(db):
    return WorkspaceFactory(name="Acme")


@pytest.fixture
def owner(workspace):
    return MembershipFactory(workspace=workspace, role=Role.OWNER).user


@pytest.fixture
def full_key(workspace) -> str:
    return make_api_key(workspace, KeyScope.FULL)[1]


@pytest.fixture
def ingest_key(workspace) -> str:
    return make_api_key(workspace, KeyScope.INGEST)[1]


def bearer_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def api(full_key) -> APIClient:
    """An API client acting in `workspace` with a full key."""
    return bearer_client(full_key)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Sign-in throttling counts live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _forget_queued_refreshes():
    """The ingest path remembers queued refreshes per process; tests start clean."""
    from segments import refresh

    refresh._queued_until.clear()
    yield
    refresh._queued_until.clear()
