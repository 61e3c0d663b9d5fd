"""gunicorn.conf.py: what `gunicorn config.wsgi` run from the repository gets."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _config(monkeypatch, *args: str):
    from gunicorn.app.wsgiapp import WSGIApplication

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "argv", ["gunicorn", "config.wsgi", *args])
    return WSGIApplication().cfg


def test_gunicorn_takes_the_repository_settings(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    cfg = _config(monkeypatch)
    assert (cfg.worker_class_str, cfg.threads, cfg.workers) == ("gthread", 4, 3)
    assert cfg.worker_tmp_dir == "/dev/shm"


def test_the_command_line_overrides_them(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    # (gunicorn turns sync workers with threads into gthread: threads go back to 1.)
    cfg = _config(monkeypatch, "-k", "sync", "--threads", "1", "-w", "2")
    assert (cfg.worker_class_str, cfg.workers) == ("sync", 2)
