"""The one helper every CSV export writes its cells through (formula injection)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workspaces.spreadsheets import csv_lines, spreadsheet_safe


@pytest.mark.parametrize(
    "value,cell",
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1-555", "'+1-555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-3, "-3"),
        (2.5, "2.5"),
        (True, "true"),
        (datetime(2026, 12, 1, tzinfo=UTC), "2026-12-01T00:00:00+00:00"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_made_text(value, cell):
    assert spreadsheet_safe(value) == cell


def test_csv_lines_streams_a_header_then_escaped_rows():
    lines = csv_lines(["user_id", "note"], iter([["=1+1", 'say "hi"'], ["u", None]]))
    assert list(lines) == ["user_id,note\r\n", '\'=1+1,"say ""hi"""\r\n', "u,\r\n"]
