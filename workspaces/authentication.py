"""Bearer API keys for the REST API, beside Django's session auth."""

from __future__ import annotations

import base64
import time
from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from workspaces.models import ApiKey, KeyScope, hash_key

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
    """`Authorization: Bearer <key>` on the DRF views; revocation is immediate here.

    The ingestion endpoints are plain Django views and verify their key with
    `ingest_key` (people/api.py).
    """

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


class KeyRefused(Exception):
    """Why an ingestion call's credential was refused: the caller answers 401 with it."""


INGEST_SCOPES = frozenset({KeyScope.INGEST, KeyScope.FULL})


def credential_from_header(authorization: str) -> str | None:
    """The raw key an `Authorization` header carries, None when there is no header.

    `Bearer <key>`, or HTTP Basic with the key as user name and an empty password
    (what Segment's and RudderStack's SDKs send). Raises KeyRefused when malformed.
    """
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value and " " not in value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            user, colon, password = base64.b64decode(value, validate=True).decode().partition(":")
        except ValueError:  # binascii.Error, non-ASCII text, undecodable bytes
            raise KeyRefused("Malformed Basic credentials; send base64 of `<api key>:`.") from None
        if not user or not colon or password:
            raise KeyRefused("Send the API key as the Basic user name, with an empty password.")
        return user
    raise KeyRefused(
        "Malformed Authorization header; send `Authorization: Bearer <api key>` "
        "or HTTP Basic with the key as user name."
    )


def ingest_key(raw: str) -> ApiKey:
    """The usable key (scope `ingest` or `full`) that an ingestion call names.

    A key read in the last INGEST_KEY_CACHE_SECONDS is reused: ingestion calls
    arrive hundreds per second with the same key and the lookup was a round
    trip of its own. The price is bounded staleness: a revoked key keeps
    ingesting for at most that long in processes that had just read it.
    Unknown keys are never cached. Raises KeyRefused.
    """
    key = _cached_lookup(hash_key(raw), INGEST_KEY_CACHE_SECONDS)
    if key is None:
        raise KeyRefused("Unknown API key.")
    if key.revoked_at is not None:
        raise KeyRefused("This API key has been revoked.")
    if key.scope not in INGEST_SCOPES:
        raise KeyRefused("This API key may not ingest.")
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
