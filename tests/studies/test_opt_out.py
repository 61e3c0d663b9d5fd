"""The one-click opt-out link of an invitation email (RFC 8058), end to end."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from studies import sending, services
from studies.models import Invitation, InvitationStatus, OptOut
from tests.factories import (
    InvitationFactory,
    PersonFactory,
    QuestionFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    StudyFactory,
    StudySegmentFactory,
)


@pytest.fixture
def client():
    # The mail client's POST carries no CSRF token: the view must not need one.
    return Client(enforce_csrf_checks=True)


def launched_study(workspace, people, **fields):
    segment = SegmentFactory(workspace=workspace)
    for person in people:
        SegmentMembershipFactory(segment=segment, person=person)
    study = StudyFactory(workspace=workspace, **fields)
    StudySegmentFactory(study=study, segment=segment, position=0)
    QuestionFactory(study=study)
    services.study_launch(study=study)
    return study


def opt_out_path(invitation):
    return f"/i/{invitation.token}/opt-out/"


def test_the_email_link_opts_out_end_to_end(workspace, client):
    person, other = PersonFactory(workspace=workspace), PersonFactory(workspace=workspace)
    study = launched_study(workspace, [person, other])
    sending.invitations_send(study_id=study.pk)
    message = next(m for m in mail.outbox if m.to == [person.traits["email"]])
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    path = url.removeprefix("http://127.0.0.1:8000")
    invitation = Invitation.objects.get(person=person)
    assert path == opt_out_path(invitation)
    # A second, still pending invitation of the same person in another study.
    second = InvitationFactory(study=StudyFactory(workspace=workspace), person=person)

    # GET (a mail scanner prefetching the link) only asks to confirm.
    page = client.get(path)
    assert page.status_code == 200
    assert b"Stop interview invitations" in page.content
    assert b'<form method="post"' in page.content
    assert not OptOut.objects.exists()
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.SENT

    # The one-click POST from the mail client (RFC 8058 body), without a CSRF token.
    done = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200
    assert b"You will not be contacted again" in done.content
    opt_out = OptOut.objects.get()
    assert (opt_out.person_id, opt_out.workspace_id, opt_out.source) == (
        person.pk,
        workspace.pk,
        "email_link",
    )
    statuses = dict(Invitation.objects.values_list("pk", "status"))
    assert statuses[invitation.pk] == InvitationStatus.OPTED_OUT
    assert statuses[second.pk] == InvitationStatus.OPTED_OUT
    assert statuses[Invitation.objects.get(person=other).pk] == InvitationStatus.SENT

    # A second POST (the button pressed again, a retried request) is fine.
    again = client.post(path)
    assert again.status_code == 200 and OptOut.objects.count() == 1


def test_an_opted_out_person_is_skipped_by_a_later_launch_and_by_sending(workspace, client):
    person, other = PersonFactory(workspace=workspace), PersonFactory(workspace=workspace)
    first = launched_study(workspace, [person], recontact_days=0)
    client.post(opt_out_path(Invitation.objects.get(study=first)))

    later = launched_study(workspace, [person, other], recontact_days=0)
    assert list(Invitation.objects.filter(study=later).values_list("person_id", flat=True)) == [
        other.pk
    ]
    # An invitation created around the launch rules (e.g. by hand) is not sent either.
    InvitationFactory(study=later, person=PersonFactory(workspace=workspace))
    Invitation.objects.filter(study=later, person=other).delete()
    InvitationFactory(study=later, person=person)
    report = sending.invitations_send(study_id=later.pk)
    assert report.sent == 1
    assert person.traits["email"] not in [a for m in mail.outbox for a in m.to]


def test_an_unknown_token_is_a_404_page(db, client):
    for method in ("get", "post"):
        response = getattr(client, method)("/i/not-a-real-token/opt-out/")
        assert response.status_code == 404
        assert b"This page does not exist" in response.content
    for token in ("x" * 300, "a%00b", "%F0%9F%98%80", "a%20b"):
        assert client.get(f"/i/{token}/opt-out/").status_code == 404
        assert client.post(f"/i/{token}/opt-out/").status_code == 404
    assert not OptOut.objects.exists()


def test_other_methods_are_refused(workspace, client):
    invitation = InvitationFactory(study=StudyFactory(workspace=workspace))
    assert client.put(opt_out_path(invitation)).status_code == 405
    assert client.delete(opt_out_path(invitation)).status_code == 405
    assert not OptOut.objects.exists()


def test_the_pages_speak_the_study_language(workspace, client):
    invitation = InvitationFactory(study=StudyFactory(workspace=workspace, language="de"))
    page = client.get(opt_out_path(invitation))
    assert "Interview-Einladungen abbestellen" in page.content.decode()
    assert page["X-Robots-Tag"] == "noindex" and page["Referrer-Policy"] == "no-referrer"
    done = client.post(opt_out_path(invitation))
    assert "Sie werden nicht mehr kontaktiert" in done.content.decode()
    assert "Acme sendet Ihnen keine Interview-Einladungen mehr." in done.content.decode()
