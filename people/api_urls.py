"""/api/v1/ingest/<call> (Segment-spec ingestion; the trailing slash is optional) and the
people API (`people/`, `people/{id}/`, `people/{id}/events/`)."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from people import api

router = SimpleRouter()
router.register("people", api.PersonViewSet, basename="person")

urlpatterns = [
    # First: the ingestion routes take most requests, and URLs resolve in order.
    *(
        re_path(rf"^ingest/{call}/?$", api.ingest_view(call), name=f"ingest-{call}")
        for call in api.CALLS
    ),
    *router.urls,
]
