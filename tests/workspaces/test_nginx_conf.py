"""docs/nginx.conf: the buffering reverse proxy the README puts in front of gunicorn."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "docs" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def _directives(text: str) -> list[str]:
    """Each directive as written, comments dropped, whitespace collapsed."""
    body = re.sub(r"#[^\n]*", "", text)
    return [" ".join(part.split()) for part in re.split(r"[;{}]", body) if part.strip()]


def test_sample_buffers_and_sets_the_headers_django_trusts():
    directives = _directives(CONF.read_text())
    for expected in (
        "proxy_request_buffering on",
        "proxy_buffering on",
        "proxy_set_header X-Forwarded-Proto $scheme",
        # Set, not appended ($proxy_add_x_forwarded_for): the client cannot forge it.
        "proxy_set_header X-Forwarded-For $remote_addr",
        "proxy_set_header Host $host",
        "client_body_timeout 30s",
        "send_timeout 30s",
        # The CSV import takes 50 MB.
        "client_max_body_size 51m",
        "server 127.0.0.1:8000",
        "proxy_pass http://motive_web",
        "proxy_pass http://motive_ingest",
    ):
        assert expected in directives, expected
    assert not any("proxy_buffering off" in d for d in directives)
    assert not any("$proxy_add_x_forwarded_for" in d for d in directives)


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_accepts_the_sample(tmp_path):
    """`nginx -t` on the sample, with a throwaway certificate in place of the real one."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    text = CONF.read_text()
    assert "/etc/ssl/motive/fullchain.pem" in text and "/etc/ssl/motive/privkey.pem" in text
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        text.replace("/etc/ssl/motive/fullchain.pem", str(cert)).replace(
            "/etc/ssl/motive/privkey.pem", str(key)
        )
    )
    result = subprocess.run(
        [
            *(NGINX, "-t", "-e", "stderr", "-p", str(tmp_path), "-c", str(conf)),
            *("-g", f"pid {tmp_path / 'nginx.pid'};"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
