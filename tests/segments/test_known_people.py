"""segments.ingestion.known_people: people a process stored events for travel as ids.

These tests commit (transaction=True): a person is remembered only once the
statement that found or created it committed.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from django.db import connection, transaction

from segments.ingestion import fold_seen_ranges, ingest_items, known_people, postgres
from segments.models import Event, PendingSeenRange, Person
from tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the single-statement track path is PostgreSQL's")


def track(message_id: str, user_id: str, ts: str) -> dict:
    return {
        "type": "track",
        "userId": user_id,
        "event": "Report Created",
        "timestamp": ts,
        "messageId": message_id,
    }


def sent_rows(monkeypatch) -> list[list]:
    """Per track statement sent: its rows, as [userId, ...] or (known people) [person id, ...]."""
    sent: list[list] = []
    real = postgres.write_tracks

    def spy(*, payload, received_at):
        sent.append(json.loads(payload.rows) + json.loads(payload.known))
        return real(payload=payload, received_at=received_at)

    monkeypatch.setattr(postgres, "write_tracks", spy)
    return sent


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_stored_person_travels_as_its_id_and_its_range_queues_only_when_it_moves(
    monkeypatch,
):
    workspace = WorkspaceFactory()
    sent = sent_rows(monkeypatch)
    ingest_items(workspace=workspace, items=[track("m-1", "u_1", "2026-11-10T10:00:00Z")])
    person = Person.objects.get(workspace=workspace, user_id="u_1")
    assert sent[-1][0][0] == "u_1"  # looked up (here: created) by the statement
    assert known_people.get(workspace.pk, "u_1") == (person.pk, at("2026-11-10T10:00:00Z"),
                                                     at("2026-11-10T10:00:00Z"))  # fmt: skip

    # Inside the known range (last seen within the 1-minute resolution): no queue row.
    ingest_items(workspace=workspace, items=[track("m-2", "u_1", "2026-11-10T10:00:30Z")])
    assert sent[-1][0][0] == person.pk
    assert PendingSeenRange.objects.count() == 0
    # Outside it, on both sides: queued, and the person widens at the next fold.
    ingest_items(
        workspace=workspace,
        items=[
            track("m-3", "u_1", "2026-11-01T09:00:00Z"),
            track("m-4", "u_1", "2026-11-20T09:00:00Z"),
        ],
    )
    assert [row[0] for row in sent[-1]] == [person.pk, person.pk]
    assert PendingSeenRange.objects.count() == 1
    assert known_people.get(workspace.pk, "u_1") == (person.pk, at("2026-11-01T09:00:00Z"),
                                                     at("2026-11-20T09:00:00Z"))  # fmt: skip
    fold_seen_ranges()
    person.refresh_from_db()
    assert (person.first_seen, person.last_seen) == (
        at("2026-11-01T09:00:00Z"),
        at("2026-11-20T09:00:00Z"),
    )
    assert Event.objects.filter(person=person).count() == 4


def test_a_range_widened_elsewhere_is_kept_and_a_narrow_entry_only_queues_more():
    """Another process (here: an update behind this one's back) widens the person."""
    workspace = WorkspaceFactory()
    ingest_items(workspace=workspace, items=[track("m-1", "u_1", "2026-11-10T10:00:00Z")])
    Person.objects.filter(workspace=workspace).update(
        first_seen=at("2026-10-01T00:00:00Z"), last_seen=at("2026-11-25T00:00:00Z")
    )
    ingest_items(workspace=workspace, items=[track("m-2", "u_1", "2026-11-12T10:00:00Z")])
    assert PendingSeenRange.objects.count() == 1  # the entry did not cover it
    fold_seen_ranges()
    person = Person.objects.get(workspace=workspace)
    assert (person.first_seen, person.last_seen) == (
        at("2026-10-01T00:00:00Z"),
        at("2026-11-25T00:00:00Z"),
    )


def test_nothing_is_remembered_from_a_transaction_that_rolls_back():
    workspace = WorkspaceFactory()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        ingest_items(workspace=workspace, items=[track("m-1", "u_1", "2026-11-10T10:00:00Z")])
        assert Person.objects.filter(workspace=workspace).exists()
        raise Abort
    assert known_people.get(workspace.pk, "u_1") is None
    # The next batch finds no person by a stale id: it creates the person again.
    ingest_items(workspace=workspace, items=[track("m-1", "u_1", "2026-11-10T10:00:00Z")])
    person = Person.objects.get(workspace=workspace, user_id="u_1")
    assert Event.objects.get(message_id="m-1").person_id == person.pk


def test_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(known_people, "MAX_ENTRIES", 3)
    workspace = WorkspaceFactory()
    for i in range(5):
        ingest_items(workspace=workspace, items=[track(f"m-{i}", f"u_{i}", "2026-11-10T10:00:00Z")])
        assert known_people.size() <= 3
    assert Event.objects.filter(workspace_id=workspace.pk).count() == 5


def test_an_import_sends_the_people_it_stored_before_as_ids(monkeypatch):
    from segments.importing import import_events_csv

    workspace = WorkspaceFactory()
    sent = sent_rows(monkeypatch)
    first = "user_id,event,timestamp\nu_1,e,2026-11-01T00:00:00Z\nu_2,e,2026-11-01T00:00:00Z\n"
    import io

    import_events_csv(workspace=workspace, file=io.StringIO(first))
    assert [row[0] for row in sent[-1]] == ["u_1", "u_2"]
    again = "user_id,event,timestamp\nu_2,e,2026-11-02T00:00:00Z\nu_3,e,2026-11-02T00:00:00Z\n"
    result = import_events_csv(workspace=workspace, file=io.StringIO(again))
    assert result.imported == 2
    u_2 = Person.objects.get(workspace=workspace, user_id="u_2")
    assert [row[0] for row in sent[-1]] == ["u_3", u_2.pk]
    u_2.refresh_from_db()
    assert u_2.last_seen == at("2026-11-02T00:00:00Z")  # the import's rebuild widened it
