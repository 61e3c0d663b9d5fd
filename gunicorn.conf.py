"""gunicorn's settings for Motive, read from the working directory by `gunicorn config.wsgi`.

Command-line flags and GUNICORN_CMD_ARGS override them.

- gthread workers of 4 threads: an ingest call spends much of its time waiting
  for PostgreSQL's commit, and a waiting thread releases the GIL; threads also
  keep idle keep-alive connections (SDKs hold theirs open) off the worker.
  Two sync workers measured within the noise of two gthread workers on the
  batch benchmark (benchmarks/RESULTS.md, 2026-11-29) but need a buffering
  proxy in front, or a slow client holds a whole worker.
- Workers: WEB_CONCURRENCY, else 2 x cores + 1 (gunicorn's advice).
- The heartbeat file on a tmpfs: each worker touches it on every turn of its
  loop, which on a disk file system is a metadata write (gunicorn's docs
  advise /dev/shm for the same reason).
"""

import multiprocessing
import os

wsgi_app = "config.wsgi"
worker_class = "gthread"
threads = 4
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
if os.path.isdir("/dev/shm"):  # noqa: S108 - gunicorn's heartbeat files, not data
    worker_tmp_dir = "/dev/shm"  # noqa: S108
