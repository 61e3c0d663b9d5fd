"""The ingest-only URLconf (config.settings.ingest): ingestion and nothing else.

For operators who run ingestion on processes of its own, routed by path at the
proxy (/api/v1/ingest/ and /v1/ here, everything else to config.wsgi). The
views are the main URLconf's; anything else is a JSON 404.
"""

from django.urls import URLPattern, URLResolver, include, path

from workspaces.errors import json_bad_request, json_not_found, json_server_error

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", include("people.api_urls")),
    path("", include("people.sdk_urls")),
]

handler400 = json_bad_request
handler404 = json_not_found
handler500 = json_server_error
