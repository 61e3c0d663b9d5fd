"""Hostile input, one small set of values per class, for the generic walks.

The walks (tests/workspaces/test_tenant_isolation.py for the API,
tests/workspaces/test_web_walk.py for the web forms) send these to every route they
discover; every answer must stay below 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

NUL = "u\u0000x"
SURROGATE = "u\ud800x"  # only inside JSON (escaped): no form or URL encoding carries one
DATES = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
DIGITS = ["²", "٣"]  # a superscript two (isdigit, but int() refuses) and an Arabic-Indic three
DEPTH = 3_000

# Values a query string or a form field can carry, one or two per class.
TEXT_VALUES = [NUL, *DATES, *DIGITS]
# What a JSON body can carry besides: a lone surrogate (as the \ud800 escape).
JSON_VALUES = [*TEXT_VALUES, SURROGATE]
# JSON text a field may parse (the rule builder's definition): escapes a form cannot carry raw.
JSON_TEXT_VALUES = [
    json.dumps({"trait": "plan", "op": "eq", "value": NUL}),
    json.dumps({"event": SURROGATE}),
    "[" * DEPTH + "]" * DEPTH,
]


def deep_json(depth: int = DEPTH) -> str:
    """A JSON document nested `depth` levels deep (as text: json.dumps would recurse)."""
    return '{"a": ' * depth + "1" + "}" * depth


def json_body(value: Any) -> str:
    """JSON text with non-ASCII escaped, so a lone surrogate travels as `\\ud800`."""
    return json.dumps(value)


def mutations(seed: Any, values: list[Any]) -> Iterator[Any]:
    """Copies of `seed` with one leaf replaced by each value, or one key spelled with a NUL.

    Reaches what a flat body cannot: a rule value three levels down, an event name
    inside a cluster feature.
    """
    if isinstance(seed, dict):
        for key, child in seed.items():
            yield {**{k: v for k, v in seed.items() if k != key}, key + NUL: child}
            for changed in mutations(child, values):
                yield {**seed, key: changed}
    elif isinstance(seed, list):
        for index, child in enumerate(seed):
            for changed in mutations(child, values):
                yield [*seed[:index], changed, *seed[index + 1 :]]
    else:
        yield from values
