"""import_people FILE --workspace ID: a user_id column plus one column per trait."""

from __future__ import annotations

from people.importing import import_people_csv
from people.management.commands._importer import ImportCommand


class Command(ImportCommand):
    help = "Import people from a CSV: user_id plus one column per trait."
    noun = "people"
    importer = staticmethod(import_people_csv)
