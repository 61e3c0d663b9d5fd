"""The Celery app, its queues and routes, and the one beat schedule."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("motive")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [
    Queue(name) for name in ("default", "ingest", "segments", "llm", "webhooks")
]
app.conf.task_default_queue = "default"
# Tasks are named "<app>.<action>"; the app decides the queue, so slow LLM
# calls never starve segment work.
app.conf.task_routes = {
    "segments.*": {"queue": "segments"},
    "people.*": {"queue": "ingest"},
    "ingest.*": {"queue": "ingest"},
    "interviews.*": {"queue": "llm"},
    "reports.*": {"queue": "llm"},
    "webhooks.*": {"queue": "webhooks"},
}
# Every periodic job lives here, in one place.
app.conf.beat_schedule = {
    "segments.refresh_due": {"task": "segments.refresh_due", "schedule": 5 * 60},
    "segments.prune_inbound_deliveries": {
        "task": "segments.prune_inbound_deliveries",
        "schedule": 60 * 60,
    },
    "studies.send_due": {"task": "studies.send_due", "schedule": 10 * 60},
    "reports.regenerate_due": {"task": "reports.regenerate_due", "schedule": 15 * 60},
    "studies.expire_invitations": {"task": "studies.expire_invitations", "schedule": 60 * 60},
    "workspaces.expire_member_invites": {
        "task": "workspaces.expire_member_invites",
        "schedule": 60 * 60,
    },
}
app.autodiscover_tasks()
