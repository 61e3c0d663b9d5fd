"""Drop the foreign keys' own indexes (prefixes of composite ones) and the event's workspace FK.

Why: segments/models.py. The database side is written out rather than left to
AlterField, which would drop and re-add (and so re-validate, scanning every
event) the foreign-key constraints it did not need to touch.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

# (model, column): the single-column index Django made for the foreign key goes.
REDUNDANT_INDEXES = [
    ("account", "workspace_id"),
    ("event", "person_id"),
    ("event", "workspace_id"),
    ("person", "workspace_id"),
    ("personalias", "workspace_id"),
]


def _constraints(schema_editor: Any, table: str) -> dict[str, dict[str, Any]]:
    with schema_editor.connection.cursor() as cursor:
        return schema_editor.connection.introspection.get_constraints(cursor, table)


def drop(apps: Any, schema_editor: Any) -> None:
    quote = schema_editor.quote_name
    for model_name, column in REDUNDANT_INDEXES:
        table = apps.get_model("segments", model_name)._meta.db_table
        for name, info in _constraints(schema_editor, table).items():
            if info["index"] and not info["unique"] and info["columns"] == [column]:
                schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")
    if schema_editor.connection.vendor == "postgresql":
        # SQLite cannot drop a constraint without rebuilding the table; its
        # foreign-key checks are cheap there, so the constraint stays.
        table = apps.get_model("segments", "event")._meta.db_table
        for name, info in _constraints(schema_editor, table).items():
            if info["foreign_key"] and info["columns"] == ["workspace_id"]:
                schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")


def restore(apps: Any, schema_editor: Any) -> None:
    for model_name, column in REDUNDANT_INDEXES:
        model = apps.get_model("segments", model_name)
        field = next(f for f in model._meta.local_fields if f.column == column)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))
    event = apps.get_model("segments", "event")
    if schema_editor.connection.vendor == "postgresql":
        field = event._meta.get_field("workspace")
        schema_editor.execute(
            schema_editor._create_fk_sql(event, field, "_fk_%(to_table)s_%(to_column)s")
        )


def _fk(**kwargs: Any) -> models.ForeignKey:
    return models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, **kwargs)


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0003_segment_compute_job"),
        ("workspaces", "0002_workspace_revenue_and_refresh"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, restore)],
            state_operations=[
                migrations.AlterField(
                    model_name="account",
                    name="workspace",
                    field=_fk(db_index=False, related_name="accounts", to="workspaces.workspace"),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="person",
                    field=_fk(db_index=False, related_name="events", to="segments.person"),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="workspace",
                    field=_fk(
                        db_constraint=False,
                        db_index=False,
                        related_name="+",
                        to="workspaces.workspace",
                    ),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="workspace",
                    field=_fk(db_index=False, related_name="people", to="workspaces.workspace"),
                ),
                migrations.AlterField(
                    model_name="personalias",
                    name="workspace",
                    field=_fk(db_index=False, related_name="+", to="workspaces.workspace"),
                ),
            ],
        ),
    ]
