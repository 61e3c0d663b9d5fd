"""Events reference their person and workspace through database constraints again, and
people's seen ranges are written in place, so the queue and rebuild tables go.

Before the queue goes, what it still holds is applied (and so is any import
rebuild left unfinished). Events whose person or workspace no longer exists
(possible while the constraints were off, and unreachable by every read) are
deleted before the constraints are added. The person constraint cascades in the
database (`ON DELETE CASCADE`): erasing a person leaves no event behind,
whoever deletes the row. SQLite kept both constraints all along.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


MODELS = {
    "event": ("people", "event"),
    "person": ("people", "person"),
    "workspace": ("workspaces", "workspace"),
    "pending": ("people", "pendingseenrange"),
    "rebuild": ("people", "seenrangerebuild"),
}


def _tables(apps: Any, *names: str) -> dict[str, str]:
    return {name: apps.get_model(*MODELS[name])._meta.db_table for name in names}


def apply_queued_ranges(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return  # the queue was PostgreSQL's only
    t = _tables(apps, "person", "event", "pending", "rebuild")
    schema_editor.execute(
        f"UPDATE {t['person']} AS p SET first_seen = LEAST(p.first_seen, s.first), "
        "last_seen = GREATEST(p.last_seen, s.last) FROM (SELECT person_id, "
        f"min(first_seen) AS first, max(last_seen) AS last FROM {t['pending']} "
        "GROUP BY person_id) AS s WHERE p.id = s.person_id"
    )
    schema_editor.execute(
        f"UPDATE {t['person']} AS p SET first_seen = LEAST(p.first_seen, s.first), "
        "last_seen = GREATEST(p.last_seen, s.last) FROM (SELECT e.person_id, "
        "min(e.timestamp) AS first, max(e.timestamp) AS last "
        f"FROM {t['event']} AS e JOIN {t['rebuild']} AS r ON e.workspace_id = r.workspace_id "
        "AND e.id > r.after_event_id GROUP BY e.person_id) AS s WHERE p.id = s.person_id"
    )


def add_constraints(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    t = _tables(apps, "event", "person", "workspace")
    schema_editor.execute(
        f"DELETE FROM {t['event']} AS e WHERE NOT EXISTS "
        f"(SELECT FROM {t['person']} AS p WHERE p.id = e.person_id) "
        f"OR NOT EXISTS (SELECT FROM {t['workspace']} AS w WHERE w.id = e.workspace_id)"
    )
    schema_editor.execute(
        f"ALTER TABLE {t['event']} "
        f"ADD CONSTRAINT segments_event_person_id_fk FOREIGN KEY (person_id) "
        f"REFERENCES {t['person']} (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, "
        f"ADD CONSTRAINT segments_event_workspace_id_fk FOREIGN KEY (workspace_id) "
        f"REFERENCES {t['workspace']} (id) DEFERRABLE INITIALLY DEFERRED"
    )


def drop_constraints(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE {_tables(apps, 'event')['event']} "
        "DROP CONSTRAINT segments_event_person_id_fk, "
        "DROP CONSTRAINT segments_event_workspace_id_fk"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0001_initial"),
        ("workspaces", "0002_workspace_revenue_and_refresh"),
    ]

    operations = [
        migrations.RunPython(apply_queued_ranges, migrations.RunPython.noop),
        migrations.DeleteModel(name="PendingSeenRange"),
        migrations.DeleteModel(name="SeenRangeRebuild"),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_constraints, drop_constraints)],
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="people.person",
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="workspace",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="workspaces.workspace",
                    ),
                ),
            ],
        ),
    ]
