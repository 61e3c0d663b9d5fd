"""A browser SDK's request from a customer's site (another origin) reaches ingestion."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from people.models import Event
from tests.factories import WorkspaceFactory
from workspaces import services
from workspaces.models import KeyScope

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _ShopPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>Shop</title><p>shop</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def shop():
    """A page on another origin (another port of 127.0.0.1), as a customer's site."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ShopPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_page_on_another_origin_sends_a_track_call_with_the_write_key(page, live_server, shop):
    workspace = WorkspaceFactory(name="Acme")
    _, raw = services.api_key_create(workspace=workspace, name="web", scope=KeyScope.INGEST)
    page.goto(f"{shop}/")
    # What analytics.js does: Basic auth with the write key, a JSON body; the
    # Authorization header makes the browser send a preflight first.
    result = page.evaluate(
        """async ([url, auth]) => {
            const response = await fetch(url, {
                method: "POST",
                headers: {"Authorization": "Basic " + auth, "Content-Type": "application/json"},
                body: JSON.stringify({userId: "u_1", event: "Pricing Page Viewed",
                                      messageId: "web-1", timestamp: "2026-11-02T08:00:00Z"}),
            });
            return {status: response.status, body: await response.json()};
        }""",
        [f"{live_server.url}/v1/track", base64.b64encode(f"{raw}:".encode()).decode()],
    )
    assert result == {
        "status": 200,
        "body": {"accepted": 1, "duplicates": 0, "rejected": []},
    }
    assert Event.objects.get(message_id="web-1").person.user_id == "u_1"
