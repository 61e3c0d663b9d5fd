"""The API's JSON parser: DRF's, with nesting too deep to walk refused as a 400."""

from __future__ import annotations

import codecs
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from workspaces.untrusted import find_lone_surrogate, loads_json


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser, except that these are a ParseError (400):

    - JSON nested thousands of levels deep (a RecursionError in the parser or in what
      walks the value next);
    - a lone surrogate escape (`"\\ud800"`): not text, so no field can hold it, and an
      error message echoing it could not be encoded to answer with.

    NUL characters are valid text, refused by the validators of what stores them.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        # Refuses bytes-to-bytes codecs (bz2_codec...); newer than djangorestframework-stubs.
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            text = codecs.getreader(encoding)(stream).read()
            parse_constant = json.strict_constant if self.strict else None
            data = loads_json(text, parse_constant=parse_constant)
        except ValueError as exc:  # UnicodeDecodeError is one
            raise ParseError(f"JSON parse error - {exc}") from exc
        invalid = find_lone_surrogate(data)
        if invalid is not None:
            where = f"{invalid.path}: " if invalid.path else ""
            raise ParseError(f"JSON parse error - {where}{invalid.problem}")
        return data
