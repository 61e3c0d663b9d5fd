import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

# Import the URLconf (and with it every view, scikit-learn included) as the worker
# boots, not in its first request; an import error then fails the boot.
get_resolver().url_patterns  # noqa: B018
