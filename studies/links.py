"""The public addresses of an invitation: its interview link and its opt-out link.

Both are absolute, on `MOTIVE_PUBLIC_URL`: the address respondents reach, which may
differ from the researchers' `MOTIVE_BASE_URL` (used when it is not set). The token
is the only credential.
"""

from __future__ import annotations

from django.conf import settings


def public_url(path: str) -> str:
    base = settings.MOTIVE_PUBLIC_URL or settings.MOTIVE_BASE_URL
    return base.rstrip("/") + path


def invitation_url(token: str) -> str:
    """The respondent's interview page (served by `interviews`)."""
    return public_url(f"/i/{token}/")


def opt_out_url(token: str) -> str:
    """The one-click opt-out (RFC 8058), served by `studies.invitation_views`."""
    return public_url(f"/i/{token}/opt-out/")
