"""Waiting, in concurrency tests, until another session is blocked on a row lock."""

from __future__ import annotations

import time

from django.db import connection


def wait_for_lock_wait(what: str, timeout: float = 10.0) -> None:
    """Until another session of this database waits for a row lock; `what` names it if never."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError(f"{what} never waited for the lock")
