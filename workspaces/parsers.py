"""The API's JSON parser: DRF's, with nesting too deep to walk refused as a 400."""

from __future__ import annotations

import codecs
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from workspaces.untrusted import loads_json


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser, except that JSON nested thousands of levels deep is a ParseError
    (400) instead of a RecursionError (500) in the parser or in what walks the value next."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        # Refuses bytes-to-bytes codecs (bz2_codec...); newer than djangorestframework-stubs.
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            text = codecs.getreader(encoding)(stream).read()
            parse_constant = json.strict_constant if self.strict else None
            return loads_json(text, parse_constant=parse_constant)
        except ValueError as exc:  # UnicodeDecodeError is one
            raise ParseError(f"JSON parse error - {exc}") from exc
