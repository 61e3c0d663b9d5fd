"""People, accounts, aliases and events moved from `segments` to `people` without copying rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from people.models import Account, Event, Person, PersonAlias
from segments.models import SegmentMembership

BEFORE = [("segments", "0008_identifiers_compared_bytewise")]
# The move itself (it depends on people 0001). Naming people 0001 as a target too would
# unapply the later people migrations, which a mixed forwards/backwards plan refuses.
AFTER = [("segments", "0009_people_models_moved")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_database_in_the_old_layout_keeps_its_rows():
    old = _migrate(BEFORE)
    try:
        workspace = old.get_model("workspaces", "Workspace").objects.create(name="Old")
        account = old.get_model("segments", "Account").objects.create(
            workspace=workspace, group_id="acme", traits={"plan": "pro"}
        )
        person = old.get_model("segments", "Person").objects.create(
            workspace=workspace, user_id="u_1", account=account, traits={"email": "a@x.com"}
        )
        old.get_model("segments", "PersonAlias").objects.create(
            workspace=workspace, anonymous_id="anon-1", person=person
        )
        old.get_model("segments", "Event").objects.create(
            workspace=workspace,
            person=person,
            name="Order Completed",
            properties={"amount": 49},
            timestamp=datetime(2026, 11, 2, tzinfo=UTC),
            message_id="m-1",
        )
        segment = old.get_model("segments", "Segment").objects.create(
            workspace=workspace, name="Buyers", kind="rule"
        )
        old.get_model("segments", "SegmentMembership").objects.create(
            segment=segment, person=person, entered_at=datetime(2026, 11, 3, tzinfo=UTC)
        )
    finally:
        _migrate(AFTER)
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    moved = Person.objects.get(user_id="u_1")
    assert moved.traits == {"email": "a@x.com"}
    assert moved.account == Account.objects.get(group_id="acme")
    assert PersonAlias.objects.get(anonymous_id="anon-1").person == moved
    event = Event.objects.get(message_id="m-1")
    assert (event.person, event.properties) == (moved, {"amount": 49})
    assert SegmentMembership.objects.get(segment__name="Buyers").person == moved
    assert Person._meta.db_table == "segments_person"
