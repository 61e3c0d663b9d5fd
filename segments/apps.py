from django.apps import AppConfig
from django.db.backends.signals import connection_created


class SegmentsConfig(AppConfig):
    name = "segments"

    def ready(self) -> None:
        from segments import subscriptions
        from segments.rules.dialects import on_connection_created

        # SQLite has no time zone database: rules read local time through a function
        # registered on each connection (PostgreSQL uses AT TIME ZONE).
        connection_created.connect(on_connection_created, dispatch_uid="segments.rules.sqlite")
        subscriptions.subscribe()
