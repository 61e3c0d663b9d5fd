"""import_events FILE --workspace ID: user_id,event,timestamp,properties,message_id rows."""

from __future__ import annotations

from people.importing import import_events_csv
from people.management.commands._importer import ImportCommand


class Command(ImportCommand):
    help = "Import events from a CSV (user_id,event,timestamp,properties,message_id)."
    noun = "events"
    importer = staticmethod(import_events_csv)
