"""Fetching a URL someone else named (a payload, a mask) without letting them aim us inward.

A server that fetches URLs from requests must not become a way into its own network: only http(s)
is spoken, every address the host name resolves to must be a public one, the connection goes to
the address that was checked (so a second DNS answer cannot swap in a private one), and every
redirect is checked the same way. ``LABELPORT_ALLOW_PRIVATE_URLS=1`` lifts the address rule for
deployments whose assets live on a private network (and for tests on loopback).
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import ssl
import urllib.parse
from collections.abc import Iterator

from labelport.model.errors import InvalidInputError

CHUNK = 1 << 16
MAX_REDIRECTS = 5
TIMEOUT = 30.0

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def private_allowed() -> bool:
    return os.environ.get("LABELPORT_ALLOW_PRIVATE_URLS", "").strip().lower() in ("1", "true", "yes")


def fetch(url: str, *, limit_bytes: int, allow_private: bool = False) -> Iterator[bytes]:
    """The body of ``url`` in chunks. Refusals and failures are `InvalidInputError`:
    ``url_not_allowed`` (scheme or address), ``payload_too_large`` (more than ``limit_bytes``),
    ``fetch_failed`` (unreachable, timeout, an error status). Checks and the connection happen
    before this returns, so a refused URL raises here, not at the first chunk."""
    allow = allow_private or private_allowed()
    for _ in range(MAX_REDIRECTS + 1):
        conn, resp = _open(url, allow)
        if resp.status in (301, 302, 303, 307, 308):
            location = resp.getheader("Location")
            _close(conn, resp)
            if not location:
                raise InvalidInputError(f"{_shown(url)} redirected without a Location", code="fetch_failed")
            url = urllib.parse.urljoin(url, location)
            continue
        if not 200 <= resp.status < 300:
            _close(conn, resp)
            raise InvalidInputError(
                f"{_shown(url)} answered HTTP {resp.status} {resp.reason}", code="fetch_failed"
            )
        length = resp.getheader("Content-Length")
        if length is not None and length.isdigit() and int(length) > limit_bytes:
            _close(conn, resp)
            raise _too_large(url, limit_bytes)
        return _body(url, conn, resp, limit_bytes)
    raise InvalidInputError(f"{_shown(url)}: more than {MAX_REDIRECTS} redirects", code="fetch_failed")


def _body(
    url: str, conn: http.client.HTTPConnection, resp: http.client.HTTPResponse, limit: int
) -> Iterator[bytes]:
    seen = 0
    try:
        while True:
            try:
                chunk = resp.read(CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                raise InvalidInputError(f"{_shown(url)}: {exc}", code="fetch_failed") from exc
            if not chunk:
                return
            seen += len(chunk)
            if seen > limit:
                raise _too_large(url, limit)
            yield chunk
    finally:
        _close(conn, resp)


def _close(conn: http.client.HTTPConnection, resp: http.client.HTTPResponse) -> None:
    # the response may own the socket by now (a server closing after it), so close both
    resp.close()
    conn.close()


def check_url(url: str, *, allow_private: bool = False) -> tuple[urllib.parse.SplitResult, list[Address]]:
    """The URL split, and the addresses its host resolves to, all of them permitted."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidInputError(
            f"{_shown(url)}: only http and https URLs are fetched", code="url_not_allowed"
        )
    host = parts.hostname
    if not host:
        raise InvalidInputError(f"{_shown(url)}: the URL names no host", code="url_not_allowed")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except ValueError as exc:
        raise InvalidInputError(f"{_shown(url)}: {exc}", code="url_not_allowed") from exc
    except OSError as exc:
        raise InvalidInputError(f"{_shown(url)}: cannot resolve {host!r}", code="fetch_failed") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not allow_private:
        for address in addresses:
            if not _public(address):
                raise InvalidInputError(
                    f"{_shown(url)}: {host} is {address}, a loopback, private, link-local or reserved "
                    "address",
                    code="url_not_allowed",
                    hint="set LABELPORT_ALLOW_PRIVATE_URLS=1 on the server to allow private networks",
                )
    return parts, addresses


def _public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None and not embedded.is_global:
            return False
    return address.is_global and not address.is_multicast


def _open(url: str, allow: bool) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    parts, addresses = check_url(url, allow_private=allow)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = _PinnedHTTPS(host, port, str(addresses[0]))
    else:
        conn = _PinnedHTTP(host, port, str(addresses[0]))
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        conn.request("GET", target, headers={"User-Agent": "labelport", "Accept-Encoding": "identity"})
        return conn, conn.getresponse()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        raise InvalidInputError(f"{_shown(url)}: {exc}", code="fetch_failed") from exc


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever DNS says next time."""

    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=TIMEOUT)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=TIMEOUT, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _too_large(url: str, limit: int) -> InvalidInputError:
    return InvalidInputError(
        f"{_shown(url)} is larger than the limit of {limit:,} bytes", code="payload_too_large"
    )


def _shown(url: str) -> str:
    """The URL without user info or query, which may carry credentials."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


__all__ = ["check_url", "fetch", "private_allowed"]
