"""Sending invitations: the email, its headers and language, idempotence, retries,
people without an address, opt-outs after launch, the `link` channel."""

from __future__ import annotations

import smtplib
import threading
from datetime import timedelta
from typing import Any, ClassVar

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, connections, transaction
from django.utils import timezone

from studies import channels, sending, services, tasks
from studies.models import Invitation, InvitationStatus, OptOut, Study
from tests.factories import (
    PersonFactory,
    QuestionFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    StudyFactory,
    StudySegmentFactory,
    WorkspaceFactory,
)

BACKEND = "tests.studies.test_sending.ScriptedBackend"
# Django's English DATE_FORMAT ("N j, Y") writes months in AP style.
EN_MONTHS = [
    "Jan.",
    "Feb.",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
]


class ScriptedBackend(BaseEmailBackend):
    """Delivers into mail.outbox, after raising the queued errors one per message."""

    errors: ClassVar[list[Exception]] = []
    always: ClassVar[Exception | None] = None

    def send_messages(self, email_messages: Any) -> int:
        for message in email_messages:
            if self.always is not None:
                raise self.always
            if self.errors:
                raise self.errors.pop(0)
            mail.outbox.append(message)
        return len(email_messages)


@pytest.fixture
def retries_run_eagerly():
    """Eager tasks re-run their retries at once; the test settings' propagation would
    raise the first Retry instead."""
    conf = tasks.send_invitations.app.conf
    conf.update(task_eager_propagates=False)
    yield
    conf.update(task_eager_propagates=True)


@pytest.fixture
def scripted(settings):
    settings.EMAIL_BACKEND = BACKEND
    ScriptedBackend.errors, ScriptedBackend.always = [], None
    yield ScriptedBackend
    ScriptedBackend.errors, ScriptedBackend.always = [], None


def study_with_members(workspace, n=3, *, launch=True, queue=True, **fields):
    """A study at a segment of n people with email addresses, launched; with
    `queue=False` the launch queues no sending (tests that commit and run it themselves)."""
    segment = SegmentFactory(workspace=workspace, name="Pricing visitors")
    people = PersonFactory.create_batch(n, workspace=workspace)
    for person in people:
        SegmentMembershipFactory(segment=segment, person=person)
    study = StudyFactory(
        workspace=workspace,
        title="Why do pricing-page visitors stall?",
        incentive_text="A 20 EUR voucher as thanks.",
        **fields,
    )
    StudySegmentFactory(study=study, segment=segment, position=0)
    QuestionFactory(study=study)
    if launch and queue:
        services.study_launch(study=study)
    elif launch:
        channel = study.channel
        Study.objects.filter(pk=study.pk).update(channel=channels.LINK)
        services.study_launch(study=study)
        Study.objects.filter(pk=study.pk).update(channel=channel)
    return study, people


def statuses(study):
    return dict(Invitation.objects.filter(study=study).values_list("person__user_id", "status"))


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


# --- the message ------------------------------------------------------------------------


def test_launch_sends_one_email_per_invitation_after_commit(
    workspace, settings, django_capture_on_commit_callbacks
):
    settings.MOTIVE_PUBLIC_URL = "https://talk.example.com/"
    settings.MOTIVE_INVITATION_FROM_EMAIL = "Acme research <research@acme.example>"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _study, people = study_with_members(workspace, n=2)
        assert mail.outbox == []  # nothing leaves before the launch commits
    assert len(callbacks) == 1
    assert recipients() == sorted(f"{p.user_id}@example.com" for p in people)

    invitation = Invitation.objects.get(person=people[0])
    message = next(m for m in mail.outbox if m.to == [f"{people[0].user_id}@example.com"])
    link = f"https://talk.example.com/i/{invitation.token}/"
    opt_out = f"https://talk.example.com/i/{invitation.token}/opt-out/"
    local = timezone.localtime(invitation.expires_at)
    expires = f"{EN_MONTHS[local.month - 1]} {local.day}, {local.year}"
    title = "Why do pricing-page visitors stall?"
    assert message.subject == f"Acme invites you to an interview: {title}"
    assert message.from_email == "Acme research <research@acme.example>"
    assert message.extra_headers["List-Unsubscribe"] == f"<{opt_out}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for text in (
        'Acme would like to hear about your experience: "Why do pricing-page visitors stall?".',
        "A 20 EUR voucher as thanks.",
        link,
        f"The link is personal and works until {expires}.",
        opt_out,
    ):
        assert text in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'<a href="{link}">Take the interview</a>' in html
    assert f'<a href="{opt_out}">' in html and '<html lang="en">' in html
    assert invitation.status == InvitationStatus.SENT and invitation.sent_at is not None
    assert invitation.send_error == ""


def test_the_sender_defaults_to_default_from_email(workspace, settings):
    settings.DEFAULT_FROM_EMAIL = "Motive <motive@example.org>"
    study, _ = study_with_members(workspace, n=1)
    sending.invitations_send(study_id=study.pk)
    assert mail.outbox[0].from_email == "Motive <motive@example.org>"


def test_a_german_study_writes_a_german_email(workspace):
    study, _people = study_with_members(workspace, n=1, language="de")
    sending.invitations_send(study_id=study.pk)

    (message,) = mail.outbox
    invitation = Invitation.objects.get(study=study)
    months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August"]
    months += ["September", "Oktober", "November", "Dezember"]
    local = timezone.localtime(invitation.expires_at)
    expires = f"{local.day}. {months[local.month - 1]} {local.year}"
    assert message.subject == (
        "Acme lädt Sie zu einem Interview ein: Why do pricing-page visitors stall?"
    )
    assert message.body.startswith("Guten Tag,\n")
    assert f"Der Link ist persönlich und gilt bis zum {expires}." in message.body
    assert "Keine weiteren Interview-Einladungen von Acme erhalten" in message.body
    assert message.extra_headers["Content-Language"] == "de"
    assert "Zum Interview</a>" in message.alternatives[0][0]
    assert '<html lang="de">' in message.alternatives[0][0]


def test_a_language_without_strings_falls_back_to_english(workspace):
    study, _ = study_with_members(workspace, n=1, language="pt-BR")
    sending.invitations_send(study_id=study.pk)
    assert mail.outbox[0].subject.startswith("Acme invites you to an interview")


# --- exactly once ----------------------------------------------------------------------


def test_sending_twice_sends_each_invitation_once(workspace):
    study, people = study_with_members(workspace, n=5)

    first = sending.invitations_send(study_id=study.pk, chunk=2)
    sent_at = dict(Invitation.objects.values_list("pk", "sent_at"))
    second = sending.invitations_send(study_id=study.pk, chunk=2)

    assert (first.sent, second.sent) == (5, 0)
    assert recipients() == sorted(f"{p.user_id}@example.com" for p in people)
    assert dict(Invitation.objects.values_list("pk", "sent_at")) == sent_at
    assert set(statuses(study).values()) == {InvitationStatus.SENT}


def test_the_task_is_idempotent(workspace):
    study, _ = study_with_members(workspace, n=3)
    assert tasks.send_invitations.delay(study_id=study.pk).get() == 3
    assert tasks.send_invitations.delay(study_id=study.pk).get() == 0
    assert len(mail.outbox) == 3
    # A study that is gone is no error.
    assert tasks.send_invitations.delay(study_id=10**12).get() == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_send_each_invitation_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SKIP LOCKED) need PostgreSQL")
    study, people = study_with_members(
        WorkspaceFactory(name="Acme"), n=40, queue=False, quota_per_segment=100
    )
    reports: list[sending.SendReport] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        try:
            reports.append(sending.invitations_send(study_id=study.pk, chunk=3))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(r.sent for r in reports) == 40 and len(reports) == 2
    assert recipients() == sorted(f"{p.user_id}@example.com" for p in people)
    assert Invitation.objects.filter(status=InvitationStatus.SENT).count() == 40


@pytest.mark.django_db(transaction=True)
def test_a_run_skips_rows_another_run_holds_instead_of_waiting():
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SKIP LOCKED) need PostgreSQL")
    study, _people = study_with_members(WorkspaceFactory(name="Acme"), n=4, queue=False)
    held = list(Invitation.objects.order_by("pk").values_list("pk", flat=True)[:2])
    result: list[sending.SendReport] = []
    with transaction.atomic():
        # Another run's claim, not yet committed.
        list(Invitation.objects.select_for_update().filter(pk__in=held))
        worker = threading.Thread(
            target=lambda: (
                result.append(sending.invitations_send(study_id=study.pk)),
                connections.close_all(),
            )
        )
        worker.start()
        worker.join(timeout=30)
        assert not worker.is_alive(), "the run waited for the locked rows"
    assert result[0].sent == 2
    assert set(Invitation.objects.filter(pk__in=held).values_list("status", flat=True)) == {
        InvitationStatus.PENDING
    }
    assert sending.invitations_send(study_id=study.pk).sent == 2
    assert len(mail.outbox) == 4


# --- failures ---------------------------------------------------------------------------


def test_a_temporary_smtp_error_is_retried_and_then_sent(workspace, scripted):
    study, _people = study_with_members(workspace, n=2)
    scripted.errors = [smtplib.SMTPResponseException(451, b"Try again later")]

    first = sending.invitations_send(study_id=study.pk)
    assert (first.sent, first.deferred, first.failed) == (1, 1, 0)
    deferred = Invitation.objects.get(status=InvitationStatus.PENDING)
    assert deferred.send_attempts == 1 and deferred.sent_at is None
    assert deferred.send_error == ""

    second = sending.invitations_send(study_id=study.pk)
    assert (second.sent, second.deferred) == (1, 0)
    assert set(statuses(study).values()) == {InvitationStatus.SENT}
    assert len(mail.outbox) == 2


def test_the_task_retries_with_backoff_until_delivered(
    workspace, scripted, monkeypatch, retries_run_eagerly
):
    delays: list[int] = []
    real_delay = tasks.retry_delay
    monkeypatch.setattr(tasks, "retry_delay", lambda n: delays.append(n) or real_delay(n))
    study, _ = study_with_members(workspace, n=1)
    scripted.errors = [ConnectionRefusedError("refused"), smtplib.SMTPServerDisconnected("gone")]

    tasks.send_invitations.delay(study_id=study.pk)

    assert delays == [0, 1]  # two retries, the backoff growing with each
    assert real_delay(0) < real_delay(3) <= 3600 * 1.2
    invitation = Invitation.objects.get(study=study)
    assert invitation.status == InvitationStatus.SENT and invitation.send_attempts == 2
    assert len(mail.outbox) == 1


def test_temporary_errors_are_bounded_then_recorded(workspace, scripted, retries_run_eagerly):
    study, _ = study_with_members(workspace, n=1)
    scripted.always = smtplib.SMTPResponseException(421, b"Service not available")

    tasks.send_invitations.delay(study_id=study.pk)  # eager: runs its retries at once

    invitation = Invitation.objects.get(study=study)
    assert invitation.send_attempts == sending.MAX_SEND_ATTEMPTS
    assert invitation.status == InvitationStatus.PENDING and invitation.sent_at is None
    assert invitation.send_error.startswith("Gave up after 5 attempts: The mail server")
    scripted.always = None
    assert sending.invitations_send(study_id=study.pk).sent == 0  # recorded: not tried again


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"No such user")}),
        smtplib.SMTPDataError(554, b"Message rejected"),
    ],
)
def test_a_permanent_smtp_error_is_recorded_and_not_retried(workspace, scripted, error):
    study, _ = study_with_members(workspace, n=2)
    scripted.errors = [error]

    report = sending.invitations_send(study_id=study.pk)

    assert (report.sent, report.failed, report.deferred) == (1, 1, 0)
    failed = Invitation.objects.get(send_error__gt="")
    assert failed.status == InvitationStatus.PENDING and failed.sent_at is None
    assert "refused" in failed.send_error
    assert sending.invitations_send(study_id=study.pk) == sending.SendReport()
    assert len(mail.outbox) == 1


def test_a_person_without_an_email_is_marked_not_sendable(api, workspace):
    study, people = study_with_members(workspace, n=1, launch=False)
    no_email = PersonFactory(workspace=workspace, user_id="no-email", traits={"plan": "pro"})
    bad_email = PersonFactory(workspace=workspace, user_id="bad", traits={"email": "not mail"})
    for person in (no_email, bad_email):
        SegmentMembershipFactory(segment=study.targets.get().segment, person=person)
    services.study_launch(study=study)

    report = sending.invitations_send(study_id=study.pk)

    assert (report.sent, report.unreachable) == (1, 2)
    body = api.get(f"/api/v1/studies/{study.pk}/invitations/").json()
    by_user = {row["user_id"]: row for row in body["results"]}
    assert by_user["no-email"]["status"] == "pending"
    assert by_user["no-email"]["send_error"] == (
        "No email address: the person has no valid `email` trait."
    )
    assert by_user["bad"]["send_error"] == by_user["no-email"]["send_error"]
    assert by_user[people[0].user_id]["send_error"] == ""
    assert by_user[people[0].user_id]["sent_at"] is not None
    # Not retried: a later run leaves them alone.
    assert sending.invitations_send(study_id=study.pk) == sending.SendReport()


# --- who is sent to ---------------------------------------------------------------------


def test_sending_skips_people_who_opted_out_after_launch(workspace):
    study, people = study_with_members(workspace, n=3)
    services.opt_out_record(workspace=workspace, person=people[0], source="api")
    # An opt-out row without the status change (e.g. recorded by another path) counts too.
    OptOut.objects.create(workspace=workspace, person=people[1])

    report = sending.invitations_send(study_id=study.pk)

    assert report.sent == 1
    assert recipients() == [f"{people[2].user_id}@example.com"]
    assert statuses(study)[people[0].user_id] == InvitationStatus.OPTED_OUT


def test_an_opt_out_between_claim_and_delivery_wins(workspace, monkeypatch):
    study, people = study_with_members(workspace, n=2)
    real_claim = sending._claim

    def claim_then_opt_out(*args: Any, **kwargs: Any) -> Any:
        claimed = real_claim(*args, **kwargs)
        services.opt_out_record(workspace=workspace, person=people[0])
        return claimed

    monkeypatch.setattr(sending, "_claim", claim_then_opt_out)
    report = sending.invitations_send(study_id=study.pk)

    assert report.sent == 1
    assert recipients() == [f"{people[1].user_id}@example.com"]


def test_expired_invitations_are_not_sent(workspace):
    study, people = study_with_members(workspace, n=2)
    Invitation.objects.filter(person=people[0]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert sending.invitations_send(study_id=study.pk).sent == 1
    assert recipients() == [f"{people[1].user_id}@example.com"]


def test_a_link_study_sends_nothing(workspace, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        study, _ = study_with_members(workspace, n=2, channel=channels.LINK)
    assert callbacks == []
    assert sending.invitations_send(study_id=study.pk) == sending.SendReport()
    assert mail.outbox == []
    assert set(statuses(study).values()) == {InvitationStatus.PENDING}


def test_a_paused_study_sends_nothing_until_resumed(workspace, django_capture_on_commit_callbacks):
    study, _ = study_with_members(workspace, n=2)
    services.study_pause(study=study)
    assert sending.invitations_send(study_id=study.pk) == sending.SendReport()
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        services.study_resume(study=study)
    assert len(mail.outbox) == 2


def test_explicit_invites_through_the_api_are_sent(
    api, workspace, django_capture_on_commit_callbacks
):
    study, _ = study_with_members(workspace, n=1)
    sending.invitations_send(study_id=study.pk)
    PersonFactory(workspace=workspace, user_id="crm-lead")

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/studies/{study.pk}/invitations/", {"user_ids": ["crm-lead"]}, format="json"
        )

    assert response.status_code == 201, response.json()
    assert mail.outbox[-1].to == ["crm-lead@example.com"]
    assert len(mail.outbox) == 2


def test_switching_a_live_link_study_to_email_sends_what_is_pending(
    api, workspace, django_capture_on_commit_callbacks
):
    study, _ = study_with_members(workspace, n=2, channel=channels.LINK)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(f"/api/v1/studies/{study.pk}/", {"channel": "email"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["channel"] == "email"
    assert len(mail.outbox) == 2


def test_the_channel_is_validated(api, workspace):
    response = api.post(
        "/api/v1/studies/", {"title": "T", "channel": "carrier-pigeon"}, format="json"
    )
    assert response.status_code == 400
    assert "channel" in response.json()["detail"]
    with pytest.raises(services.ServiceError, match="channel: use one of: email, link"):
        services.study_create(workspace=workspace, title="T", channel="fax")
    created = api.post("/api/v1/studies/", {"title": "T", "channel": "link"}, format="json")
    assert created.status_code == 201 and created.json()["channel"] == "link"


def test_a_new_channel_plugs_in_through_the_registry(workspace):
    delivered: list[tuple[int, str]] = []

    class WebhookChannel(channels.Channel):
        name = "test-webhook"

        def unreachable(self, invitation: Invitation) -> str | None:
            return None

        def send(self, invitation: Invitation, message: channels.InvitationMessage) -> None:
            delivered.append((invitation.pk, message.url))

    channels.channel_register(WebhookChannel())
    try:
        assert "test-webhook" in channels.channel_names()
        study, _ = study_with_members(workspace, n=2, channel="test-webhook")
        assert sending.invitations_send(study_id=study.pk).sent == 2
    finally:
        channels._CHANNELS.pop("test-webhook")
    assert sorted(pk for pk, _ in delivered) == sorted(
        Invitation.objects.filter(study=study).values_list("pk", flat=True)
    )
    assert mail.outbox == []


def test_beat_queues_a_send_for_each_study_with_something_left(workspace):
    due, _ = study_with_members(workspace, n=2, queue=False)
    sent, _ = study_with_members(workspace, n=1)
    sending.invitations_send(study_id=sent.pk)
    link, _ = study_with_members(workspace, n=1, channel=channels.LINK)
    paused, _ = study_with_members(workspace, n=1, queue=False)
    services.study_pause(study=paused)
    unreachable, _ = study_with_members(workspace, n=1, queue=False)
    Invitation.objects.filter(study=unreachable).update(send_error="No email address")
    mail.outbox.clear()

    assert sending.studies_with_pending() == [due.pk]
    assert tasks.send_due.delay().get() == 1  # eager: the queued send runs at once
    assert len(mail.outbox) == 2
    assert sending.studies_with_pending() == []
    assert link.pk and paused.pk  # present, and left alone


class FakeSMTP:
    """Stands in for smtplib.SMTP under Django's real SMTP backend."""

    connections = 0
    delivered: ClassVar[list[list[str]]] = []
    fail_next: ClassVar[list[Exception]] = []
    refuse_connection = False

    def __init__(self, host: str, port: int, **kwargs: Any) -> None:
        if FakeSMTP.refuse_connection:
            raise ConnectionRefusedError("Connection refused")
        FakeSMTP.connections += 1

    def starttls(self, **kwargs: Any) -> None:
        pass

    def login(self, user: str, password: str) -> None:
        pass

    def sendmail(self, from_addr: str, to_addrs: list[str], msg: bytes) -> dict:
        if FakeSMTP.fail_next:
            raise FakeSMTP.fail_next.pop(0)
        FakeSMTP.delivered.append(to_addrs)
        return {}

    def quit(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def smtp(settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 2525
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.connections, FakeSMTP.delivered, FakeSMTP.fail_next = 0, [], []
    FakeSMTP.refuse_connection = False
    return FakeSMTP


def test_one_smtp_connection_per_chunk(workspace, smtp):
    study, _ = study_with_members(workspace, n=5)
    report = sending.invitations_send(study_id=study.pk, chunk=2)
    assert report.sent == 5 and len(smtp.delivered) == 5
    assert smtp.connections == 3  # chunks of 2, 2 and 1


def test_a_dropped_smtp_connection_defers_one_and_reconnects(workspace, smtp):
    study, _ = study_with_members(workspace, n=3)
    smtp.fail_next = [smtplib.SMTPServerDisconnected("Connection unexpectedly closed")]
    report = sending.invitations_send(study_id=study.pk)
    assert (report.sent, report.deferred) == (2, 1)
    assert len(smtp.delivered) == 2


def test_an_unreachable_smtp_server_leaves_nothing_marked_sent(workspace, smtp):
    study, _ = study_with_members(workspace, n=2)
    smtp.refuse_connection = True
    report = sending.invitations_send(study_id=study.pk)
    assert (report.sent, report.deferred) == (0, 2)
    assert set(statuses(study).values()) == {InvitationStatus.PENDING}
    assert set(Invitation.objects.values_list("send_attempts", flat=True)) == {1}
