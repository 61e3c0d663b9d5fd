"""What the server benchmarks share: a scratch database beside DATABASE_URL, a free port,
and CPU seconds of the server's processes read from /proc (Linux).

Not a benchmark itself (`make bench` skips files starting with "_"); the scripts import it
as `_shared`, their own directory being first on `sys.path`.
"""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlsplit, urlunsplit


def database_urls(suffix: str, script: str) -> tuple[str, str]:
    """The URL and name of the scratch database `<DATABASE_URL's name>_<suffix>`; only a
    local PostgreSQL (the script drops and creates it)."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/motive")
    parts = urlsplit(base)
    if parts.hostname not in {"127.0.0.1", "localhost"}:
        sys.exit(f"{script} only runs against a local PostgreSQL (127.0.0.1).")
    name = (parts.path.lstrip("/") or "motive") + f"_{suffix}"
    return urlunsplit(parts._replace(path="/" + name)), name


def psql_admin(url: str, sql: str) -> None:
    """Run one statement on the server's `postgres` database (CREATE/DROP DATABASE)."""
    import psycopg

    admin = url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(server_pid: int, database: str) -> dict[str, list[int]]:
    """gunicorn's processes (its session) and the PostgreSQL backends of the bench database."""
    web, db = [], []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmd:
                cmdline = cmd.read().replace(b"\0", b" ").decode(errors="replace")
            sid = os.getsid(int(entry))
        except OSError:
            continue
        if sid == server_pid:
            web.append(int(entry))
        elif cmdline.startswith("postgres: ") and f" {database} " in cmdline:
            db.append(int(entry))
    return {"web": web, "db": db}
