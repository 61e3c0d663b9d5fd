"""Bearer API keys for the REST API, beside Django's session auth."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from workspaces.models import ApiKey, hash_key

# last_used_at is advisory; writing it on every ingest call would cost a row
# update per request, so it is refreshed at most once a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyUser:
    """The principal behind an API key: authenticated, not a Django user."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, key: ApiKey) -> None:
        self.api_key = key

    def __str__(self) -> str:
        return f"api key {self.api_key.prefix}"

    def get_username(self) -> str:
        return str(self)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`. On ingestion endpoints (views with
    `ingest_endpoint = True`) a key read in the last INGEST_KEY_CACHE_SECONDS is reused:
    ingestion calls arrive hundreds per second with the same key and the lookup was a
    round trip of its own. The price is bounded staleness there: a revoked key keeps
    ingesting for at most that long in processes that had just read it. Everywhere
    else revocation is immediate. Unknown keys are never cached."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ApiKeyUser, ApiKey] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header; send `Authorization: Bearer <api key>`."
            )
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(
                "The API key contains invalid characters."
            ) from exc
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if getattr(view, "ingest_endpoint", False):
            key = _cached_lookup(hash_key(raw), INGEST_KEY_CACHE_SECONDS)
        else:
            key = _lookup(hash_key(raw))
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown API key.")
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        _touch(key)
        return ApiKeyUser(key), key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


def _touch(key: ApiKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def ingest_key(authorization: str) -> ApiKey | None:
    """The usable key an ingestion call's `Authorization` header names, else None.

    For the ingestion fast path (segments/api.py), which serves a call without
    DRF only when this answers; any other case (no header, malformed, unknown
    or revoked key) goes through `ApiKeyAuthentication`, which explains it.
    Same cache and last-used rules as on the ingestion views.
    """
    scheme, _, raw = authorization.partition(" ")
    if scheme.lower() != "bearer" or not raw or " " in raw:
        return None
    key = _cached_lookup(hash_key(raw), INGEST_KEY_CACHE_SECONDS)
    if key is None or key.revoked_at is not None:
        return None
    _touch(key)
    return key


# key hash -> (monotonic time it was read, the key with its workspace); per process.
_recent_keys: dict[str, tuple[float, ApiKey]] = {}
MAX_CACHED_KEYS = 1000
INGEST_KEY_CACHE_SECONDS = 5.0
_clock = time.monotonic


def _lookup(key_hash: str) -> ApiKey | None:
    return ApiKey.objects.select_related("workspace").filter(key_hash=key_hash).first()


def _cached_lookup(key_hash: str, seconds: float) -> ApiKey | None:
    now = _clock()
    cached = _recent_keys.get(key_hash)
    if cached is not None and now - cached[0] < seconds:
        return cached[1]
    key = _lookup(key_hash)
    if key is None:
        _recent_keys.pop(key_hash, None)
        return None
    if len(_recent_keys) >= MAX_CACHED_KEYS:
        _recent_keys.clear()
    _recent_keys[key_hash] = (now, key)
    return key


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "workspaces.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A workspace API key: scope `ingest` (ingestion only) or `full`.",
        }
