"""Rate limits of the respondent's endpoints (the page and the API): per token and per IP.

The respondent's link is anonymous, so abuse is bounded by counting requests in
fixed one-minute windows in Django's cache: at most
`MOTIVE_INTERVIEW_RATE_PER_TOKEN` requests a minute for one link and
`MOTIVE_INTERVIEW_RATE_PER_IP` from one address (0 turns a limit off). Over a
limit the request is refused with 429 and `Retry-After` (the seconds left in the
window). The cache is Redis when `REDIS_URL` is set, so every process counts
together; the embedded default counts per process. The client address is
`REMOTE_ADDR`: behind a proxy, the proxy must set it (gunicorn's
`forwarded_allow_ips`), never a header a client can forge.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Limited:
    retry_after: int  # whole seconds, at least 1


def _count(scope: str, ident: str, limit: int, now: float) -> Limited | None:
    if limit <= 0:
        return None
    window = int(now // WINDOW_SECONDS)
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    key = f"motive:interview-rate:{scope}:{digest}:{window}"
    # The window's counter usually exists: count first, create it only when missing
    # (each cache call is a round trip to Redis on every respondent request).
    try:
        count = cache.incr(key)
    except ValueError:  # the window's first request (or another one created it just now)
        count = 1 if cache.add(key, 1, timeout=WINDOW_SECONDS + 5) else cache.incr(key)
    if count <= limit:
        return None
    left = (window + 1) * WINDOW_SECONDS - now
    return Limited(retry_after=max(1, math.ceil(left)))


def _now() -> float:
    return time.time()


def check(request: HttpRequest, token: str) -> Limited | None:
    """Count this request against its token and its address; the refusal if over either."""
    now = _now()
    per_token = int(getattr(settings, "MOTIVE_INTERVIEW_RATE_PER_TOKEN", 120))
    per_ip = int(getattr(settings, "MOTIVE_INTERVIEW_RATE_PER_IP", 1200))
    address = str(request.META.get("REMOTE_ADDR") or "unknown")
    return _count("token", token, per_token, now) or _count("ip", address, per_ip, now)
