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


def test_gunicorn_parses_requests_with_its_c_parser(monkeypatch):
    # gunicorn-h1c (a dependency) is picked up by the default http_parser = "auto";
    # the pure-Python parser cost ~7 % of a worker's CPU per /ingest/track call.
    from gunicorn.http.message import _check_fast_parser

    cfg = _config(monkeypatch)
    assert cfg.http_parser == "auto"
    assert _check_fast_parser(cfg) is True
