"""What an invitation says: subject, text and HTML, in the study's language.

Strings go through Django's translation framework (catalogs in `studies/locale/`:
English and German); a study in a language without a catalog is written in English.
The expiry date is formatted for the language ("Dec. 31, 2026", "31. Dezember 2026").
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from studies.channels import InvitationMessage
from studies.links import invitation_url, opt_out_url
from studies.models import Invitation, Study
from workspaces.models import Workspace


def invitation_message(
    *, invitation: Invitation, study: Study, workspace: Workspace
) -> InvitationMessage:
    """The message for one invitation (the study and workspace are passed in so a chunk
    of invitations shares them without a query each)."""
    with translation.override(study.language):
        context = {
            "workspace": workspace.name,
            "title": study.title,
            "incentive": study.incentive_text,
            "url": invitation_url(invitation.token),
            "opt_out_url": opt_out_url(invitation.token),
            "expires": date_format(timezone.localtime(invitation.expires_at), "DATE_FORMAT"),
            "language": translation.get_language(),
        }
        subject = gettext("%(workspace)s invites you to an interview: %(title)s") % context
        context["subject"] = subject
        return InvitationMessage(
            subject=" ".join(subject.split())[:250],  # no line breaks in a header
            text=render_to_string("studies/email/invitation.txt", context),
            html=render_to_string("studies/email/invitation.html", context),
            url=context["url"],
            opt_out_url=context["opt_out_url"],
            language=study.language,
        )
