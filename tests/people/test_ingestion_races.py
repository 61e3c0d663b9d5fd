"""Concurrent batches around a merge: every event keeps a live person without a constraint.

On PostgreSQL the event → person foreign key has no database constraint
(segments/models.py): anonymous people, the only ones a merge deletes, are held
FOR NO KEY UPDATE by the merge and by every batch that writes their events.
These tests hold one side inside its transaction while the other runs into it,
in both orders, and check that no event points at a deleted person.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from people.ingestion import ingest_items, people, writer
from people.models import Event, Person
from tests.factories import WorkspaceFactory
from tests.locks import wait_for_lock_wait

pytestmark = pytest.mark.django_db(transaction=True)

ANONYMOUS = "anon-1"


def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the constraint is kept there")


def _orphans() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM segments_event AS e "
            "LEFT JOIN segments_person AS p ON p.id = e.person_id WHERE p.id IS NULL"
        )
        return int(cursor.fetchone()[0])


class _Paused:
    """Wraps a module function so that one named thread stops in it until released."""

    def __init__(self, module: Any, name: str, thread: str, monkeypatch: Any) -> None:
        self.reached, self.release = threading.Event(), threading.Event()
        real: Callable[..., Any] = getattr(module, name)

        def paused(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread().name == thread:
                self.reached.set()
                assert self.release.wait(20), "never released"
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, paused)


def _run(name: str, workspace: Any, items: list[dict[str, Any]], errors: list) -> threading.Thread:
    def target() -> None:
        try:
            ingest_items(workspace=workspace, items=items)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name=name)
    thread.start()
    return thread


def _setup() -> Any:
    workspace = WorkspaceFactory()
    ingest_items(
        workspace=workspace,
        items=[
            {"type": "track", "anonymousId": ANONYMOUS, "event": "Visited", "messageId": "m-0"},
            {"type": "identify", "userId": "u_1", "messageId": "m-1"},
        ],
    )
    assert Person.objects.filter(workspace=workspace).count() == 2
    return workspace


IDENTIFY = {"type": "identify", "userId": "u_1", "anonymousId": ANONYMOUS, "messageId": "m-2"}
LATE = {"type": "track", "anonymousId": ANONYMOUS, "event": "Late", "messageId": "m-3"}


def _assert_merged(workspace: Any) -> None:
    assert _orphans() == 0
    user = Person.objects.get(workspace=workspace, user_id="u_1")
    assert Person.objects.filter(workspace=workspace).count() == 1
    assert sorted(Event.objects.filter(person=user).values_list("message_id", flat=True)) == [
        "m-0",
        "m-1",
        "m-2",
        "m-3",
    ]


def _race(monkeypatch, *, first: str, paused_in: tuple[Any, str]) -> None:
    """`first` ("merge" or "late") runs until it holds the anonymous person, paused in
    `paused_in`; the other batch then runs into its lock; both finish; nothing is orphaned."""
    _postgres_only()
    workspace = _setup()
    pause = _Paused(*paused_in, first, monkeypatch)
    items = {"merge": [IDENTIFY], "late": [LATE]}
    second = "late" if first == "merge" else "merge"
    errors: list = []
    holder = _run(first, workspace, items[first], errors)
    assert pause.reached.wait(20)
    waiter = _run(second, workspace, items[second], errors)
    wait_for_lock_wait("the second batch")
    pause.release.set()
    holder.join(30)
    waiter.join(30)
    assert errors == []
    _assert_merged(workspace)


def test_an_anonymous_event_written_while_its_person_is_merged_follows_the_merge(monkeypatch):
    # The merge holds the anonymous person (locked) when the late event arrives.
    _race(monkeypatch, first="merge", paused_in=(people, "merge_people"))


def test_a_merge_waits_for_a_batch_writing_the_anonymous_persons_events(monkeypatch):
    # The late event's batch holds the anonymous person when the merge arrives.
    _race(monkeypatch, first="late", paused_in=(writer, "_insert_events"))


def test_a_resent_track_batch_outside_a_transaction(ingest_key):
    """The track statement in autocommit, as in production."""
    from tests.conftest import bearer_client
    from tests.people.test_ingestion_api import check_resent_track_batch

    _postgres_only()
    assert not connection.in_atomic_block
    check_resent_track_batch(bearer_client(ingest_key))
