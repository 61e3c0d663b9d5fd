"""Invitation links as CSV for a CRM: columns, formula escaping, streaming, scoping."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from studies import exports
from studies.models import Invitation, InvitationStatus
from tests.conftest import bearer_client
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    PersonFactory,
    SegmentFactory,
    StudyFactory,
    StudySegmentFactory,
    WorkspaceFactory,
    make_api_key,
)

INJECTION = "=cmd|' /C calc'!A0"


def body_of(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def study(workspace):
    return StudyFactory(workspace=workspace, key="pricing", status="live")


def test_the_api_exports_links_as_csv_with_formulas_escaped(api, workspace, study, settings):
    settings.MOTIVE_PUBLIC_URL = "https://talk.example.com"
    segment = SegmentFactory(workspace=workspace, name="+Power users")
    evil = PersonFactory(workspace=workspace, user_id=INJECTION, traits={"email": "@x.example"})
    plain = PersonFactory(workspace=workspace, user_id="u_2", traits={"email": "bo@example.com"})
    nomail = PersonFactory(workspace=workspace, user_id="-3", traits={"email": 3})
    first = InvitationFactory(study=study, person=evil, segment=segment)
    second = InvitationFactory(study=study, person=plain, status=InvitationStatus.SENT)
    third = InvitationFactory(study=study, person=nomail)

    response = api.get(f"/api/v1/studies/{study.pk}/invitations/", {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="pricing-invitations.csv"'
    rows = rows_of(body_of(response))
    assert rows == [
        ["user_id", "email", "segment", "url", "status", "expires_at"],
        [
            "'" + INJECTION,
            "'@x.example",
            "'+Power users",
            f"https://talk.example.com/i/{first.token}/",
            "pending",
            first.expires_at.isoformat(),
        ],
        [
            "u_2",
            "bo@example.com",
            "",
            f"https://talk.example.com/i/{second.token}/",
            "sent",
            second.expires_at.isoformat(),
        ],
        [
            "'-3",
            "",
            "",
            f"https://talk.example.com/i/{third.token}/",
            "pending",
            third.expires_at.isoformat(),
        ],
    ]


def test_the_accept_header_and_the_filters_work_too(api, workspace, study):
    InvitationFactory(study=study, status=InvitationStatus.SENT)
    pending = InvitationFactory(study=study)
    response = api.get(
        f"/api/v1/studies/{study.pk}/invitations/?status=pending", HTTP_ACCEPT="text/csv"
    )
    rows = rows_of(body_of(response))
    assert [row[0] for row in rows[1:]] == [pending.person.user_id]


def test_the_json_list_is_unchanged_and_errors_stay_json(api, study):
    InvitationFactory(study=study)
    listed = api.get(f"/api/v1/studies/{study.pk}/invitations/")
    assert listed["Content-Type"] == "application/json" and listed.json()["count"] == 1

    bad = api.get(f"/api/v1/studies/{study.pk}/invitations/", {"format": "csv", "status": "x"})
    assert bad.status_code == 400 and bad["Content-Type"] == "application/json"
    assert "status" in bad.json()["detail"]
    unknown = api.get(f"/api/v1/studies/{study.pk}/invitations/", {"format": "xlsx"})
    assert unknown.status_code == 404 and "error" in unknown.json()


def test_another_workspace_gets_a_404(study):
    InvitationFactory(study=study)
    other = bearer_client(make_api_key(WorkspaceFactory())[1])
    response = other.get(f"/api/v1/studies/{study.pk}/invitations/", {"format": "csv"})
    assert response.status_code == 404
    assert response.json() == {"error": "Not found.", "detail": {"code": "not_found"}}


def test_the_export_streams_in_chunks(workspace, study):
    people = PersonFactory.create_batch(7, workspace=workspace)
    Invitation.objects.bulk_create(
        InvitationFactory.build(study=study, person=p, workspace=workspace) for p in people
    )
    lines = exports.invitation_csv(study=study)
    with CaptureQueriesContext(connection) as queries:
        assert next(lines) == "user_id,email,segment,url,status,expires_at\r\n"
        assert len(queries) == 0  # nothing is read before the first row is asked for
        rows = list(exports.invitation_rows(study=study, chunk=3))
    assert len(queries) == 3  # 3 + 3 + 1 rows: one query per chunk, none per row
    assert [row[0] for row in rows] == [p.user_id for p in people]


def test_the_download_link_for_the_ui(workspace, owner, study):
    InvitationFactory(study=study, person=PersonFactory(workspace=workspace, user_id="u_1"))
    client = Client()
    client.force_login(owner)

    response = client.get(f"/studies/{study.pk}/invitations.csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="pricing-invitations.csv"'
    assert rows_of(body_of(response))[1][0] == "u_1"
    assert client.post(f"/studies/{study.pk}/invitations.csv").status_code == 405
    for missing in (10**12, 10**20):
        assert client.get(f"/studies/{missing}/invitations.csv").status_code == 404


@pytest.fixture
def two_segments(workspace, study):
    """The study at two segments, with a completed and a sent invitation in the first
    and a sent one in the second."""
    first = SegmentFactory(workspace=workspace, name="First")
    second = SegmentFactory(workspace=workspace, name="Second")
    StudySegmentFactory(study=study, segment=first, position=0)
    StudySegmentFactory(study=study, segment=second, position=1)
    for user_id, segment, state in (
        ("done_1", first, InvitationStatus.COMPLETED),
        ("sent_1", first, InvitationStatus.SENT),
        ("sent_2", second, InvitationStatus.SENT),
    ):
        person = PersonFactory(workspace=workspace, user_id=user_id)
        InvitationFactory(study=study, person=person, segment=segment, status=state)
    return first, second


def test_the_study_page_links_to_the_export_of_what_it_shows(workspace, owner, study, two_segments):
    # Given the study page filtered to one segment and one status
    _first, second = two_segments
    client = Client()
    client.force_login(owner)
    page = client.get(f"/studies/{study.pk}/", {"status": "sent", "segment": second.pk})
    # Then its export link carries the filters, and the download has those rows only
    link = next(
        part.split('"')[0]
        for part in page.content.decode().split('href="')
        if "invitations.csv" in part
    )
    assert link == f"/studies/{study.pk}/invitations.csv?status=sent&amp;segment={second.pk}"
    rows = rows_of(body_of(client.get(link.replace("&amp;", "&"))))
    assert [row[0] for row in rows[1:]] == ["sent_2"]
    # And unfiltered, the link has no query and the download has every invitation
    page = client.get(f"/studies/{study.pk}/")
    assert f'href="/studies/{study.pk}/invitations.csv"' in page.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "sent"}, ["sent_1", "sent_2"]),
        ({"segment": "first"}, ["done_1", "sent_1"]),
        ({"status": "sent", "segment": "first"}, ["sent_1"]),
        ({"status": "completed", "segment": "second"}, []),
        # Unknown filters mean "any", as on the study page.
        ({"status": "bogus"}, ["done_1", "sent_1", "sent_2"]),
        ({"segment": "99999999"}, ["done_1", "sent_1", "sent_2"]),
        ({"segment": "²"}, ["done_1", "sent_1", "sent_2"]),
        ({"status": "sent", "segment": "x"}, ["sent_1", "sent_2"]),
    ],
)
def test_the_download_respects_the_study_pages_filters(
    workspace, owner, study, two_segments, query, expected
):
    first, second = two_segments
    ids = {"first": str(first.pk), "second": str(second.pk)}
    query = {name: ids.get(value, value) for name, value in query.items()}
    client = Client()
    client.force_login(owner)
    response = client.get(f"/studies/{study.pk}/invitations.csv", query)
    assert response.status_code == 200
    rows = rows_of(body_of(response))
    assert rows[0] == list(exports.HEADER)
    assert [row[0] for row in rows[1:]] == expected


def test_a_segment_of_another_study_does_not_filter_the_download(workspace, owner, study):
    # A segment the study does not target is no filter (the page ignores it too).
    InvitationFactory(study=study, person=PersonFactory(workspace=workspace, user_id="u_1"))
    elsewhere = SegmentFactory(workspace=workspace)
    client = Client()
    client.force_login(owner)
    response = client.get(f"/studies/{study.pk}/invitations.csv", {"segment": elsewhere.pk})
    assert [row[0] for row in rows_of(body_of(response))[1:]] == ["u_1"]


def test_the_download_link_is_scoped_to_the_workspace(study):
    stranger = MembershipFactory(workspace=WorkspaceFactory()).user
    client = Client()
    client.force_login(stranger)
    assert client.get(f"/studies/{study.pk}/invitations.csv").status_code == 404
    anonymous = Client().get(f"/studies/{study.pk}/invitations.csv")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
