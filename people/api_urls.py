from django.urls import path
from rest_framework.routers import SimpleRouter

from people import api

# The people API (`people/`, `people/{id}/`, `people/{id}/events/`): after the
# ingestion routes, which take most requests and are resolved in order.
router = SimpleRouter()
router.register("people", api.PersonViewSet, basename="person")

urlpatterns = [
    path("ingest/batch", api.ingest_view(api.IngestBatchApi), name="ingest-batch"),
    path("ingest/track", api.ingest_view(api.IngestTrackApi), name="ingest-track"),
    path("ingest/identify", api.ingest_view(api.IngestIdentifyApi), name="ingest-identify"),
    path("ingest/group", api.ingest_view(api.IngestGroupApi), name="ingest-group"),
    *router.urls,
]
