"""Invitation links as CSV, for sending through a CRM (a study whose channel is `link`,
or any study): one row per invitation, oldest first.

Columns: `user_id`, `email` (the person's `email` trait, when it is text), `segment`
(the name of the target segment the invitation is attributed to), `url` (the personal
interview link), `status`, `expires_at` (ISO 8601). Rows are read in chunks by id
(keyset), so an export of any size streams in bounded memory; every cell goes through
`workspaces.spreadsheets.spreadsheet_safe` against formula injection.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from studies import selectors
from studies.links import invitation_url
from studies.models import Study
from workspaces.spreadsheets import csv_lines

HEADER: Final = ("user_id", "email", "segment", "url", "status", "expires_at")
CHUNK: Final = 2000


def invitation_rows(
    *, study: Study, status: str | None = None, segment_id: int | None = None, chunk: int = CHUNK
) -> Iterator[tuple[Any, ...]]:
    rows = selectors.invitation_list(study=study, status=status, segment_id=segment_id)
    after = 0
    while True:
        batch = list(
            rows.filter(pk__gt=after).values_list(
                "pk",
                "person__user_id",
                "person__traits__email",
                "segment__name",
                "token",
                "status",
                "expires_at",
            )[:chunk]
        )
        for _pk, user_id, email, segment, token, state, expires_at in batch:
            yield (
                user_id,
                email if isinstance(email, str) else "",
                segment,
                invitation_url(token),
                state,
                expires_at,
            )
        if len(batch) < chunk:
            return
        after = batch[-1][0]


def invitation_csv(
    *, study: Study, status: str | None = None, segment_id: int | None = None
) -> Iterator[str]:
    """The CSV text, line by line, for a StreamingHttpResponse."""
    return csv_lines(HEADER, invitation_rows(study=study, status=status, segment_id=segment_id))


def csv_filename(study: Study) -> str:
    return f"{study.key}-invitations.csv"
