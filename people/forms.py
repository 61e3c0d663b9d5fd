"""Web forms of the people pages."""

from __future__ import annotations

import io

from django import forms

from people.importing import ImportResult, import_events_csv, import_people_csv
from people.selectors import PeopleQuery, parse_people_query
from workspaces.models import Workspace
from workspaces.untrusted import find_unstorable

# Larger files belong to `manage.py import_people/import_events`, which stream from disk.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class CsvImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[("people", "People and their traits"), ("events", "Events")],
        widget=forms.RadioSelect,
        initial="people",
        error_messages={"required": "Choose whether the file holds people or events."},
    )
    file = forms.FileField(
        label="CSV file",
        error_messages={
            "required": "Choose a CSV file to upload.",
            "empty": "The file is empty; the first line must be the header.",
        },
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. "
                "Import it with manage.py import_people or import_events instead."
            )
        return upload

    def run(self, *, workspace: Workspace) -> ImportResult:
        """Stream the upload through the importer: UTF-8 (a BOM from Excel is fine)."""
        text = io.TextIOWrapper(self.cleaned_data["file"], encoding="utf-8-sig", newline="")
        try:
            if self.cleaned_data["kind"] == "events":
                return import_events_csv(workspace=workspace, file=text)
            return import_people_csv(workspace=workspace, file=text)
        finally:
            text.detach()


class SearchForm(forms.Form):
    """The search box of a list page (accounts: part of a group id).

    Django's CharField refuses a NUL character ("Null characters are not allowed."):
    no stored text holds one, and PostgreSQL would refuse the query.
    """

    q = forms.CharField(required=False)


class PeopleSearchForm(SearchForm):
    """Part of a user id, or `key=value` trait terms; `query` is the parsed search."""

    def clean_q(self) -> str:
        text: str = self.cleaned_data["q"]
        query = parse_people_query(text)
        # A quoted value may spell a NUL or a lone surrogate as a JSON escape.
        unstorable = find_unstorable([value for _key, value in query.traits])
        if unstorable is not None:
            raise forms.ValidationError(f"A trait value {unstorable.problem}.")
        self.cleaned_data["query"] = query
        return text

    @property
    def query(self) -> PeopleQuery | None:
        """The parsed search, or None when the form is invalid."""
        return self.cleaned_data.get("query") if self.is_valid() else None
