"""On PostgreSQL, an event references its person through ONE constraint on
(workspace_id, person_id) → person (workspace_id, id), instead of one on
person_id and one on workspace_id.

It says more than the two did (an event's workspace is its person's, so no row
can join one workspace's events to another's people) and costs one check per
stored event instead of two: the workspace constraint made every event of every
batch lock the same workspace row. A person's workspace is a constraint of its
own (person → workspace), so an event's workspace still exists. Deleting a
person still cascades to its events in the database.

SQLite keeps Django's two single-column constraints (it cannot add a composite
one to an existing table); the model state describes those.
"""

from typing import Any

from django.db import migrations, models

EVENT, PERSON, WORKSPACE = "segments_event", "segments_person", "workspaces_workspace"


def to_composite(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # NOT VALID, then VALIDATE: existing rows are checked without blocking writes
    # to the people table for the whole scan.
    schema_editor.execute(
        f"ALTER TABLE {EVENT} DROP CONSTRAINT segments_event_person_id_fk, "
        "DROP CONSTRAINT segments_event_workspace_id_fk, "
        "ADD CONSTRAINT segments_event_person_fk FOREIGN KEY (workspace_id, person_id) "
        f"REFERENCES {PERSON} (workspace_id, id) ON DELETE CASCADE "
        "DEFERRABLE INITIALLY DEFERRED NOT VALID"
    )
    schema_editor.execute(f"ALTER TABLE {EVENT} VALIDATE CONSTRAINT segments_event_person_fk")


def to_single_columns(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE {EVENT} DROP CONSTRAINT segments_event_person_fk, "
        "ADD CONSTRAINT segments_event_person_id_fk FOREIGN KEY (person_id) "
        f"REFERENCES {PERSON} (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, "
        "ADD CONSTRAINT segments_event_workspace_id_fk FOREIGN KEY (workspace_id) "
        f"REFERENCES {WORKSPACE} (id) DEFERRABLE INITIALLY DEFERRED"
    )


class Migration(migrations.Migration):
    dependencies = [("people", "0003_person_erasure")]

    operations = [
        # The composite constraint's target; also serves "this workspace's people".
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(
                fields=("workspace", "id"), name="uniq_person_workspace_id"
            ),
        ),
        migrations.RunPython(to_composite, to_single_columns),
    ]
