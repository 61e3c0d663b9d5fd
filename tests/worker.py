"""A real Celery worker on Redis, in a thread, for the tests that are about tasks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from kombu import pools as kombu_pools

from config.celery import app


def redis_url() -> str:
    return os.environ.get("MOTIVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@contextmanager
def redis_worker(queues: str = "default,ingest,segments,llm,webhooks") -> Iterator[None]:
    """Point the app at Redis, run a worker thread consuming `queues`, restore afterwards."""
    url = redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip(f"Redis is not reachable at {url}")
    redis.Redis.from_url(url).flushdb()
    saved = {
        key: app.conf[key]
        for key in ("broker_url", "task_always_eager", "broker_transport_options")
    }
    _reset_connections()
    app.conf.update(broker_url=url, task_always_eager=False, broker_transport_options={})
    try:
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            queues=queues.split(","),
            shutdown_timeout=10,
        ):
            yield
    finally:
        app.conf.update(saved)
        _reset_connections()


def _reset_connections() -> None:
    """Drop pooled broker connections so the next publish uses the current broker_url."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    kombu_pools.reset()
