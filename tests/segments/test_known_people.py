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


def sent_rows(monkeypatch) -> list[dict]:
    """Per track statement sent: the userIds it looks up, and the known people it is told."""
    sent: list[dict] = []
    real = postgres.write_tracks

    def spy(*, payload, received_at):
        sent.append(
            {
                "looked_up": [row[0] for row in json.loads(payload.rows)],
                "known_rows": [row[0] for row in json.loads(payload.known_rows)],
                "known": {
                    user_id: person_id for user_id, person_id, *_ in json.loads(payload.known)
                },
            }
        )
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
    assert sent[-1] == {"looked_up": ["u_1"], "known_rows": [], "known": {}}
    assert known_people.get(workspace.pk, "u_1") == (person.pk, at("2026-11-10T10:00:00Z"),
                                                     at("2026-11-10T10:00:00Z"))  # fmt: skip

    # Inside the known range (last seen within the 1-minute resolution): no queue row.
    ingest_items(workspace=workspace, items=[track("m-2", "u_1", "2026-11-10T10:00:30Z")])
    assert sent[-1] == {"looked_up": [], "known_rows": ["u_1"], "known": {"u_1": person.pk}}
    assert PendingSeenRange.objects.count() == 0
    # Outside it, on both sides: queued, and the person widens at the next fold.
    ingest_items(
        workspace=workspace,
        items=[
            track("m-3", "u_1", "2026-11-01T09:00:00Z"),
            track("m-4", "u_1", "2026-11-20T09:00:00Z"),
        ],
    )
    assert sent[-1]["known_rows"] == ["u_1", "u_1"]
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
    assert sent[-1]["looked_up"] == ["u_1", "u_2"]
    again = "user_id,event,timestamp\nu_2,e,2026-11-02T00:00:00Z\nu_3,e,2026-11-02T00:00:00Z\n"
    result = import_events_csv(workspace=workspace, file=io.StringIO(again))
    assert result.imported == 2
    u_2 = Person.objects.get(workspace=workspace, user_id="u_2")
    assert (sent[-1]["looked_up"], sent[-1]["known"]) == (["u_3"], {"u_2": u_2.pk})
    u_2.refresh_from_db()
    assert u_2.last_seen == at("2026-11-02T00:00:00Z")  # the import's rebuild widened it


def test_the_statement_joins_its_row_sets_by_hashing_not_by_nested_loops():
    """A one-row estimate once made the joins between the statement's CTEs nested
    loops: quadratic, 23 s for a 10,000-row import chunk instead of 0.2 s."""
    workspace = WorkspaceFactory()
    known_people.remember(workspace.pk, {"u_1": (1, at("2026-11-01T00:00:00Z"),
                                                 at("2026-11-01T00:00:00Z"))})  # fmt: skip
    rows = [("u_1" if i % 2 else f"u_{i}", "e", {}, at("2026-11-02T00:00:00Z"), f"m-{i}")
            for i in range(10)]  # fmt: skip
    payload = postgres.track_payload(workspace.pk, rows)
    assert payload.known_rows != "[]" and payload.rows != "[]"
    for (queue_seen, skip_stored), statement in postgres.TRACK_STATEMENTS.items():
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN " + statement,
                {
                    "ws": workspace.pk,
                    "rows": payload.rows,
                    "known_rows": payload.known_rows,
                    "known": payload.known,
                    "received": at("2026-11-02T00:00:00Z"),
                    "resolution": postgres.LAST_SEEN_RESOLUTION,
                },
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Nested Loop Anti Join" not in plan, (queue_seen, skip_stored, plan)
        assert "Hash Join" in plan
