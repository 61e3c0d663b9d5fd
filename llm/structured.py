"""Structured output: ask for JSON, parse it, validate it against the caller's schema.

A reply counts only if it parses as one JSON object and validates against the
JSON Schema the caller gave; anything else is `InvalidOutput`, which the
client answers with one re-ask and then treats as a failure.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match
from openai.types.chat.completion_create_params import ResponseFormat

JsonObject = dict[str, Any]

_NAME_RE = re.compile(r"[^a-zA-Z0-9_-]")
# Some OpenAI-compatible servers wrap JSON in a Markdown fence even in JSON mode.
_FENCE_RE = re.compile(r"\A```(?:json)?\s*\n(?P<body>.*)\n```\Z", re.DOTALL)


class InvalidOutput(Exception):
    """The model replied, but not with what was asked. `reason` holds no reply text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_schema(schema: JsonObject) -> None:
    """Reject a schema that is not valid JSON Schema or does not describe an object.

    A bad schema is a programming error, reported at once rather than as a
    model failure that would quietly fall back.
    """
    _validator(_canonical(schema))


def _canonical(schema: JsonObject) -> str:
    return json.dumps(schema, sort_keys=True)


@functools.lru_cache(maxsize=128)
def _validator(canonical: str) -> Draft202012Validator:
    """A checked validator per schema: callers pass the same few schemas on every call
    (an interview turn), and checking a schema against the metaschema costs a millisecond."""
    schema = json.loads(canonical)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise ValueError(f"invalid JSON schema: {error.message}") from error
    if schema.get("type") != "object":
        raise ValueError('the schema must describe a JSON object ("type": "object")')
    return Draft202012Validator(schema)


def schema_format(schema: JsonObject, *, name: str, strict: bool) -> ResponseFormat:
    return {
        "type": "json_schema",
        "json_schema": {"name": _NAME_RE.sub("_", name)[:64], "schema": schema, "strict": strict},
    }


def object_format() -> ResponseFormat:
    return {"type": "json_object"}


def schema_instruction(schema: JsonObject) -> str:
    """The schema spelled out in the prompt, for servers that only know JSON mode."""
    return (
        "Reply with one JSON object, and nothing else, that validates against this "
        f"JSON Schema:\n{json.dumps(schema, sort_keys=True)}"
    )


def parse_object(content: str | None, schema: JsonObject) -> JsonObject:
    """Parse `content` as a JSON object valid against `schema`, or raise `InvalidOutput`."""
    if content is None or not content.strip():
        raise InvalidOutput("empty reply")
    text = content.strip()
    fenced = _FENCE_RE.match(text)
    if fenced:
        text = fenced.group("body")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidOutput(
            f"invalid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from error
    if not isinstance(data, dict):
        raise InvalidOutput(f"JSON {type(data).__name__}, not an object")
    problem = schema_problem(data, schema)
    if problem:
        raise InvalidOutput(problem)
    return data


def schema_problem(data: object, schema: JsonObject) -> str | None:
    """Where `data` breaks `schema`, named by path and keyword only (values may be private)."""
    error = best_match(_validator(_canonical(schema)).iter_errors(data))
    if error is None:
        return None
    return f"does not match the schema: {error.validator!s} failed at {error.json_path}"
