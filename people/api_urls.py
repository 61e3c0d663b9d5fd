"""/api/v1/ingest/<call>: Segment-spec ingestion (people/api.py); the trailing slash is optional."""

from django.urls import re_path

from people import api

urlpatterns = [
    re_path(rf"^ingest/{call}/?$", api.ingest_view(call), name=f"ingest-{call}")
    for call in api.CALLS
]
