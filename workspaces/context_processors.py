from typing import Any

from django.http import HttpRequest

from workspaces.selectors import current_membership, memberships_for_user


def workspace(request: HttpRequest) -> dict[str, Any]:
    """The current workspace and the user's others, for the layout's switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = current_membership(request)
    return {
        "current_membership": membership,
        "current_workspace": membership.workspace if membership else None,
        "user_memberships": list(memberships_for_user(user=user)),
    }
