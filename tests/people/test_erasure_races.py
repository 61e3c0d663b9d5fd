"""Erasure against a batch holding the person: the erasure waits, then leaves no row behind.

The general ingestion path holds the people it writes for `FOR NO KEY UPDATE`
(people/ingestion/people.py); `person_erase` takes `FOR UPDATE`, so it waits for
such a batch to commit and then deletes its events too.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections, transaction

from people import services
from people.models import Event, Person, PersonErasure
from tests.factories import EventFactory, PersonFactory, WorkspaceFactory
from tests.locks import wait_for_lock_wait

pytestmark = pytest.mark.django_db(transaction=True)


def test_erasure_waits_for_a_batch_holding_the_person_and_deletes_its_events():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers")
    workspace = WorkspaceFactory()
    person = PersonFactory(workspace=workspace, user_id="u_123")
    EventFactory(person=person, message_id="before")
    holding, release, errors = threading.Event(), threading.Event(), []

    def batch() -> None:
        try:
            with transaction.atomic():
                Person.objects.select_for_update(no_key=True).get(pk=person.pk)
                EventFactory(person=person, message_id="during")
                holding.set()
                assert release.wait(20)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def erase() -> None:
        try:
            services.person_erase(person=person)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    batch_thread = threading.Thread(target=batch)
    batch_thread.start()
    assert holding.wait(10)
    erase_thread = threading.Thread(target=erase)
    erase_thread.start()
    wait_for_lock_wait("the erasure")
    release.set()
    batch_thread.join(20)
    erase_thread.join(20)

    assert errors == []
    assert not Person.objects.filter(pk=person.pk).exists()
    assert not Event.objects.filter(person_id=person.pk).exists()
    assert PersonErasure.objects.get().person_id == person.pk


def test_a_track_batch_committing_after_the_erasure_stores_nothing_for_the_erased_person():
    """The event's foreign key is checked at commit: the erased person cannot get an event."""
    from django.db import IntegrityError

    from people.ingestion import postgres

    if connection.vendor != "postgresql":
        pytest.skip("the track statement is PostgreSQL's")
    workspace = WorkspaceFactory()
    # The event falls inside the person's seen range, so the batch takes no lock on
    # the person row (a widening batch would hold it, and the erasure would wait).
    person = PersonFactory(
        workspace=workspace,
        user_id="u_123",
        first_seen=datetime(2026, 10, 1, tzinfo=UTC),
        last_seen=datetime(2026, 12, 1, tzinfo=UTC),
    )
    written, release, errors = threading.Event(), threading.Event(), []

    def batch() -> None:
        try:
            with transaction.atomic():
                postgres.write_tracks(
                    workspace_id=workspace.pk,
                    rows=[
                        postgres.TrackRow(
                            "u_123", "Late", {}, datetime(2026, 11, 1, tzinfo=UTC), "late"
                        )
                    ],
                    received_at=datetime(2026, 11, 1, tzinfo=UTC),
                )
                written.set()
                assert release.wait(20)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=batch)
    thread.start()
    assert written.wait(10)
    services.person_erase(person=person)
    release.set()
    thread.join(20)

    assert [type(e) for e in errors] == [IntegrityError]
    assert not Person.objects.filter(pk=person.pk).exists()
    assert not Event.objects.filter(person_id=person.pk).exists()
