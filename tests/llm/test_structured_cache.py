"""A schema is checked against the metaschema once, not on every call (an interview turn)."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from llm.structured import check_schema, schema_problem

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"probe": {"type": "boolean"}, "n": {"type": "integer"}},
    "required": ["probe"],
    "additionalProperties": False,
}


def test_the_same_schema_is_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    original = Draft202012Validator.check_schema

    def counting(schema: Any) -> None:
        calls.append(schema)
        original(schema)

    monkeypatch.setattr(Draft202012Validator, "check_schema", counting)
    fresh = {**SCHEMA, "title": "checked once"}

    for _ in range(3):
        check_schema(fresh)
        assert schema_problem({"probe": True}, fresh) is None
        assert schema_problem({"probe": "yes"}, fresh) == (
            "does not match the schema: type failed at $.probe"
        )

    assert len(calls) == 1


def test_a_bad_schema_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="invalid JSON schema"):
            check_schema({"type": "object", "properties": {"x": {"type": "nonsense"}}})
        with pytest.raises(ValueError, match="must describe a JSON object"):
            check_schema({"type": "array"})
