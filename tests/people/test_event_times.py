"""Event times: from the Unix epoch on, at most a day ahead, after the sentAt correction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from people.ingestion import ItemError, validate_item
from people.models import Event
from tests.conftest import bearer_client

RECEIVED = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
BEFORE = "timestamp is before 1970-01-01; send the real event time."


def event_time(**item) -> datetime:
    message = validate_item(
        {"type": "track", "userId": "u_1", "event": "Signed Up", **item},
        index=0,
        received_at=RECEIVED,
    )
    return message.timestamp


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=UTC)),
        ("1970-01-01T01:00:00+01:00", datetime(1970, 1, 1, tzinfo=UTC)),
        ("1970-01-01T00:00:00", datetime(1970, 1, 1, tzinfo=UTC)),  # naive reads as UTC
        ("1999-12-31T23:59:59Z", datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2026-11-03T12:00:00Z", RECEIVED + timedelta(days=1)),
    ],
)
def test_times_from_the_epoch_to_a_day_ahead_are_accepted(raw, expected):
    assert event_time(timestamp=raw) == expected


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("1969-12-31T23:59:59.999999Z", BEFORE),
        ("1970-01-01T00:30:00+01:00", BEFORE),
        ("0001-01-01T00:00:00Z", BEFORE),
        ("2026-11-03T12:00:00.000001Z", "timestamp is more than a day in the future."),
    ],
)  # fmt: skip
def test_times_outside_the_bounds_are_refused(raw, error):
    with pytest.raises(ItemError) as refused:
        event_time(timestamp=raw)
    assert str(refused.value) == error


def test_the_bounds_apply_after_the_sent_at_correction():
    # A device whose clock reads 1969 (an hour behind the epoch) reports a real time.
    corrected = event_time(timestamp="1969-12-31T22:00:00Z", sentAt="1969-12-31T23:00:00Z")
    assert corrected == RECEIVED - timedelta(hours=1)
    # A device clock ahead by a year: its event of "next year" happened an hour ago.
    ahead = event_time(timestamp="2027-11-02T11:00:00Z", sentAt="2027-11-02T12:00:00Z")
    assert ahead == RECEIVED - timedelta(hours=1)
    # Corrected to just before the epoch: refused.
    with pytest.raises(ItemError, match="before 1970-01-01"):
        event_time(timestamp="1970-01-01T00:00:00Z", sentAt="2026-11-02T12:00:00.000001Z")
    # Corrected to exactly the epoch: accepted.
    assert event_time(timestamp="1970-01-01T00:00:00Z", sentAt="2026-11-02T12:00:00Z") == (
        datetime(1970, 1, 1, tzinfo=UTC)
    )


def test_a_historical_event_is_stored_with_its_time(ingest_key):
    item = {"type": "track", "userId": "u_1", "event": "Ordered", "messageId": "m-1",
            "timestamp": "1985-06-01T09:30:00Z"}  # fmt: skip
    response = bearer_client(ingest_key).post(
        "/api/v1/ingest/batch", {"batch": [item]}, format="json"
    )
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert Event.objects.get().timestamp == datetime(1985, 6, 1, 9, 30, tzinfo=UTC)
