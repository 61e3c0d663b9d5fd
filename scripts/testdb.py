"""Pick the test database: PostgreSQL when DATABASE_URL or localhost:5432 answers, else SQLite.

Prints shell `export` lines for `make test` and says on stderr which it chose.
With REQUIRE_POSTGRES=1 it fails when PostgreSQL is not reachable.
"""

import os
import sys

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/motive"


def reachable(url: str) -> bool:
    try:
        import psycopg

        conninfo = url.replace("postgres://", "postgresql://", 1)
        with psycopg.connect(conninfo, connect_timeout=3, dbname="postgres"):
            return True
    except Exception as exc:
        print(f"PostgreSQL at {url} not reachable: {exc}", file=sys.stderr)
        return False


def main() -> int:
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if reachable(url):
        print(f"Tests run on PostgreSQL ({url.rsplit('@', 1)[-1]}).", file=sys.stderr)
        print(f"export DATABASE_URL='{url}'")
    elif os.environ.get("REQUIRE_POSTGRES") == "1":
        print("REQUIRE_POSTGRES=1 and PostgreSQL is not reachable.", file=sys.stderr)
        return 1
    else:
        print("Tests run on SQLite (PostgreSQL not reachable).", file=sys.stderr)
        print("unset DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    print(f"export MOTIVE_TEST_REDIS_URL='{redis_url}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
