"""The API's JSON parser: a body nested too deeply for Python's decoder is a 400, not a 500."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # json.loads recurses once per nesting level and gives up near 1,000 levels.
            raise ParseError("JSON parse error - the body is nested too deeply.") from exc
