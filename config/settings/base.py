"""Settings shared by every environment, read from the environment.

With nothing set, Motive runs on the embedded default: SQLite, Celery on
kombu's filesystem transport (a real worker and beat without Redis), console
email and the offline moderator.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("MOTIVE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Set only when a reverse proxy (docs/nginx.conf) sets X-Forwarded-Proto and
# X-Forwarded-For itself: without one, those headers are the client's to forge.
MOTIVE_BEHIND_PROXY = env_bool("MOTIVE_BEHIND_PROXY", False)
if MOTIVE_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Django's admin site at /admin/ (off in production unless enabled).
MOTIVE_ADMIN_ENABLED = env_bool("MOTIVE_ADMIN_ENABLED", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "corsheaders",
    "workspaces",
    "llm",
    "people",
    "segments",
    "studies",
    "interviews",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# Browser SDKs (analytics.js, RudderStack's JS SDK) post events from the customer's
# own site, another origin: the ingestion routes, and only they, answer CORS
# preflights for any origin. Their credential is the write key in a header, never
# a cookie, so no credentials are allowed.
CORS_URLS_REGEX = r"^/(v1|api/v1/ingest)/"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ("OPTIONS", "POST")
CORS_ALLOW_HEADERS = ("authorization", "content-type", "content-encoding", "x-requested-with")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workspaces.context_processors.workspace",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "motive.sqlite3")),
            # WAL lets the web server and the worker read while the other writes.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The events index includes person_id as a non-key column on PostgreSQL; SQLite
# (the embedded demo) has no covering indexes and simply builds the key part.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["workspaces.auth_backends.EmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# The languages respondents' emails and pages are translated into (a study's
# `language`); the researcher UI is in English. No LocaleMiddleware: the language
# is the study's, not the browser's.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The cache holds sign-in throttling counts (workspaces/signin_throttle.py), which
# every web process must share: Redis when there is one.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }

# Email: EMAIL_URL-free, plain SMTP settings; console when no host is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Motive <motive@localhost>")
MOTIVE_BASE_URL = os.environ.get("MOTIVE_BASE_URL", "http://127.0.0.1:8000")
# Where respondents open their links (/i/<token>/) when it is not MOTIVE_BASE_URL.
MOTIVE_PUBLIC_URL = os.environ.get("MOTIVE_PUBLIC_URL", "")
# The sender of study invitations; DEFAULT_FROM_EMAIL when not set.
MOTIVE_INVITATION_FROM_EMAIL = os.environ.get("MOTIVE_INVITATION_FROM_EMAIL", "")

# LLM (llm/): one OpenAI-compatible endpoint. With no key every call takes its
# caller's offline behaviour and nothing leaves the machine.
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL", "")
MOTIVE_LLM_MODEL = os.environ.get("MOTIVE_LLM_MODEL", "gpt-4o-mini")
MOTIVE_LLM_TIMEOUT = float(os.environ.get("MOTIVE_LLM_TIMEOUT", "20"))
MOTIVE_LLM_MAX_RETRIES = int(os.environ.get("MOTIVE_LLM_MAX_RETRIES", "2"))
MOTIVE_LLM_REDACT = env_bool("MOTIVE_LLM_REDACT", True)

# The respondent's endpoints (/i/<token>/ and /api/v1/interviews/): requests a minute
# allowed per interview link and per client address (0: no limit); interviews/ratelimit.py.
MOTIVE_INTERVIEW_RATE_PER_TOKEN = int(os.environ.get("MOTIVE_INTERVIEW_RATE_PER_TOKEN", "120"))
MOTIVE_INTERVIEW_RATE_PER_IP = int(os.environ.get("MOTIVE_INTERVIEW_RATE_PER_IP", "1200"))

# Celery: Redis when REDIS_URL is set, else kombu's filesystem transport.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = True
else:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
# The cache (rate limits): Redis when REDIS_URL is set, shared by every process;
# else each process keeps its own in memory.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "motive",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "workspaces.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["workspaces.permissions.IsWorkspaceMember"],
    "DEFAULT_PAGINATION_CLASS": "workspaces.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "workspaces.errors.api_exception_handler",
    "DEFAULT_METADATA_CLASS": "workspaces.metadata.BasicMetadata",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["workspaces.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Motive API",
    "DESCRIPTION": (
        "Behavioral segmentation research: ingest what customers do, define segments, "
        "interview their members, compare why they act as they do. Authenticate with "
        "`Authorization: Bearer <api key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The ingestion endpoints are plain Django views; this adds their description.
    "PREPROCESSING_HOOKS": ["people.openapi.ingestion_endpoints"],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Served from the sidecar package: no asset is fetched from the internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets whose field names other choice sets share: named after their model.
    "ENUM_NAME_OVERRIDES": {
        "QuestionTypeEnum": "studies.question_types.QuestionType",
        "TypeEnum": "people.ingestion.validation.TYPES",
        "StudyStatusEnum": "studies.models.StudyStatus",
        "InvitationStatusEnum": "studies.models.InvitationStatus",
        "InterviewStatusEnum": "interviews.models.InterviewStatus",
        "InterviewStepKindEnum": "interviews.serializers.STEP_KINDS",
        "KindEnum": "segments.models.SegmentKind",
        "ReportStatusEnum": "reports.models.ReportStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
