"""WSGI entry point of the ingest-only deployable: `gunicorn config.ingest_wsgi`.

The same views as config.wsgi, through Django's handler, with the settings of
config.settings.ingest (its own URLconf and a short middleware stack).
"""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.ingest")
application = get_wsgi_application()

# Load the URLconf as the worker boots, not in its first request (config/wsgi.py).
get_resolver().url_patterns  # noqa: B018
