"""CSV files that people open in a spreadsheet: cells that cannot run as formulas,
written as a stream.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read
by Excel, LibreOffice and Google Sheets as a formula ("CSV injection", OWASP): a user
id such as `=cmd|' /C calc'!A0` from ingested data would run when a researcher opens
the export. `spreadsheet_safe` prefixes such a cell with `'`, which the spreadsheet
shows as text. Every export of workspace data (invitation links, segment members)
writes its cells through it; numbers and dates are written as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Final

from django.http import StreamingHttpResponse

FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> str:
    """The cell's text, prefixed with `'` when a spreadsheet would take it for a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # one spelling of 60, whichever database summed it
    if isinstance(value, int | float):
        return str(value)  # a negative number is a number, not a formula
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Line:
    """A file-like object whose write returns the line, for csv.writer."""

    def write(self, text: str) -> str:
        return text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text line by line (header first), every cell made spreadsheet-safe; for a
    StreamingHttpResponse over rows read in chunks, so memory stays bounded."""
    writer = csv.writer(_Line())
    yield writer.writerow([spreadsheet_safe(name) for name in header])
    for row in rows:
        yield writer.writerow([spreadsheet_safe(cell) for cell in row])


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
