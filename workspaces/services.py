"""Writes for tenancy: creating workspaces, keys, invites and memberships."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from workspaces.models import (
    KEY_PREFIX,
    ApiKey,
    KeyScope,
    MemberInvite,
    Membership,
    Role,
    Workspace,
    hash_key,
)

INVITE_LIFETIME = timedelta(days=14)


class ServiceError(Exception):
    """A request that cannot be carried out, with a message a person can act on."""

    # The API's answer; a subclass may choose another 4xx (409 for a state conflict).
    status_code: int = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@transaction.atomic
def workspace_create(*, name: str, owner: User, time_zone: str = "UTC") -> Workspace:
    name = name.strip()
    if not name:
        raise ServiceError("A workspace needs a name.", field="name")
    workspace = Workspace(name=name, time_zone=time_zone)
    workspace.full_clean()
    workspace.save()
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    return workspace


def user_get_or_create(*, email: str, password: str) -> User:
    """The user with this email, created if new; an existing one must match the password."""
    user_model = User
    email = user_model.objects.normalize_email(email.strip()).lower()
    if not email or "@" not in email:
        raise ServiceError(f'"{email}" is not an email address.', field="email")
    existing = user_model.objects.filter(email__iexact=email).first()
    if existing is not None:
        if not existing.check_password(password):
            raise ServiceError(
                f"A user with the email {email} already exists and the password does not match.",
                field="password",
            )
        return existing
    if len(password) < 8:
        raise ServiceError("The password must be at least 8 characters.", field="password")
    return user_model.objects.create_user(username=email, email=email, password=password)


def api_key_create(
    *,
    workspace: Workspace,
    name: str,
    scope: str,
    created_by: User | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with the raw secret, which is never stored."""
    if scope not in KeyScope.values:
        raise ServiceError(
            f'Unknown scope "{scope}"; use one of: {", ".join(KeyScope.values)}.', field="scope"
        )
    name = name.strip() or f"{scope} key"
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        workspace=workspace,
        name=name[:120],
        scope=scope,
        prefix=raw[:11],
        key_hash=hash_key(raw),
        created_by=created_by,
    )
    return key, raw


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key


def _new_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(32)
    return raw, hash_key(raw)


def member_invite(
    *, workspace: Workspace, email: str, role: str, invited_by: User | None
) -> MemberInvite:
    """Invite someone by email; the email with the link is sent after commit.

    The token the email carries is minted by the sending task
    (`member_invite_issue_token`): task arguments pass through the broker, so
    they carry the invite's id, never a credential. Until then the invite holds
    the hash of a token nobody ever sees."""
    from workspaces import tasks

    email = email.strip().lower()
    if "@" not in email:
        raise ServiceError(f'"{email}" is not an email address.', field="email")
    if role not in Role.values:
        raise ServiceError(f'Unknown role "{role}".', field="role")
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise ServiceError(f"{email} is already a member of this workspace.", field="email")
    _unseen, token_hash = _new_token()
    try:
        with transaction.atomic():
            invite = MemberInvite.objects.create(
                workspace=workspace,
                email=email,
                role=role,
                token_hash=token_hash,
                invited_by=invited_by,
                expires_at=timezone.now() + INVITE_LIFETIME,
            )
            transaction.on_commit(lambda: tasks.send_member_invite.delay(invite_id=invite.pk))
    except IntegrityError as exc:
        raise ServiceError(f"{email} already has an open invite.", field="email") from exc
    return invite


@transaction.atomic
def member_invite_issue_token(*, invite_id: int) -> tuple[MemberInvite, str] | None:
    """A fresh token for an open invite, for the email about to be sent; None if closed.

    Each call replaces the previous token, so only the newest email's link works
    (a retried send never leaves two valid links)."""
    invite = (
        MemberInvite.objects.select_for_update(of=("self",))
        .select_related("workspace", "invited_by")
        .filter(pk=invite_id)
        .first()
    )
    if invite is None or not invite.is_open:
        return None
    raw, invite.token_hash = _new_token()
    invite.save(update_fields=["token_hash"])
    return invite, raw


def invite_is_for(*, invite: MemberInvite, user: User) -> bool:
    """Whether `user` is the person the invite was sent to (by email, in any letter case)."""
    return bool(user.email) and user.email.strip().lower() == invite.email.strip().lower()


def member_invite_revoke(*, invite: MemberInvite) -> None:
    MemberInvite.objects.filter(pk=invite.pk, accepted_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def member_invite_find(*, token: str) -> MemberInvite | None:
    invite = (
        MemberInvite.objects.select_related("workspace").filter(token_hash=hash_key(token)).first()
    )
    return invite if invite is not None and invite.is_open else None


@transaction.atomic
def member_invite_accept(*, token: str, user: User) -> Membership:
    invite = MemberInvite.objects.select_for_update().filter(token_hash=hash_key(token)).first()
    if invite is None or not invite.is_open:
        raise ServiceError("This invitation link is no longer valid. Ask for a new one.")
    if not invite_is_for(invite=invite, user=user):
        raise ServiceError(
            f"This invitation is for {invite.email}. Sign out, then open the link again."
        )
    membership, _ = Membership.objects.get_or_create(
        workspace_id=invite.workspace_id, user=user, defaults={"role": invite.role}
    )
    invite.accepted_at = timezone.now()
    invite.save(update_fields=["accepted_at"])
    return membership


def member_invites_expire(*, now: datetime | None = None) -> int:
    """Revoke invites past their expiry so their email can be invited again."""
    now = now or timezone.now()
    return MemberInvite.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now
    ).update(revoked_at=now)


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise ServiceError(f'Unknown role "{role}".', field="role")
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == Role.OWNER and role != Role.OWNER:
        owners = Membership.objects.filter(workspace_id=locked.workspace_id, role=Role.OWNER)
        if owners.count() <= 1:
            raise ServiceError("A workspace needs at least one owner.", field="role")
    locked.role = role
    locked.save(update_fields=["role"])
    return locked
