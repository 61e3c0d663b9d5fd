"""Every batch that moves a person's seen range rewrites the person's row: let
PostgreSQL do that as a heap-only (HOT) update, which adds no entry to any of the
table's indexes.

An update is heap-only when no indexed column changes and the new row version fits
on the same page. So `last_seen` leaves the indexes (person_ws_last_seen goes: the
people list sorts a workspace's people by last seen without it, as the planner already
chose to at 100,000 people, benchmarks/RESULTS.md), and the table keeps a fifth of each
page free for new versions (fillfactor 80; pages written earlier keep their fill until
they are rewritten).
"""

from typing import Any

from django.db import migrations

PERSON = "segments_person"


def leave_room(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {PERSON} SET (fillfactor = 80)")


def fill_pages(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {PERSON} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("people", "0004_event_person_composite_constraint")]

    operations = [
        migrations.RemoveIndex(model_name="person", name="person_ws_last_seen"),
        migrations.RunPython(leave_room, fill_pages),
    ]
