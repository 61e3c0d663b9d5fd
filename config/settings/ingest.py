"""The ingest-only deployable (config/ingest_wsgi.py): production, with only what ingestion needs.

Every app stays installed (its models, and the hooks through which segments
hear of new events and merges); only the URLconf and the middleware shrink.
Ingestion answers API keys alone, so sessions, authentication, messages, CSRF
(the key is never a cookie), frame options and htmx have nothing to do here.
SecurityMiddleware keeps HTTPS redirects, HSTS and nosniff; CorsMiddleware answers
browser SDKs' preflights; CommonMiddleware
keeps the ALLOWED_HOSTS check and DISALLOWED_USER_AGENTS.
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "config.ingest_urls"
WSGI_APPLICATION = "config.ingest_wsgi.application"
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
]
