"""How an invitation reaches a person: one interface, a registry of channels.

A channel delivers one invitation's message. It says first whether it can reach the
person at all (`unreachable`: a reason, or None), then `send`s, raising
`TemporaryDeliveryError` for what may pass (a server busy or unreachable, a 4xx SMTP
reply: tried again later, a bounded number of times) or `PermanentDeliveryError` for
what will not (a 5xx SMTP reply: recorded on the invitation, never tried again).
`batch()` wraps the delivery of one chunk, so a channel can reuse a connection for it
(the email channel holds one SMTP connection per chunk).

The sending code (`studies.sending`) knows channels only through `channel_get`; a
webhook channel is a subclass registered with `channel_register`, with no change
there. A study's `channel` names one, or is `link`: Motive sends nothing and the
links are exported (CSV) for a CRM to send.
"""

from __future__ import annotations

import smtplib
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import ClassVar, Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.validators import validate_email

from studies.models import Invitation

LINK: Final = "link"  # no delivery: the links are exported for a CRM


class DeliveryError(Exception):
    """A channel could not deliver; the message says why, for the invitation's record."""


class TemporaryDeliveryError(DeliveryError):
    """May succeed later: try again with backoff."""


class PermanentDeliveryError(DeliveryError):
    """Will not succeed: record it and do not try again."""


@dataclass(frozen=True)
class InvitationMessage:
    """What an invitation says, in the study's language (studies.invitation_messages)."""

    subject: str
    text: str
    html: str
    url: str
    opt_out_url: str
    language: str


class Channel(ABC):
    name: ClassVar[str]

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Around the delivery of one chunk: a channel may hold a connection open for it
        (per thread: a channel instance is shared)."""
        yield

    @abstractmethod
    def unreachable(self, invitation: Invitation) -> str | None:
        """Why this person cannot be reached on this channel, or None if they can."""

    @abstractmethod
    def send(self, invitation: Invitation, message: InvitationMessage) -> None:
        """Deliver, or raise TemporaryDeliveryError / PermanentDeliveryError."""


_CHANNELS: dict[str, Channel] = {}


def channel_register(channel: Channel) -> Channel:
    _CHANNELS[channel.name] = channel
    return channel


def channel_get(name: str) -> Channel | None:
    """The channel that delivers for a study whose `channel` is `name` (None for `link`)."""
    return _CHANNELS.get(name)


def channel_names() -> list[str]:
    """Every value a study's `channel` may take."""
    return [*_CHANNELS, LINK]


def person_email(invitation: Invitation) -> str | None:
    """The person's `email` trait when it is a valid address (people store traits as
    sent by identify calls, so it may be missing, empty or not a string)."""
    value = invitation.person.traits.get("email") if invitation.person.traits else None
    if not isinstance(value, str):
        return None
    value = value.strip()
    try:
        validate_email(value)
    except ValidationError:
        return None
    return value


# SMTP replies 4xx are transient by definition (RFC 5321 §4.2.1); 5xx are not. A
# refused login or sender is the server's configuration, not the invitation's: it is
# retried (and, unfixed, recorded once the attempts run out).
def _smtp_error(error: smtplib.SMTPException) -> DeliveryError:
    if isinstance(error, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused):
        return TemporaryDeliveryError(f"The mail server refused the sender: {error}"[:500])
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        permanent = all(code >= 500 for code in codes)
        text = "; ".join(f"{code} {reply!r}" for code, reply in error.recipients.values())
        kind: type[DeliveryError] = PermanentDeliveryError if permanent else TemporaryDeliveryError
        return kind(f"The mail server refused the recipient: {text}"[:500])
    code = getattr(error, "smtp_code", None)
    if isinstance(code, int) and code >= 500:
        return PermanentDeliveryError(f"The mail server refused the message: {code} {error}"[:500])
    return TemporaryDeliveryError(f"The mail server did not take the message: {error}"[:500])


class EmailChannel(Channel):
    """Email through Django's email framework (the configured EMAIL_BACKEND), text and
    HTML, with the RFC 8058 one-click opt-out headers."""

    name = "email"

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def batch(self) -> Iterator[None]:
        # One connection to the mail server for the chunk, not one per message.
        connection = get_connection(fail_silently=False)
        # Unreachable now: each send tries again and reports its own (temporary) failure.
        with suppress(OSError, smtplib.SMTPException):
            connection.open()
        self._local.connection = connection
        try:
            yield
        finally:
            self._local.connection = None
            connection.close()

    def _connection(self) -> BaseEmailBackend | None:
        return getattr(self._local, "connection", None)

    def unreachable(self, invitation: Invitation) -> str | None:
        if person_email(invitation) is None:
            return "No email address: the person has no valid `email` trait."
        return None

    def send(self, invitation: Invitation, message: InvitationMessage) -> None:
        address = person_email(invitation)
        if address is None:
            raise PermanentDeliveryError("No email address: the person has no valid `email` trait.")
        connection = self._connection()
        email = EmailMultiAlternatives(
            connection=connection,
            subject=message.subject,
            body=message.text,
            from_email=settings.MOTIVE_INVITATION_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={
                "List-Unsubscribe": f"<{message.opt_out_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Content-Language": message.language,
            },
        )
        email.attach_alternative(message.html, "text/html")
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPException as error:
            self._reset(connection)
            raise _smtp_error(error) from error
        except OSError as error:  # refused or dropped connection, timeout, DNS
            self._reset(connection)
            reason = f"The mail server could not be reached: {error}"
            raise TemporaryDeliveryError(reason) from error

    @staticmethod
    def _reset(connection: BaseEmailBackend | None) -> None:
        """After a failure the next message opens a fresh connection (the SMTP backend
        reconnects when it has none)."""
        if connection is not None:
            connection.close()


channel_register(EmailChannel())
