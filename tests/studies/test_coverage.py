"""Buying committees: the coverage of accounts by completed interviews, and the cap."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from people.models import Account
from studies import selectors, services
from studies.models import InvitationStatus, StudyStatus
from studies.selectors import AccountCoverage
from tests.conftest import bearer_client
from tests.factories import (
    AccountFactory,
    InvitationFactory,
    PersonFactory,
    StudyFactory,
    StudySegmentFactory,
    WorkspaceFactory,
    make_api_key,
)
from workspaces.models import KeyScope

COMPLETED = InvitationStatus.COMPLETED


def respondent(study, account, status=COMPLETED, **traits):
    person = PersonFactory(workspace=study.workspace, account=account, traits=traits)
    return InvitationFactory(study=study, person=person, status=status)


@pytest.fixture
def study(workspace):
    return StudyFactory(workspace=workspace, status=StudyStatus.LIVE)


def test_accounts_with_a_completed_interview_and_their_roles(workspace, study):
    acme = AccountFactory(workspace=workspace, group_id="acme", traits={"name": "Acme Inc"})
    respondent(study, acme, role="CFO")
    respondent(study, acme, title="Head of IT")  # no role: the title names it
    respondent(study, acme, role=" cfo ")  # the same role, told apart by neither case nor space
    respondent(study, acme)  # no role at all
    respondent(study, acme, status=InvitationStatus.SENT, role="CEO")  # invited, not completed
    globex = AccountFactory(workspace=workspace, group_id="globex")
    respondent(study, globex, role="Engineer")
    silent = AccountFactory(workspace=workspace, group_id="silent")
    respondent(study, silent, status=InvitationStatus.OPENED, role="CTO")
    respondent(study, None, role="Freelancer")  # no account: not a committee
    # Another study's completed interview at Globex counts for that study only.
    respondent(StudyFactory(workspace=workspace), globex, role="Designer")

    rows = selectors.coverage(study=study)

    assert rows == [
        AccountCoverage(
            account_id=acme.pk,
            group_id="acme",
            name="Acme Inc",
            invited=5,
            completed=4,
            roles=["CFO", "Head of IT"],
            without_role=1,
        ),
        AccountCoverage(
            account_id=globex.pk,
            group_id="globex",
            name="globex",
            invited=1,
            completed=1,
            roles=["Engineer"],
            without_role=0,
        ),
    ]


def test_a_study_role_trait_replaces_role_and_title(workspace):
    study = StudyFactory(workspace=workspace, role_trait="persona")
    account = AccountFactory(workspace=workspace)
    respondent(study, account, persona="Champion", role="CFO")
    respondent(study, account, role="CTO")
    [row] = selectors.coverage(study=study)
    assert (row.roles, row.without_role) == (["Champion"], 1)


def test_coverage_takes_two_queries_whatever_the_accounts(workspace, study):
    for n in range(6):
        account = AccountFactory(workspace=workspace)
        for role in ("CFO", "CTO", f"R{n}"):
            respondent(study, account, role=role)
    with CaptureQueriesContext(connection) as queries:
        rows = selectors.coverage(study=study)
    assert len(rows) == 6 and all(len(r.roles) == 3 for r in rows)
    assert len(queries.captured_queries) == 2


def test_the_coverage_api_pages_the_accounts(api, workspace, study):
    for group_id, completed in (("a", 1), ("b", 3), ("c", 2)):
        account = AccountFactory(workspace=workspace, group_id=group_id)
        for _ in range(completed):
            respondent(study, account, role="Buyer")

    first = api.get(f"/api/v1/studies/{study.pk}/coverage/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()

    assert first["count"] == 3
    assert [r["group_id"] for r in first["results"] + second["results"]] == ["b", "c", "a"]
    assert first["results"][0] == {
        "account": Account.objects.get(group_id="b", workspace=workspace).pk,
        "group_id": "b",
        "name": "b",
        "invited": 3,
        "completed": 3,
        "roles": ["Buyer"],
        "without_role": 0,
    }


def test_the_coverage_of_another_workspaces_study_is_404(api):
    other = StudyFactory(workspace=WorkspaceFactory())
    respondent(other, AccountFactory(workspace=other.workspace), role="CFO")
    response = api.get(f"/api/v1/studies/{other.pk}/coverage/")
    assert response.status_code == 404 and "error" in response.json()


def test_the_coverage_api_with_an_ingest_key_is_refused(workspace, study):
    client = bearer_client(make_api_key(workspace, KeyScope.INGEST)[1])
    assert client.get(f"/api/v1/studies/{study.pk}/coverage/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("role", True), ("job.title", True), ("", True), ("no spaces", False), ("x" * 65, False)],
)
def test_role_trait_is_a_trait_key(api, workspace, value, ok):
    response = api.post("/api/v1/studies/", {"title": "T", "role_trait": value}, format="json")
    assert (response.status_code == 201) is ok, response.json()
    if ok:
        assert response.json()["role_trait"] == value
    else:
        assert "role_trait" in str(response.json()) and not workspace.studies.exists()


# --- the account cap on explicit invitations ---------------------------------------------


def test_explicit_invitations_respect_the_account_cap(workspace):
    study = StudyFactory(workspace=workspace, status=StudyStatus.LIVE, account_cap=2)
    StudySegmentFactory(study=study, position=0)
    account = AccountFactory(workspace=workspace)
    people = [
        PersonFactory(workspace=workspace, account=account, user_id=f"u{n}") for n in range(3)
    ]
    InvitationFactory(study=study, person=people[0])
    loner = PersonFactory(workspace=workspace, user_id="loner")

    outcome = services.invitations_create(study=study, user_ids=["u1", "u2", "loner"])

    assert sorted(i.person_id for i in outcome.invitations) == sorted([people[1].pk, loner.pk])
    assert [(s.user_id, s.reason) for s in outcome.skipped] == [("u2", "over_account_cap")]
    assert study.invitations.filter(person__account=account).count() == 2
