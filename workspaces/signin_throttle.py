"""Sign-in throttling: growing delays after failed attempts, per account and per client.

Failures are counted in Django's cache (Redis in production, so every gunicorn
process sees the same counts) under two keys: the email that was tried, hashed,
and the client's address. A few failures are free; past them each further
failure doubles the wait before the next attempt is even checked, up to a cap.
Counting by the email as typed, whether or not such an account exists, means a
throttled answer reveals nothing about which accounts exist. A successful
sign-in clears its account's count (the client's count ages out), so an
attacker spreading guesses over many accounts still meets the per-client limit.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

# Failures allowed before any wait: a person mistyping a password a few times
# never waits; a shared office address gets more room than one account.
FREE_FAILURES_PER_ACCOUNT = 5
FREE_FAILURES_PER_CLIENT = 20
FIRST_DELAY_SECONDS = 2
MAX_DELAY_SECONDS = 15 * 60
# How long a count is remembered after its last failure.
MEMORY_SECONDS = 60 * 60


@dataclass(frozen=True)
class Counter:
    key: str
    free: int


def client_address(request: HttpRequest) -> str:
    """The client's address: the proxy's X-Forwarded-For only when a proxy is said to set it.

    Our sample nginx configuration sets the header to the connecting address
    (not appended), so its last entry is the client; without a proxy the header
    is the client's to forge and is ignored."""
    if settings.MOTIVE_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def _counters(*, email: str, address: str) -> list[Counter]:
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    client = hashlib.sha256(address.encode()).hexdigest()
    return [
        Counter(f"motive:signin:account:{account}", FREE_FAILURES_PER_ACCOUNT),
        Counter(f"motive:signin:client:{client}", FREE_FAILURES_PER_CLIENT),
    ]


def delay_after(failures: int, free: int) -> int:
    """Seconds to wait after `failures` failures: 0 while free, then 2, 4, 8 … up to the cap."""
    if failures < free:
        return 0
    return int(min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (failures - free)))


def wait_seconds(*, email: str, address: str, now: float | None = None) -> int:
    """How long this email from this address must wait before trying again (0: go ahead)."""
    now = time.time() if now is None else now
    wait = 0.0
    for counter in _counters(email=email, address=address):
        until = cache.get(f"{counter.key}:until")
        if until is not None:
            wait = max(wait, float(until) - now)
    return max(0, math.ceil(wait))


def record_failure(*, email: str, address: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    for counter in _counters(email=email, address=address):
        cache.add(counter.key, 0, MEMORY_SECONDS)
        try:
            failures = cache.incr(counter.key)
        except ValueError:  # expired between add and incr
            cache.set(counter.key, 1, MEMORY_SECONDS)
            failures = 1
        cache.touch(counter.key, MEMORY_SECONDS)
        delay = delay_after(failures, counter.free)
        if delay:
            cache.set(f"{counter.key}:until", now + delay, delay)


def record_success(*, email: str, address: str) -> None:
    account = _counters(email=email, address=address)[0]
    cache.delete_many([account.key, f"{account.key}:until"])
