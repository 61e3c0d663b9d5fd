"""The demo workspace and login that `make demo` creates and prints."""

from __future__ import annotations

from typing import Final

from django.db import transaction

from workspaces import services
from workspaces.models import Membership, Workspace

DEMO_EMAIL: Final = "demo@motive.local"
DEMO_PASSWORD: Final = "motive-demo"
DEMO_WORKSPACE: Final = "Acme Analytics (demo)"


def demo_workspace_find() -> Workspace | None:
    """The demo owner's demo workspace, if `setup_demo` or `seed_demo` made one."""
    membership = (
        Membership.objects.filter(user__email=DEMO_EMAIL, workspace__name=DEMO_WORKSPACE)
        .select_related("workspace")
        .first()
    )
    return membership.workspace if membership else None


@transaction.atomic
def demo_workspace_get_or_create() -> Workspace:
    """The demo workspace with its owner (`DEMO_EMAIL` / `DEMO_PASSWORD`), made once."""
    owner = services.user_get_or_create(email=DEMO_EMAIL, password=DEMO_PASSWORD)
    return demo_workspace_find() or services.workspace_create(name=DEMO_WORKSPACE, owner=owner)
