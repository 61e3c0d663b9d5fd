"""Ids and event names in the "C" collation on PostgreSQL (people.fields.IdentifierField).

Written out so that each table is altered by one statement (its indexes on
those columns are rebuilt once, not once per column), and so that SQLite, where
nothing changes, does not rebuild four tables.
"""

from django.db import migrations

import people.fields

# table -> (column, varchar length)
COLUMNS = {
    "segments_account": [("group_id", 255)],
    "segments_event": [("message_id", 255), ("name", 200)],
    "segments_person": [("user_id", 255)],
    "segments_personalias": [("anonymous_id", 255)],
}


def _collate(collation: str):
    def alter(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        for table, columns in COLUMNS.items():
            clauses = ", ".join(
                f"ALTER COLUMN {quote(column)} TYPE varchar({length}) COLLATE {quote(collation)}"
                for column, length in columns
            )
            schema_editor.execute(f"ALTER TABLE {quote(table)} {clauses}")

    return alter


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0007_event_person_without_constraint"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(_collate("C"), _collate("default"))],
            state_operations=[
                migrations.AlterField(
                    model_name="account",
                    name="group_id",
                    field=people.fields.IdentifierField(max_length=255),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="message_id",
                    field=people.fields.IdentifierField(max_length=255),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="name",
                    field=people.fields.IdentifierField(max_length=200),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="user_id",
                    field=people.fields.IdentifierField(blank=True, max_length=255, null=True),
                ),
                migrations.AlterField(
                    model_name="personalias",
                    name="anonymous_id",
                    field=people.fields.IdentifierField(max_length=255),
                ),
            ],
        ),
    ]
