"""The fetch guard: only http(s), only public addresses (unless allowed), redirects checked,
sizes bounded. A real HTTP server on loopback plays the far end."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from labelport.media.fetch import check_url, fetch
from labelport.model.errors import InvalidInputError

BODY = b"0123456789" * 10_000  # 100 kB


class _Handler(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        _Handler.hits.append(self.path)
        if self.path == "/ok":
            self._send(200, BODY)
        elif self.path == "/unsized":  # no Content-Length: the body ends when the connection does
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(BODY)
            self.close_connection = True
        elif self.path.startswith("/to?"):
            self.send_response(302)
            self.send_header("Location", self.path.split("?", 1)[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(500, b"boom")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _code(url: str, **kw: object) -> str:
    with pytest.raises(InvalidInputError) as err:
        b"".join(fetch(url, limit_bytes=kw.pop("limit", 1 << 20), **kw))  # type: ignore[arg-type]
    return err.value.code


def test_loopback_is_refused_before_any_connection(origin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABELPORT_ALLOW_PRIVATE_URLS", raising=False)
    before = len(_Handler.hits)
    assert _code(origin + "/ok") == "url_not_allowed"
    assert len(_Handler.hits) == before


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    ],
)
def test_private_link_local_and_reserved_addresses_are_refused(url: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        check_url(url)
    assert err.value.code == "url_not_allowed"
    assert "LABELPORT_ALLOW_PRIVATE_URLS" in (err.value.hint or "")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/", "http:///x", "x"]
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        check_url(url, allow_private=True)
    assert err.value.code == "url_not_allowed"


def test_a_public_address_passes_the_check() -> None:
    _parts, addresses = check_url("https://93.184.215.14/labels.ndjson")
    assert [str(a) for a in addresses] == ["93.184.215.14"]


def test_allowed_private_fetches_stream_the_body(origin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = list(fetch(origin + "/ok", limit_bytes=1 << 20, allow_private=True))
    assert b"".join(chunks) == BODY and len(chunks) > 1
    monkeypatch.setenv("LABELPORT_ALLOW_PRIVATE_URLS", "1")
    assert b"".join(fetch(origin + "/unsized", limit_bytes=1 << 20)) == BODY


def test_sizes_are_bounded_with_and_without_a_length(origin: str) -> None:
    before = len(_Handler.hits)
    assert _code(origin + "/ok", limit=1000, allow_private=True) == "payload_too_large"
    assert _code(origin + "/unsized", limit=1000, allow_private=True) == "payload_too_large"
    assert len(_Handler.hits) == before + 2


def test_redirects_are_followed_and_checked(origin: str) -> None:
    assert b"".join(fetch(origin + "/to?/ok", limit_bytes=1 << 20, allow_private=True)) == BODY
    assert _code(origin + "/to?file:///etc/passwd", allow_private=True) == "url_not_allowed"
    assert _code(origin + "/loop", allow_private=True) == "fetch_failed"


def test_failures_are_fetch_failed(origin: str) -> None:
    assert _code(origin + "/missing", allow_private=True) == "fetch_failed"
    closed = origin.rsplit(":", 1)[0] + ":9"
    assert _code(closed + "/x", allow_private=True) == "fetch_failed"


def test_errors_do_not_repeat_credentials_or_queries(origin: str) -> None:
    url = origin.replace("http://", "http://user:secret@") + "/missing?token=abc"
    with pytest.raises(InvalidInputError) as err:
        b"".join(fetch(url, limit_bytes=100, allow_private=True))
    assert "secret" not in err.value.message and "abc" not in err.value.message
