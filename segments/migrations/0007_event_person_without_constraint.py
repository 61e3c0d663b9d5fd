"""Drop the event → person foreign-key constraint on PostgreSQL.

Why, and what keeps the reference valid instead: segments/models.py. SQLite
keeps the constraint (dropping it there rebuilds the events table, and its
checks are cheap), as migration 0004 did for the workspace constraint.
Reversing re-adds the constraint, which validates every event.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("segments", "event")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    quote = schema_editor.quote_name
    for name, info in constraints.items():
        if info["foreign_key"] and info["columns"] == ["person_id"]:
            schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")


def restore(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    event = apps.get_model("segments", "event")
    field = event._meta.get_field("person")
    schema_editor.execute(
        schema_editor._create_fk_sql(event, field, "_fk_%(to_table)s_%(to_column)s")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0006_seen_range_rebuild"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, restore)],
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="person",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="segments.person",
                    ),
                ),
            ],
        ),
    ]
