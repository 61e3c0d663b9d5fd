import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
django_application = get_wsgi_application()

# After Django is set up: the ingestion calls' route in front of Django's handler.
from segments.wsgi import IngestionRoute, load_urlconf  # noqa: E402

application = IngestionRoute(django_application)
load_urlconf(application)
