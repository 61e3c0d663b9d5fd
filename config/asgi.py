import os

from django.core.asgi import get_asgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_asgi_application()

# As in config/wsgi.py: the URLconf loads as the worker boots.
get_resolver().url_patterns  # noqa: B018
