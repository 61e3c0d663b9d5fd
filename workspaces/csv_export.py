"""CSV downloads that a spreadsheet opens safely, streamed row by row.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (CSV injection, OWASP); a leading
`'` makes it text. The writer streams: memory holds one row, never the whole file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: str) -> str:
    """`value`, prefixed with `'` when a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # one spelling of 60 whichever database summed it
    if isinstance(value, int | float):
        # Numbers are data, not formulas: -3 stays a number a spreadsheet can sum.
        return str(value)
    return escape_cell(str(value))


class _Echo:
    """A file-like object whose write returns the line, for csv.writer to stream through."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The header, then one escaped CSV line per row, lazily."""
    writer = csv.writer(_Echo())
    yield writer.writerow([escape_cell(column) for column in header])
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def streaming_csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A download of `rows` under `header`, streamed as it is produced."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    safe = "".join(c for c in filename if c.isalnum() or c in "-_.") or "export.csv"
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response
