"""The browser's session: the API token kept in a cookie, turned into the API's own bearer header.

Sitting in front of the API's auth middleware means a page and an API call go through one check
with one set of scopes: a read token sees pages, an import token may also start imports. The
cookie is HTTP-only (scripts cannot read the token) and SameSite=Strict; a state-changing request
carried by the cookie must also come from this origin, so another site cannot post on a user's
behalf even in a browser that ignores SameSite.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "labelport_token"
UI = "/ui"
PUBLIC_PREFIXES = (UI + "/signin", UI + "/static/")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cookie_token(scope: Scope) -> str | None:
    """The token in the request's session cookie, if any."""
    for key, value in scope["headers"]:
        if key == b"cookie":
            for part in bytes(value).decode("latin-1").split(";"):
                name, _, val = part.strip().partition("=")
                if name == COOKIE and val:
                    return val
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _same_origin(scope: Scope) -> bool:
    origin = _header(scope, b"origin") or _header(scope, b"referer")
    host = _header(scope, b"host")
    return origin is not None and host is not None and urlsplit(origin).netloc == host


class WebSessionMiddleware:
    """Cookie to bearer header; pages (not API calls) whose token is refused go to the sign-in page."""

    def __init__(self, app: ASGIApp, *, public_app: ASGIApp) -> None:
        self.app = app
        self.public_app = public_app  # sign-in and static files: no token needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == UI or path.startswith(PUBLIC_PREFIXES):
            await self.public_app(scope, receive, send)
            return
        token = cookie_token(scope)
        if token is not None and _header(scope, b"authorization") is None:
            if scope["method"] not in SAFE_METHODS and not _same_origin(scope):
                await _forbidden(send)
                return
            headers = [*scope["headers"], (b"authorization", b"Bearer " + token.encode("latin-1"))]
            scope = {**scope, "headers": headers}
        if path.startswith(UI + "/") and scope["method"] == "GET":
            await self.app(scope, receive, _to_signin(send, path, signed_in=token is not None))
            return
        await self.app(scope, receive, send)


async def _forbidden(send: Send) -> None:
    body = b'{"title":"cross-site request refused","status":403,"code":"cross_site_request"}'
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _to_signin(send: Send, path: str, *, signed_in: bool) -> Send:
    """``send`` that answers a page's 401 with a redirect to the sign-in page instead."""
    redirected = False

    async def wrapped(message: Message) -> None:
        nonlocal redirected
        if message["type"] == "http.response.start" and message["status"] == 401:
            redirected = True
            why = "expired" if signed_in else "needed"
            location = f"{UI}/signin?next={quote(path)}&why={why}"
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        if redirected:
            return
        await send(message)

    return wrapped
