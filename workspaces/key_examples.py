"""The ready-to-run request shown with a new API key: one for each scope."""

from __future__ import annotations

import json

from workspaces.models import KeyScope

INGEST_EXAMPLE_BODY = {
    "userId": "user-1",
    "event": "Signed Up",
    "properties": {"plan": "pro"},
}


def curl_example(*, base_url: str, scope: str, raw_key: str) -> str:
    """A `curl` command that works with this key as it is: an ingest key sends one event,
    a full key lists the workspace's segments. Rendered once, never stored."""
    base = base_url.rstrip("/")
    auth = f'-H "Authorization: Bearer {raw_key}"'
    if scope == KeyScope.INGEST:
        body = json.dumps(INGEST_EXAMPLE_BODY)
        return (
            f"curl -X POST {base}/api/v1/ingest/track \\\n"
            f"  {auth} \\\n"
            '  -H "Content-Type: application/json" \\\n'
            f"  -d '{body}'"
        )
    return f"curl {base}/api/v1/segments/ \\\n  {auth}"
