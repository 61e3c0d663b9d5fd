"""CSV import of people and events, streamed through the ingestion write path.

Rows are read in chunks (CHUNK_ROWS) and each chunk goes through the same
validation and bulk writer as the API, so memory stays flat whatever the file
size and the rules are the API's. A reader thread parses and validates the
next chunk while this one is written (it touches no database and is at most
one chunk ahead), so parsing and storing overlap on two cores. A row without a
message_id gets one derived from its content, which is what makes a re-run of
the same file idempotent: every row comes back as a duplicate and nothing
changes.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import math
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from django.utils import timezone

from people.ingestion.validation import MAX_ITEM_BYTES, ItemError, Message, validate_item
from people.ingestion.writer import write_messages
from people.maintenance import analyze_people_tables
from workspaces.models import Workspace

CHUNK_ROWS = 10_000
MAX_STORED_ERRORS = 1000
EVENT_COLUMNS = ("user_id", "event", "timestamp", "properties", "message_id")
REQUIRED_EVENT_COLUMNS = ("user_id", "event", "timestamp")
# Spreadsheets in many locales save "CSV" with semicolons (the comma is their decimal
# mark), or tabs; a header without a comma is sniffed for one of these.
OTHER_DELIMITERS = ";\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
SNIFF_LINES = 50
# API field names in validation messages, as the CSV columns are called.
_COLUMN_NAMES = (("userId", "user_id"), ("messageId", "message_id"))


@dataclass
class ImportResult:
    imported: int = 0
    duplicates: int = 0
    # (line number, reason); at most MAX_STORED_ERRORS are kept, error_count counts all.
    errors: list[tuple[int, str]] = field(default_factory=list)
    error_count: int = 0
    # The separator the file was read with (recognized when the header has no comma).
    delimiter: str = ","

    def add_error(self, line: int, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append((line, reason))

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))

    def summary(self, *, max_errors: int) -> dict[str, Any]:
        """A JSON-able copy with the first `max_errors` problems (for a session)."""
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "errors": [[line, reason] for line, reason in self.errors[:max_errors]],
            "error_count": self.error_count,
            "delimiter": self.delimiter,
        }

    @classmethod
    def from_summary(cls, data: dict[str, Any]) -> ImportResult:
        return cls(
            imported=int(data["imported"]),
            duplicates=int(data["duplicates"]),
            errors=[(int(line), str(reason)) for line, reason in data["errors"]],
            error_count=int(data["error_count"]),
            delimiter=str(data["delimiter"]),
        )


class RowError(ValueError):
    pass


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


# One decoder for every cell: json.loads with options builds a new one per call.
_decode = json.JSONDecoder(parse_constant=_reject_constant).decode


def _content_id(prefix: str, cells: list[str]) -> str:
    digest = hashlib.blake2b("\x1f".join(cells).encode("utf-8", "surrogatepass"), digest_size=16)
    return f"{prefix}:{digest.hexdigest()}"


def import_events_csv(*, workspace: Workspace, file: TextIO) -> ImportResult:
    """Import `user_id,event,timestamp,properties,message_id` rows (the last two optional)."""
    result = ImportResult()
    reader = _reader(file, result)
    if reader is None:
        return result
    columns = _header(reader, result, _check_event_header)
    if columns is None:
        return result
    position = {name: columns.index(name) for name in columns}

    def to_item(cells: list[str]) -> dict[str, Any]:
        return _event_item(cells, position)

    _run(workspace, reader, len(columns), to_item, result)
    return result


def import_people_csv(*, workspace: Workspace, file: TextIO) -> ImportResult:
    """Import `user_id` + one column per trait; JSON-looking cells are typed, blanks skipped."""
    result = ImportResult()
    reader = _reader(file, result)
    if reader is None:
        return result
    columns = _header(reader, result, _check_people_header)
    if columns is None:
        return result
    user_index = columns.index("user_id")
    traits = [(i, name) for i, name in enumerate(columns) if i != user_index]
    # One time for the whole run: the import is one write, later than what came before.
    now = timezone.now().isoformat()

    def to_item(cells: list[str]) -> dict[str, Any]:
        user_id = cells[user_index].strip()
        if not user_id:
            raise RowError("user_id is empty.")
        return {
            "type": "identify",
            "userId": user_id,
            "traits": {name: _typed(cells[i]) for i, name in traits if cells[i] != ""},
            "timestamp": now,
            "messageId": _content_id("csv-person", cells),
        }

    _run(workspace, reader, len(columns), to_item, result)
    return result


def _reader(file: TextIO, result: ImportResult) -> Iterator[list[str]] | None:
    """A CSV reader for the file's own separator, or None (the reason on line 1).

    A header with a comma is read as comma-separated, as always. A header without
    one but with a semicolon, tab or vertical bar has its first lines sniffed
    (csv.Sniffer); when they do not tell which of several it is, the file is
    refused with that reason rather than read as one column and refused row by row."""
    try:
        head = list(itertools.islice(file, SNIFF_LINES))
    except UnicodeDecodeError as exc:
        result.add_error(1, f"The file is not UTF-8 text: {exc}")
        return None
    lines = itertools.chain(head, file)
    header = head[0] if head else ""
    found = [d for d in OTHER_DELIMITERS if d in header]
    if "," in header or not found:
        return csv.reader(lines)
    try:
        delimiter = csv.Sniffer().sniff("".join(head), delimiters=OTHER_DELIMITERS).delimiter
    except csv.Error:
        if len(found) > 1:
            names = " or ".join(DELIMITER_NAMES[d] for d in found)
            result.add_error(
                1,
                f"The header has no commas, and whether the columns are separated by {names} "
                "cannot be told. Save the file as comma-separated CSV (UTF-8) and upload it again.",
            )
            return None
        delimiter = found[0]
    result.delimiter = delimiter
    return csv.reader(lines, delimiter=delimiter)


def _header(
    reader: Iterator[list[str]],
    result: ImportResult,
    check: Callable[[list[str]], str | None],
) -> list[str] | None:
    try:
        header = next(reader)
    except StopIteration:
        result.add_error(1, "The file is empty; the first line must be the header.")
        return None
    except (csv.Error, UnicodeDecodeError) as exc:
        result.add_error(1, f"The header cannot be read: {exc}")
        return None
    columns = [name.strip() for name in header]
    problem = check(columns)
    if problem is None and len(set(columns)) != len(columns):
        problem = "The header repeats a column."
    if problem is not None:
        result.add_error(1, problem)
        return None
    return columns


def _check_event_header(columns: list[str]) -> str | None:
    unknown = [c for c in columns if c not in EVENT_COLUMNS]
    missing = [c for c in REQUIRED_EVENT_COLUMNS if c not in columns]
    if unknown or missing:
        return (
            f"The header must be {','.join(EVENT_COLUMNS)} (properties and message_id optional); "
            + (f"unknown: {', '.join(unknown)}" if unknown else f"missing: {', '.join(missing)}")
            + "."
        )
    return None


def _check_people_header(columns: list[str]) -> str | None:
    if "user_id" not in columns:
        return "The header must have a user_id column, then one column per trait."
    if any(not name for name in columns):
        return "Every header column needs a name."
    return None


def _event_item(cells: list[str], position: dict[str, int]) -> dict[str, Any]:
    def cell(name: str) -> str:
        index = position.get(name)
        return cells[index] if index is not None else ""

    user_id, event, timestamp = cell("user_id").strip(), cell("event"), cell("timestamp").strip()
    if not user_id:
        raise RowError("user_id is empty.")
    if not timestamp:
        raise RowError("timestamp is empty; give the event time in ISO 8601.")
    raw = cell("properties").strip()
    properties: Any = {}
    if raw:
        try:
            properties = _decode(raw)
        except (ValueError, RecursionError):
            raise RowError("properties is not valid JSON.") from None
    message_id = cell("message_id").strip() or _content_id("csv", [user_id, event, timestamp, raw])
    return {
        "type": "track",
        "userId": user_id,
        "event": event,
        "timestamp": timestamp,
        "properties": properties,
        "messageId": message_id,
    }


_JSON_START = frozenset("-0123456789tf[{")


def _typed(cell: str) -> Any:
    """Numbers, booleans, lists and objects written as JSON are typed; the rest stay strings."""
    if cell[0] not in _JSON_START:
        return cell
    try:
        value = _decode(cell)
    except (ValueError, RecursionError):
        return cell
    if isinstance(value, float) and not math.isfinite(value):
        return cell
    return value if isinstance(value, int | float | bool | list | dict) else cell


def _run(
    workspace: Workspace,
    reader: Any,
    width: int,
    to_item: Callable[[list[str]], dict[str, Any]],
    result: ImportResult,
) -> None:
    """Read, validate and store chunk by chunk; a reader thread works one chunk ahead."""
    for chunk in _read_ahead(_chunks(reader, width, to_item)):
        for line, reason in chunk.errors:
            result.add_error(line, reason)
        if chunk.messages:
            written = write_messages(
                workspace_id=workspace.pk, messages=chunk.messages, received_at=chunk.received_at
            )
            result.imported += written.accepted
            result.duplicates += written.duplicates
    if result.imported:
        # What the file added is planned for from now on, not after autovacuum.
        analyze_people_tables()
    result.errors.sort()


@dataclass
class _Chunk:
    messages: list[Message]
    errors: list[tuple[int, str]]
    received_at: datetime


def _chunks(
    reader: Any, width: int, to_item: Callable[[list[str]], dict[str, Any]]
) -> Iterator[_Chunk]:
    """Validated chunks of CHUNK_ROWS rows, with the bad rows' line numbers and reasons."""
    items: list[tuple[int, dict[str, Any]]] = []
    errors: list[tuple[int, str]] = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except (csv.Error, UnicodeDecodeError) as exc:
            errors.append((line, f"The file cannot be read past this line: {exc}"))
            break
        line = reader.line_num
        if not any(cells):
            continue
        if len(cells) != width:
            errors.append((line, f"Expected {width} columns, found {len(cells)}."))
            continue
        if sum(map(len, cells)) > MAX_ITEM_BYTES:
            errors.append((line, f"The row is over {MAX_ITEM_BYTES // 1024} KB."))
            continue
        try:
            items.append((line, to_item(cells)))
        except RowError as exc:
            errors.append((line, str(exc)))
        if len(items) >= CHUNK_ROWS:
            yield _validated(items, errors)
            items, errors = [], []
    if items or errors:
        yield _validated(items, errors)


def _validated(items: list[tuple[int, dict[str, Any]]], errors: list[tuple[int, str]]) -> _Chunk:
    received_at = timezone.now()
    messages: list[Message] = []
    for index, (line, item) in enumerate(items):
        try:
            messages.append(validate_item(item, index=index, received_at=received_at))
        except ItemError as exc:
            reason = str(exc)
            for api_name, column in _COLUMN_NAMES:
                reason = reason.replace(api_name, column)
            errors.append((line, reason))
    return _Chunk(messages, errors, received_at)


_DONE = object()


def _read_ahead(chunks: Iterator[_Chunk]) -> Iterator[_Chunk]:
    """Run `chunks` in a thread, one chunk ahead of the consumer (memory stays bounded)."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def offer(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False  # the consumer has gone

    def produce() -> None:
        try:
            for chunk in chunks:
                if not offer(chunk):
                    return
            offer(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            offer(exc)

    thread = threading.Thread(target=produce, name="csv-import-reader", daemon=True)
    thread.start()
    try:
        while (chunk := ready.get()) is not _DONE:
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk
    finally:
        stop.set()
        thread.join()
