"""Celery tasks for tenancy: thin wrappers over services, idempotent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from workspaces import services


@shared_task(
    name="workspaces.send_member_invite",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def send_member_invite(*, invite_id: int) -> None:
    """Mint the invite's token here, not in the caller: the broker never sees a credential."""
    issued = services.member_invite_issue_token(invite_id=invite_id)
    if issued is None:
        return
    invite, token = issued
    link = settings.MOTIVE_BASE_URL.rstrip("/") + reverse("invite-accept", args=[token])
    inviter = invite.invited_by.get_username() if invite.invited_by else "A colleague"
    send_mail(
        subject=f"You are invited to {invite.workspace.name} on Motive",
        message=(
            f"{inviter} invited you to the workspace {invite.workspace.name} "
            f"as {invite.get_role_display().lower()}.\n\n"
            f"Accept the invitation: {link}\n\nThe link expires on "
            f"{invite.expires_at:%Y-%m-%d}."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invite.email],
    )


@shared_task(name="workspaces.expire_member_invites", time_limit=60, soft_time_limit=50)
def expire_member_invites() -> int:
    return services.member_invites_expire()
