"""What untrusted input must be before it goes further: text a database can store, JSON
shallow enough to walk, ids written in ASCII digits.

Each check answers with a message a person can act on; the callers attach it to the
field they validate (a 400 in the API, a form error in the web UI), so a hostile value
is refused where it enters instead of failing deep inside a query.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# PostgreSQL refuses NUL in text and jsonb; a lone surrogate has no UTF-8 encoding.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")

# Far deeper than any definition needs (rule groups nest at most 12 levels, about 26
# JSON levels), far shallower than Python's recursion limit, which json.loads,
# json.dumps and every recursive walk of the value would otherwise reach.
MAX_JSON_DEPTH = 100

# Primary keys are bigints.
MAX_ID = 2**63 - 1


def text_problem(text: str, *, pattern: re.Pattern[str] = _UNSTORABLE) -> str | None:
    """Why `text` cannot be stored, or None when it can."""
    found = pattern.search(text)
    if found is None:
        return None
    char = found.group()
    shown = json.dumps(text if len(text) <= 40 else text[:37] + "...")
    if char == "\x00":
        return f"contains a NUL character (\\u0000), which cannot be stored: {shown}"
    return (
        f"contains a lone surrogate (\\u{ord(char):04x}), which is not valid Unicode text: {shown}"
    )


@dataclass(frozen=True)
class Unstorable:
    """Where in a JSON value the first text that cannot be stored is, and why."""

    path: str
    problem: str


def json_path(path: str, key: str | int) -> str:
    """`all[1].value`-style paths, read like the JSON they point into."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def find_unstorable(value: Any, path: str = "") -> Unstorable | None:
    """The first string (value or object key) in `value` a database cannot store.

    Walks without recursion, so any depth the JSON parser produced is safe to check.
    Keys are reported at the object holding them, as "a key ...".
    """
    return _find(value, path, _UNSTORABLE)


def find_lone_surrogate(value: Any, path: str = "") -> Unstorable | None:
    """The first string in `value` that is not valid Unicode: it cannot even be encoded
    to answer with, let alone stored."""
    return _find(value, path, _SURROGATE)


def _find(value: Any, path: str, pattern: re.Pattern[str]) -> Unstorable | None:
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item, pattern=pattern)
            if problem is not None:
                return Unstorable(where, problem)
        elif isinstance(item, dict):
            children: list[tuple[str, Any]] = []
            for key, child in item.items():
                problem = text_problem(key, pattern=pattern) if isinstance(key, str) else None
                if problem is not None:
                    return Unstorable(where, f"a key {problem}")
                children.append((json_path(where, key), child))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(json_path(where, i), c) for i, c in enumerate(item)]))
    return None


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether lists and objects in `value` nest deeper than `limit` levels."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def loads_json(
    text: str | bytes,
    *,
    max_depth: int = MAX_JSON_DEPTH,
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """`json.loads` that refuses nesting deeper than `max_depth` with a ValueError."""
    too_deep = f"nested deeper than {max_depth} levels"
    try:
        value = json.loads(text, parse_constant=parse_constant)
    except RecursionError as exc:
        raise ValueError(too_deep) from exc
    if json_depth_exceeds(value, max_depth):
        raise ValueError(too_deep)
    return value


def parse_id(text: str | None) -> int | None:
    """A primary key typed into a form: ASCII digits in bigint range, else None.

    `str.isdigit` accepts "²" (which `int` refuses) and `int` accepts "٣" (Arabic-Indic
    three); neither is how anyone writes an id.
    """
    if not text or len(text) > 19 or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
