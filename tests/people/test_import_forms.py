"""The CSV upload behaves: the result is shown after a redirect (a refresh imports
nothing again), and a file separated by semicolons, tabs or bars is read as such or
refused with that reason."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from people.models import Event, Person

PEOPLE = reverse("people:list")
IMPORT = reverse("people:import")


@pytest.fixture
def researcher(client, owner):
    client.force_login(owner)
    return client


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("upload.csv", text.encode(), content_type="text/csv")


def test_the_result_is_shown_once_after_the_redirect(researcher, workspace):
    response = researcher.post(IMPORT, {"kind": "people", "file": csv_file("user_id\na\nb\n")})
    assert response.status_code == 302
    assert response["Location"] == f"{PEOPLE}#import-result"
    shown = researcher.get(PEOPLE).content.decode()
    assert "Import finished" in shown and "<dt>People imported</dt><dd>2</dd>" in shown
    # A refresh of the page is a GET: nothing is imported again and the result is gone.
    refreshed = researcher.get(PEOPLE).content.decode()
    assert "Import finished" not in refreshed
    assert Person.objects.filter(workspace=workspace).count() == 2


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("user_id;plan;seats\nu1;pro;5\nu2;free;1\n", "semicolon"),
        ("user_id\tplan\tseats\nu1\tpro\t5\nu2\tfree\t1\n", "tab"),
        ("user_id|plan|seats\nu1|pro|5\nu2|free|1\n", "vertical bar"),
    ],
)
def test_another_separator_is_recognized(researcher, workspace, text, name):
    response = researcher.post(IMPORT, {"kind": "people", "file": csv_file(text)}, follow=True)
    result = response.context["import_result"]
    assert (result.imported, result.error_count) == (2, 0)
    body = response.content.decode()
    assert f"The columns were separated by a {name}, not a comma" in body
    traits = dict(Person.objects.filter(workspace=workspace).values_list("user_id", "traits"))
    assert traits == {"u1": {"plan": "pro", "seats": 5}, "u2": {"plan": "free", "seats": 1}}


def test_semicolon_events_keep_their_quoted_json(researcher, workspace):
    text = (
        "user_id;event;timestamp;properties\n"
        'e1;Order Completed;2026-11-01T10:00:00Z;"{""amount"": 49, ""plan"": ""pro""}"\n'
    )
    response = researcher.post(IMPORT, {"kind": "events", "file": csv_file(text)}, follow=True)
    assert response.context["import_result"].imported == 1
    event = Event.objects.get(workspace=workspace)
    assert event.properties == {"amount": 49, "plan": "pro"}


def test_a_comma_file_is_read_as_before_even_with_semicolons_in_cells(researcher, workspace):
    text = "user_id,note\nu1,a;b;c\n"
    response = researcher.post(IMPORT, {"kind": "people", "file": csv_file(text)}, follow=True)
    assert response.context["import_result"].delimiter == ","
    assert "The columns were separated by" not in response.content.decode()
    assert Person.objects.get(workspace=workspace).traits == {"note": "a;b;c"}


def test_an_undecidable_separator_is_refused_with_the_reason(researcher, workspace):
    text = "user_id;a|b\nx;y|z;w\nq|r|s;t\n"
    response = researcher.post(IMPORT, {"kind": "people", "file": csv_file(text)}, follow=True)
    result = response.context["import_result"]
    assert (result.imported, result.error_count) == (0, 1)
    line, reason = result.errors[0]
    assert line == 1
    assert "separated by semicolon or vertical bar cannot be told" in reason
    body = response.content.decode()
    assert "Nothing imported" in body and "row left out" not in body
    assert not Person.objects.filter(workspace=workspace).exists()
