"""The names the builders offer (event names, trait keys, account trait keys, property
keys) and the closest names a preview suggests come from the researcher's workspace alone."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from people import selectors as people_selectors
from segments import builder
from tests.factories import AccountFactory, EventFactory, PersonFactory, WorkspaceFactory

OURS = {
    "event": "Report Exported",
    "trait": "plan",
    "account_trait": "tier",
    "property": "format",
}
THEIRS = {
    "event": "Report Exportd",
    "trait": "plann",
    "account_trait": "tierr",
    "property": "formatt",
}


def _fill(workspace, names: dict[str, str]) -> None:
    account = AccountFactory(workspace=workspace, traits={names["account_trait"]: "gold"})
    person = PersonFactory(workspace=workspace, account=account, traits={names["trait"]: "pro"})
    EventFactory(person=person, name=names["event"], properties={names["property"]: "csv"})


@pytest.fixture
def neighbours(workspace):
    """`workspace` holds OURS; another workspace holds names one typo away (THEIRS)."""
    _fill(workspace, OURS)
    _fill(WorkspaceFactory(name="Neighbour"), THEIRS)
    return workspace


def test_the_selectors_read_one_workspace(neighbours):
    assert people_selectors.event_names(workspace=neighbours) == [OURS["event"]]
    assert people_selectors.trait_keys(workspace=neighbours) == [OURS["trait"]]
    assert people_selectors.account_trait_keys(workspace=neighbours) == [OURS["account_trait"]]
    assert people_selectors.event_property_keys(workspace=neighbours) == [OURS["property"]]


def _datalists(html: str) -> dict[str, list[str]]:
    lists = re.findall(r'<datalist id="([^"]+)">(.*?)</datalist>', html, re.S)
    return {name: re.findall(r'<option value="([^"]*)">', body) for name, body in lists}


@pytest.mark.parametrize(
    "page,expected",
    [
        (
            "segments:new",
            {
                "event-names": [OURS["event"]],
                "trait-keys": [OURS["trait"]],
                "account-trait-keys": [OURS["account_trait"]],
                "property-keys": [*builder.vocabulary()["time_parts"], OURS["property"]],
            },
        ),
        ("segments:new-rfm", {"event-names": [OURS["event"]]}),
        (
            "segments:new-cluster",
            {"event-names": [OURS["event"]], "property-keys": [OURS["property"]]},
        ),
    ],
)
def test_the_builders_offer_this_workspaces_names_only(client, owner, neighbours, page, expected):
    client.force_login(owner)

    html = client.get(reverse(page)).content.decode()

    assert _datalists(html) == expected
    assert not [name for name in THEIRS.values() if f'"{name}"' in html]


def test_the_closest_names_a_preview_offers_are_this_workspaces(api, neighbours):
    definition = {
        "all": [
            {"event": "Report Exporte"},
            {"trait": "plan_", "op": "is_set"},
            {"account_trait": "tier_", "op": "is_set"},
        ]
    }

    response = api.post(
        "/api/v1/segments/preview", {"kind": "rule", "definition": definition}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["unknown"] == [
        {"kind": "event", "name": "Report Exporte", "closest": [OURS["event"]]},
        {"kind": "trait", "name": "plan_", "closest": [OURS["trait"]]},
        {"kind": "account trait", "name": "tier_", "closest": [OURS["account_trait"]]},
    ]
    assert not [name for name in THEIRS.values() if name in json.dumps(response.json())]
