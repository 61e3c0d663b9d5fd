from django.urls import path

from people import api

urlpatterns = [
    path("ingest/batch", api.ingest_view(api.IngestBatchApi), name="ingest-batch"),
    path("ingest/track", api.ingest_view(api.IngestTrackApi), name="ingest-track"),
    path("ingest/identify", api.ingest_view(api.IngestIdentifyApi), name="ingest-identify"),
    path("ingest/group", api.ingest_view(api.IngestGroupApi), name="ingest-group"),
]
