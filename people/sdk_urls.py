"""/v1/<call> at the site root: what existing SDKs append to their host (Segment's HTTP API).

The same views as /api/v1/ingest/<call>; the trailing slash is optional.
"""

from django.urls import re_path

from people import api

urlpatterns = [
    re_path(rf"^v1/{call}/?$", api.ingest_view(call), name=f"sdk-{call}") for call in api.CALLS
]
