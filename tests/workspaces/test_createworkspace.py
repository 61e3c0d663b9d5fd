"""`manage.py createworkspace` prints one JSON object whose keys work."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from tests.conftest import bearer_client
from workspaces.models import ApiKey, Membership, Role, Workspace


def run(*args: str) -> dict:
    out = io.StringIO()
    call_command("createworkspace", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


@pytest.mark.django_db
def test_creates_workspace_owner_and_two_keys():
    result = run("Acme", "--email", "Ana@Example.com", "--password", "s3cret-pass")
    assert set(result) == {"workspace", "api_key", "ingest_key"}
    workspace = Workspace.objects.get(pk=result["workspace"])
    assert workspace.name == "Acme"
    member = Membership.objects.get(workspace=workspace)
    assert member.role == Role.OWNER and member.user.email == "ana@example.com"
    assert sorted(ApiKey.objects.filter(workspace=workspace).values_list("scope", flat=True)) == [
        "full",
        "ingest",
    ]
    full = bearer_client(result["api_key"]).get("/api/v1/workspace/")
    assert full.status_code == 200 and full.json()["id"] == workspace.pk
    assert bearer_client(result["ingest_key"]).get("/api/v1/workspace/").status_code == 403


@pytest.mark.django_db
def test_same_email_and_password_adds_a_second_workspace():
    first = run("One", "--email", "a@x.com", "--password", "s3cret-pass")
    second = run("Two", "--email", "a@x.com", "--password", "s3cret-pass")
    assert first["workspace"] != second["workspace"]
    assert User.objects.filter(email="a@x.com").count() == 1


@pytest.mark.django_db
def test_existing_email_with_other_password_fails_clearly_and_creates_nothing():
    run("One", "--email", "a@x.com", "--password", "s3cret-pass")
    before = (Workspace.objects.count(), ApiKey.objects.count())
    with pytest.raises(CommandError, match="already exists and the password does not match"):
        run("Two", "--email", "a@x.com", "--password", "other-pass")
    assert (Workspace.objects.count(), ApiKey.objects.count()) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args,message",
    [
        (("   ", "--email", "a@x.com", "--password", "s3cret-pass"), "needs a name"),
        (("Acme", "--email", "nope", "--password", "s3cret-pass"), "not an email"),
        (("Acme", "--email", "b@x.com", "--password", "short"), "at least 8"),
        (
            ("Acme", "--email", "b@x.com", "--password", "s3cret-pass", "--time-zone", "Mars/Base"),
            "time zone",
        ),
    ],
)
def test_bad_arguments_fail_with_a_message(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert Workspace.objects.count() == 0
