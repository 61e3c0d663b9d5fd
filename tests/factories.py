"""factory_boy factories. The tenant-isolation walk needs one per model an API serves:
register it in WORKSPACE_FACTORIES, keyed by model, with a builder taking the workspace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.db.models import Model

from workspaces import services
from workspaces.models import ApiKey, KeyScope, Membership, Role, Workspace


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.SelfAttribute("email")
    password = factory.django.Password("correct-horse-battery")


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER


def make_api_key(workspace: Workspace, scope: str = KeyScope.FULL) -> tuple[ApiKey, str]:
    return services.api_key_create(workspace=workspace, name=f"{scope} key", scope=scope)


# model → builder(workspace) that creates one row of that model in the workspace.
WORKSPACE_FACTORIES: dict[type[Model], Callable[[Workspace], Any]] = {
    Workspace: lambda ws: ws,
    ApiKey: lambda ws: make_api_key(ws)[0],
    Membership: lambda ws: MembershipFactory(workspace=ws),
}
