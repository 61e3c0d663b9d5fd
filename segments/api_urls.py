from django.urls import path

from segments import api

urlpatterns = [
    path("ingest/batch", api.IngestBatchApi.as_view(), name="ingest-batch"),
    path("ingest/track", api.IngestTrackApi.as_view(), name="ingest-track"),
    path("ingest/identify", api.IngestIdentifyApi.as_view(), name="ingest-identify"),
    path("ingest/group", api.IngestGroupApi.as_view(), name="ingest-group"),
]
