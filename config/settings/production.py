"""Production: PostgreSQL, Redis, real secrets. Nothing here has a default secret."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import env_bool, env_list

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")

# SECURE_PROXY_SSL_HEADER comes from MOTIVE_BEHIND_PROXY (base): trusted only behind a proxy.
MOTIVE_ADMIN_ENABLED = env_bool("MOTIVE_ADMIN_ENABLED", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
