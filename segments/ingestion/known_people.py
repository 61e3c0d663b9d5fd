"""The people this process has stored events for: userId → person id and seen range.

Finding each userId's person (a unique-index probe per distinct userId) and
reading its seen range to decide whether the batch moves it took ~40 % of the
track statement's backend CPU (a 100-event batch: 3.9 ms with the lookups,
2.4 ms with the ids given; alternating runs on copies of one database,
2026-11-29). Active users send most events, so each process remembers them.

Why a remembered entry stays right without invalidation:

- The id. A person with a userId is never deleted while their workspace lives
  (merges delete only anonymous people, segments/models.py) and never changes
  userId, so (workspace, userId) → person id holds for the workspace's life.
  Entries are added only after the statement that found or created the person
  committed (`transaction.on_commit`), so a rolled-back person is never
  remembered.
- The seen range. A person's first/last seen only ever widen. An entry holds a
  range the person has in the database or will have once the queued widenings
  this process sent are folded, never more; a batch inside that range (last
  seen within LAST_SEEN_RESOLUTION) queues nothing, any other queues its range
  and widens the entry. Another process's batches make the entry narrower
  than the truth, which only queues more.

Bounded: at MAX_ENTRIES the memory is dropped and refilled from the database.
"""

from __future__ import annotations

import threading
from datetime import datetime

MAX_ENTRIES = 50_000

# userId -> (person id, first seen, last seen), per workspace id
Entry = tuple[int, datetime, datetime]

_workspaces: dict[int, dict[str, Entry]] = {}
_size = 0
_lock = threading.Lock()
_EMPTY: dict[str, Entry] = {}


def of(workspace_id: int) -> dict[str, Entry]:
    """The workspace's known people by userId (read-only for callers)."""
    return _workspaces.get(workspace_id, _EMPTY)


def get(workspace_id: int, user_id: str) -> Entry | None:
    return of(workspace_id).get(user_id)


def remember(workspace_id: int, entries: dict[str, Entry]) -> None:
    """Record people and ranges a committed statement stored (see the module docstring)."""
    global _size
    with _lock:
        if _size + len(entries) > MAX_ENTRIES:
            _workspaces.clear()
            _size = 0
        people = _workspaces.setdefault(workspace_id, {})
        before = len(people)
        people.update(entries)
        _size += len(people) - before


def forget_all() -> None:
    """Drop everything (tests; a process that must not trust what it saw)."""
    global _size
    with _lock:
        _workspaces.clear()
        _size = 0


def size() -> int:
    return _size
