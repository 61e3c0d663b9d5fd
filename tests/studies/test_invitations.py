"""Opt-outs and expiry of invitations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from studies import sending, services
from studies.models import Invitation, InvitationStatus, OptOut
from tests.factories import InvitationFactory, PersonFactory, StudyFactory

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_opt_out_is_idempotent_and_closes_open_invitations(workspace):
    person = PersonFactory(workspace=workspace)
    pending = InvitationFactory(study=StudyFactory(workspace=workspace), person=person)
    done = InvitationFactory(
        study=StudyFactory(workspace=workspace), person=person, status=InvitationStatus.COMPLETED
    )
    other = InvitationFactory(study=pending.study)

    first = services.opt_out_record(workspace=workspace, person=person, source="email_link")
    again = services.opt_out_record(workspace=workspace, person=person, source="api")

    assert first.pk == again.pk and again.source == "email_link"
    assert OptOut.objects.count() == 1
    statuses = dict(Invitation.objects.values_list("pk", "status"))
    assert statuses == {
        pending.pk: InvitationStatus.OPTED_OUT,
        done.pk: InvitationStatus.COMPLETED,
        other.pk: InvitationStatus.PENDING,
    }


def test_expiry_marks_only_unfinished_invitations_past_their_date(workspace):
    study = StudyFactory(workspace=workspace)
    due = InvitationFactory(study=study, expires_at=NOW - timedelta(seconds=1))
    opened = InvitationFactory(
        study=study, expires_at=NOW - timedelta(days=1), status=InvitationStatus.OPENED
    )
    completed = InvitationFactory(
        study=study, expires_at=NOW - timedelta(days=1), status=InvitationStatus.COMPLETED
    )
    later = InvitationFactory(study=study, expires_at=NOW + timedelta(days=1))

    assert sending.invitations_expire(now=NOW) == 2
    assert sending.invitations_expire(now=NOW) == 0  # idempotent: beat may run it twice

    statuses = dict(Invitation.objects.values_list("pk", "status"))
    assert statuses == {
        due.pk: InvitationStatus.EXPIRED,
        opened.pk: InvitationStatus.EXPIRED,
        completed.pk: InvitationStatus.COMPLETED,
        later.pk: InvitationStatus.PENDING,
    }


def test_study_list_filters_by_status(api, workspace):
    live = StudyFactory(workspace=workspace, status="live")
    StudyFactory(workspace=workspace)
    body = api.get("/api/v1/studies/", {"status": "live"}).json()
    assert [s["id"] for s in body["results"]] == [live.pk]
    assert body["count"] == 1
