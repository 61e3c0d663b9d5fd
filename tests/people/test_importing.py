"""CSV import of people and events: typed cells, bad rows by line, idempotent re-runs."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from people import importing
from people.importing import import_events_csv, import_people_csv
from people.ingestion import postgres
from people.models import Event, Person
from tests.factories import PersonFactory, WorkspaceFactory

EVENTS = """user_id,event,timestamp,properties,message_id
u_1,Order Completed,2026-11-01T10:00:00Z,"{""amount"": 49.5}",
u_1,Order Completed,2026-11-02T10:00:00Z,,m-2
u_2,Pricing Page Viewed,2026-11-03T10:00:00+01:00,{},
"""


def run_events(workspace, text: str):
    return import_events_csv(workspace=workspace, file=io.StringIO(text))


def run_people(workspace, text: str):
    return import_people_csv(workspace=workspace, file=io.StringIO(text))


def test_events_are_imported(workspace):
    result = run_events(workspace, EVENTS)
    assert (result.imported, result.duplicates, result.errors, result.error_count) == (3, 0, [], 0)
    first = Event.objects.get(workspace=workspace, person__user_id="u_1", properties__amount=49.5)
    assert first.name == "Order Completed"
    assert first.timestamp == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert Event.objects.get(message_id="m-2").properties == {}
    assert Person.objects.get(user_id="u_2").first_seen == datetime(2026, 11, 3, 9, tzinfo=UTC)


def test_reimporting_the_same_file_is_idempotent(workspace):
    run_events(workspace, EVENTS)
    before = (Event.objects.count(), Person.objects.count())
    result = run_events(workspace, EVENTS)
    assert (result.imported, result.duplicates, result.error_count) == (0, 3, 0)
    assert (Event.objects.count(), Person.objects.count()) == before


def test_message_ids_dedupe_against_the_api_and_within_the_file(workspace):
    text = EVENTS + "u_3,Signed Up,2026-11-04T00:00:00Z,,m-2\n"
    result = run_events(workspace, text)
    assert (result.imported, result.duplicates) == (3, 1)


def test_column_order_is_free_and_optional_columns_may_be_absent(workspace):
    text = "timestamp,event,user_id\n2026-11-01T00:00:00Z,Signed Up,u_9\n"
    result = run_events(workspace, text)
    assert result.imported == 1
    assert Event.objects.get().person.user_id == "u_9"


def test_bad_event_rows_are_reported_by_line_and_the_rest_imported(workspace):
    text = (
        "user_id,event,timestamp,properties,message_id\n"
        "u_1,Signed Up,2026-11-01T00:00:00Z,,\n"  # line 2: fine
        ",Signed Up,2026-11-01T00:00:00Z,,\n"  # 3: no user
        "u_1,Signed Up,yesterday,,\n"  # 4: bad time
        "u_1,Signed Up,1900-01-01T00:00:00Z,,\n"  # 5: absurd time
        'u_1,Signed Up,2026-11-01T00:00:00Z,"[1, 2]",\n'  # 6: not an object
        "u_1,Signed Up,2026-11-01T00:00:00Z,{oops,\n"  # 7: not JSON
        "u_1,,2026-11-01T00:00:00Z,,\n"  # 8: no event
        "u_1,Signed Up\n"  # 9: short row
        "\n"  # 10: blank, skipped
        'u_1,Signed Up,2026-11-01T00:00:00Z,"{""a"": ""x\\u0000""}",\n'  # 11: NUL
        "u_1,Signed Up,,,\n"  # 12: no time
        "u_2,Signed Up,2026-11-02T00:00:00Z,,\n"  # 13: fine
    )
    result = run_events(workspace, text)
    assert result.imported == 2
    assert result.errors == [
        (3, "user_id is empty."),
        (4, 'timestamp "yesterday" is not ISO 8601, e.g. 2026-11-01T10:00:00Z.'),
        (5, "timestamp is before 1970-01-01; send the real event time."),
        (6, "properties must be a JSON object."),
        (7, "properties is not valid JSON."),
        (8, "event is required for track and must be a non-empty string."),
        (9, "Expected 5 columns, found 2."),
        (11, "properties has a value with a NUL character or invalid Unicode."),
        (12, "timestamp is empty; give the event time in ISO 8601."),
    ]
    assert result.error_count == 9
    assert Event.objects.count() == 2


@pytest.mark.parametrize(
    "header,error",
    [
        ("user_id,event\n", "missing: timestamp."),
        ("user_id,event,timestamp,colour\n", "unknown: colour."),
        ("user_id,event,timestamp,event\n", "The header repeats a column."),
    ],
)
def test_a_bad_event_header_imports_nothing(workspace, header, error):
    result = run_events(workspace, header + "u_1,e,2026-11-01T00:00:00Z,x\n")
    assert result.imported == 0
    assert result.errors[0][0] == 1 and result.errors[0][1].endswith(error)
    assert Event.objects.count() == 0


def test_an_empty_file_imports_nothing(workspace):
    result = run_events(workspace, "")
    assert result.errors == [(1, "The file is empty; the first line must be the header.")]


def test_a_row_over_32_kb_is_refused(workspace):
    big = '"{""pad"": ""' + "x" * 33_000 + '""}"'
    result = run_events(workspace, f"user_id,event,timestamp,properties\nu,e,2026-11-01,{big}\n")
    assert result.errors == [(2, "The row is over 32 KB.")]
    assert Event.objects.count() == 0


def test_stored_errors_are_capped_but_counted(workspace, monkeypatch):
    monkeypatch.setattr(importing, "MAX_STORED_ERRORS", 3)
    text = "user_id,event,timestamp\n" + "u,e,bad\n" * 10
    result = run_events(workspace, text)
    assert (len(result.errors), result.error_count) == (3, 10)


def test_events_stream_in_chunks(workspace, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 7)
    calls = []
    real_messages = importing.write_messages

    def spy_messages(**kwargs):
        calls.append(len(kwargs["messages"]))
        return real_messages(**kwargs)

    monkeypatch.setattr(importing, "write_messages", spy_messages)
    rows = "".join(f"u_{i % 5},e,2026-11-01T00:00:{i:02d}Z\n" for i in range(30))
    result = run_events(workspace, "user_id,event,timestamp\n" + rows)
    assert result.imported == 30
    assert calls == [7, 7, 7, 7, 2]


def test_chunks_keep_the_api_rules_across_chunk_boundaries(workspace, monkeypatch):
    # PostgreSQL sends each chunk as one statement, SQLite through the writer's
    # general path. Either way: same rows, same answers.
    monkeypatch.setattr(importing, "CHUNK_ROWS", 4)
    rows = "".join(f"u_{i % 3},e,2026-11-01T00:{i:02d}:00Z,,m-{i % 9}\n" for i in range(12))
    text = "user_id,event,timestamp,properties,message_id\n" + rows
    result = run_events(workspace, text)
    assert (result.imported, result.duplicates, result.error_count) == (9, 3, 0)
    assert Event.objects.count() == 9
    # u_0's events at minutes 0, 3 and 6 (minute 9 repeats m-0's message id).
    assert Person.objects.get(user_id="u_0").last_seen == datetime(2026, 11, 1, 0, 6, tzinfo=UTC)
    again = run_events(workspace, text)
    assert (again.imported, again.duplicates) == (0, 12)
    assert Event.objects.count() == 9


PEOPLE = """user_id,email,age,vip,tags,address,zip,note,score
u_1,a@x.com,41,true,"[""b2b"", ""beta""]","{""city"": ""Lyon""}",01234,null,1.5
u_2,,7,false,[],{},,"hello, world",-3
"""


def test_people_cells_are_typed(workspace):
    result = run_people(workspace, PEOPLE)
    assert (result.imported, result.error_count) == (2, 0)
    assert Person.objects.get(user_id="u_1").traits == {
        "email": "a@x.com",
        "age": 41,
        "vip": True,
        "tags": ["b2b", "beta"],
        "address": {"city": "Lyon"},
        "zip": "01234",
        "note": "null",
        "score": 1.5,
    }
    # Blank cells set nothing.
    assert Person.objects.get(user_id="u_2").traits == {
        "age": 7,
        "vip": False,
        "tags": [],
        "address": {},
        "note": "hello, world",
        "score": -3,
    }


def test_people_import_merges_into_existing_people_and_is_idempotent(workspace):
    PersonFactory(workspace=workspace, user_id="u_1", traits={"plan": "pro", "age": 40})
    run_people(workspace, PEOPLE)
    assert Person.objects.get(user_id="u_1").traits["plan"] == "pro"
    assert Person.objects.get(user_id="u_1").traits["age"] == 41
    before = (Person.objects.count(), Event.objects.count())
    result = run_people(workspace, PEOPLE)
    assert (result.imported, result.duplicates) == (0, 2)
    assert (Person.objects.count(), Event.objects.count()) == before


def test_a_corrected_people_file_applies_the_changes(workspace):
    run_people(workspace, "user_id,plan\nu_1,free\n")
    result = run_people(workspace, "user_id,plan\nu_1,pro\n")
    assert result.imported == 1
    assert Person.objects.get(user_id="u_1").traits == {"plan": "pro"}


def test_bad_people_rows_are_reported(workspace):
    text = 'user_id,plan\nu_1,pro\n,free\nu_3\nu_4,"x\x00y"\n' + "u" * 300 + ",x\n"
    result = run_people(workspace, text)
    assert result.imported == 1
    assert [line for line, _ in result.errors] == [3, 4, 5, 6]
    assert result.errors[0] == (3, "user_id is empty.")
    assert result.errors[3] == (6, "user_id is longer than 255 characters.")


def test_people_header_needs_user_id(workspace):
    result = run_people(workspace, "email,plan\na@x.com,pro\n")
    assert result.errors == [
        (1, "The header must have a user_id column, then one column per trait.")
    ]


def test_import_writes_only_into_the_given_workspace(workspace):
    other = WorkspaceFactory()
    run_events(other, EVENTS)
    assert not Event.objects.filter(workspace=workspace).exists()
    assert Event.objects.filter(workspace=other).count() == 3


def test_import_events_command(workspace, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(EVENTS + "u_1,e,nope,,\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_events", str(path), workspace=workspace.pk, stdout=out)
    assert out.getvalue().splitlines() == [
        "Imported 3 events, 0 duplicates, 1 bad rows.",
        'line 5: timestamp "nope" is not ISO 8601, e.g. 2026-11-01T10:00:00Z.',
    ]


def test_import_people_command_accepts_a_bom(workspace, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("\ufeffuser_id,plan\nu_1,pro\n".encode())
    out = io.StringIO()
    call_command("import_people", str(path), workspace=workspace.pk, stdout=out)
    assert out.getvalue().strip() == "Imported 1 people, 0 duplicates, 0 bad rows."
    assert Person.objects.get(user_id="u_1").traits == {"plan": "pro"}


def test_import_command_errors(workspace, tmp_path):
    with pytest.raises(CommandError, match="No workspace with id 999999"):
        call_command("import_events", str(tmp_path / "x.csv"), workspace=999999)
    with pytest.raises(CommandError, match="Cannot open"):
        call_command("import_events", str(tmp_path / "missing.csv"), workspace=workspace.pk)


def test_invalid_utf8_is_reported_on_its_line(workspace, tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(
        b"user_id,event,timestamp\nu_1,e,2026-11-01T00:00:00Z\n"
        b"u_2,\xff,2026-11-01T00:00:00Z\nu_3,e,2026-11-01T00:00:00Z\n"
    )
    out = io.StringIO()
    call_command("import_events", str(path), workspace=workspace.pk, stdout=out)
    assert out.getvalue().splitlines() == [
        "Imported 2 events, 0 duplicates, 1 bad rows.",
        "line 3: event contains a NUL character or invalid Unicode.",
    ]


def test_a_chunk_whose_people_a_concurrent_writer_created_is_stored_once(workspace, monkeypatch):
    """PostgreSQL: userIds that lost a creation race are sent again, only their rows."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the single-statement track path is PostgreSQL's")
    real = postgres.write_tracks
    raced = []

    def racing(**kwargs):
        stored, unresolved = real(**kwargs)
        if not raced:
            # As if u_1 had been created by another batch after the statement began.
            raced.append(True)
            Event.objects.filter(person__user_id="u_1").delete()
            return stored - 2, {"u_1"}
        return stored, unresolved

    monkeypatch.setattr(postgres, "write_tracks", racing)
    rows = "".join(f"u_{i % 3},e,2026-11-01T00:00:{i:02d}Z\n" for i in range(6))
    result = run_events(workspace, "user_id,event,timestamp\n" + rows)
    assert (result.imported, result.duplicates) == (6, 0)
    assert Event.objects.filter(person__user_id="u_1").count() == 2
    assert Event.objects.count() == 6


def _seen_ranges() -> dict[str, tuple[datetime, datetime]]:
    return {p.user_id: (p.first_seen, p.last_seen) for p in Person.objects.all()}


def test_an_import_leaves_exact_seen_ranges_and_a_rerun_changes_nothing(workspace, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 4)
    PersonFactory(
        workspace=workspace,
        user_id="u_0",
        first_seen=datetime(2026, 11, 10, tzinfo=UTC),
        last_seen=datetime(2026, 11, 10, tzinfo=UTC),
    )
    rows = "".join(f"u_{i % 3},e,2026-11-{i + 1:02d}T08:00:00Z\n" for i in range(12))
    text = "user_id,event,timestamp\n" + rows
    assert run_events(workspace, text).imported == 12
    expected = {
        "u_0": (datetime(2026, 11, 1, 8, tzinfo=UTC), datetime(2026, 11, 10, 8, tzinfo=UTC)),
        "u_1": (datetime(2026, 11, 2, 8, tzinfo=UTC), datetime(2026, 11, 11, 8, tzinfo=UTC)),
        "u_2": (datetime(2026, 11, 3, 8, tzinfo=UTC), datetime(2026, 11, 12, 8, tzinfo=UTC)),
    }
    assert _seen_ranges() == expected
    again = run_events(workspace, text)
    assert (again.imported, again.duplicates) == (0, 12)
    assert _seen_ranges() == expected


def test_an_import_that_fails_midway_keeps_what_it_stored_with_exact_ranges(workspace, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 2)
    real = importing.write_messages
    calls: list[int] = []

    def failing(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return real(**kwargs)

    monkeypatch.setattr(importing, "write_messages", failing)
    rows = "".join(f"u_1,e,2026-11-0{i + 1}T00:00:00Z\n" for i in range(6))
    with pytest.raises(RuntimeError, match="the disk is full"):
        run_events(workspace, "user_id,event,timestamp\n" + rows)
    assert Event.objects.count() == 2
    assert _seen_ranges() == {
        "u_1": (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))
    }


def test_an_import_ends_by_analyzing_the_tables_it_filled(workspace):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    rows = "".join(f"u_{i},e,2026-11-01T00:00:00Z\n" for i in range(300))
    assert run_events(workspace, "user_id,event,timestamp\n" + rows).imported == 300
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class "
            "WHERE relname IN ('segments_event', 'segments_person') ORDER BY relname"
        )
        assert cursor.fetchall() == [("segments_event", 300.0), ("segments_person", 300.0)]
