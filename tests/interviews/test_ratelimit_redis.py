"""The respondent rate limits on the Redis cache production uses (the other tests count in
memory): a window's first request creates its counter, later ones only count."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from django.core.cache import caches
from django.test import RequestFactory, override_settings

from interviews import ratelimit

REDIS = os.environ.get("MOTIVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REDIS_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS,
        "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
    }
}


@pytest.fixture
def redis_cache(settings: Any) -> Any:
    settings.MOTIVE_INTERVIEW_RATE_PER_TOKEN = 3
    settings.MOTIVE_INTERVIEW_RATE_PER_IP = 0
    with override_settings(CACHES=REDIS_CACHE):
        cache = caches["default"]
        try:
            cache.get("probe")
        except Exception:
            pytest.skip(f"no Redis at {REDIS}")
        yield cache
        cache.clear()


def test_a_link_is_limited_per_window_on_redis(redis_cache: Any) -> None:
    request = RequestFactory().get("/api/v1/interviews/t/", REMOTE_ADDR="203.0.113.9")
    token = f"token-{uuid.uuid4().hex}"

    allowed = [ratelimit.check(request, token) for _ in range(3)]
    refused = ratelimit.check(request, token)

    assert allowed == [None, None, None]
    assert refused is not None and 1 <= refused.retry_after <= ratelimit.WINDOW_SECONDS
    # Another link has its own counter.
    assert ratelimit.check(request, f"other-{uuid.uuid4().hex}") is None


def test_a_counted_request_costs_one_cache_call_once_the_window_exists(
    redis_cache: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = RequestFactory().get("/api/v1/interviews/t/", REMOTE_ADDR="203.0.113.9")
    token = f"token-{uuid.uuid4().hex}"
    calls: list[str] = []
    for name in ("add", "incr"):
        method = getattr(redis_cache, name)
        monkeypatch.setattr(
            redis_cache, name, lambda *a, _m=method, _n=name, **k: calls.append(_n) or _m(*a, **k)
        )
    monkeypatch.setattr(ratelimit, "cache", redis_cache)

    ratelimit.check(request, token)
    first = list(calls)
    calls.clear()
    ratelimit.check(request, token)

    assert first == ["incr", "add"]  # the window's counter is created once
    assert calls == ["incr"]
