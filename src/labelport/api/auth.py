"""Bearer tokens and body limits, checked before a route sees the request.

Checking here, in front of the router, rather than in a FastAPI dependency means a request without
a valid token is refused before its body is read or validated: an anonymous caller learns nothing
about a route but that it needs a token. Each route declares the scope it needs in its OpenAPI
operation (``x-labelport-scope``); a route that forgets is treated as admin-only.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import anyio
import sqlalchemy as sa
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labelport.api.problems import from_error, problem
from labelport.api.settings import JSON_BODY_LIMIT, Settings
from labelport.model.errors import InvalidInputError, LabelportError
from labelport.model.tokens import ApiToken
from labelport.model.tokens import Scope as TokenScope
from labelport.store import tokens as token_store

PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
SCOPE_KEY = "x-labelport-scope"
UPLOAD_KEY = "x-labelport-upload"
SECURITY_SCHEME = "bearerAuth"
USED_EVERY = 60.0  # seconds between two writes of a token's last use

log = logging.getLogger("labelport.api")


def scoped(scope: TokenScope, *, upload: bool = False) -> dict[str, Any]:
    """A route's ``openapi_extra``: the scope it needs, documented and enforced from one place."""
    extra: dict[str, Any] = {SCOPE_KEY: scope.value, "security": [{SECURITY_SCHEME: []}]}
    if upload:
        extra[UPLOAD_KEY] = True
    return extra


class AuthMiddleware:
    def __init__(self, app: ASGIApp, *, routes: Any, engine: sa.Engine, settings: Settings) -> None:
        self.app = app
        self.routes = routes
        self.engine = engine
        self.settings = settings
        self._used: dict[int, float] = {}
        self._used_lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._extra(scope)
        limit = self.settings.max_upload_bytes if extra.get(UPLOAD_KEY) else JSON_BODY_LIMIT
        if scope["path"] not in PUBLIC_PATHS:
            refusal = await self._authorize(scope, TokenScope(extra.get(SCOPE_KEY, "admin")))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        length = _content_length(scope)
        if length is not None and length > limit:
            await from_error(_too_large(limit))(scope, receive, send)
            return
        await self.app(scope, _limited(receive, limit), send)

    def _extra(self, scope: Scope) -> dict[str, Any]:
        """The matching route's declarations; an unknown path needs a read token (then 404s)."""
        partial: dict[str, Any] | None = None
        for route in self.routes:
            match, _child = route.matches(scope)
            extra = getattr(route, "openapi_extra", None) or {}
            if match is Match.FULL:
                return dict(extra)
            if match is Match.PARTIAL and partial is None:
                partial = dict(extra)
        if partial is not None:
            return partial
        return {SCOPE_KEY: TokenScope.READ.value}

    async def _authorize(self, scope: Scope, needed: TokenScope) -> Any:
        secret = _bearer(scope)
        if secret is None:
            return from_error(
                InvalidInputError(
                    "this route needs an API token",
                    code="unauthorized",
                    hint="send `Authorization: Bearer <token>`; `labelport token create` issues one",
                )
            )
        token = await anyio.to_thread.run_sync(self._lookup, secret)
        if token is None:
            return from_error(InvalidInputError("the API token is unknown or revoked", code="unauthorized"))
        if not token.scope.allows(needed):
            return problem(
                403,
                "insufficient_scope",
                f"this route needs a token of scope {needed.value}; this one is {token.scope.value}",
                hint="issue one with `labelport token create --scope " + needed.value + "`",
            )
        scope.setdefault("state", {})["token"] = token
        return None

    def _lookup(self, secret: str) -> ApiToken | None:
        with self.engine.connect() as conn:
            token = token_store.authenticate(conn, secret)
        if token is not None:
            self._note_use(token.id)
        return token

    def _note_use(self, token_id: int) -> None:
        """Record the token's use, at most once a minute and off the request's path: on SQLite a
        running import holds the write lock, and a read request must not wait for it."""
        now = time.monotonic()
        with self._used_lock:
            if now - self._used.get(token_id, -USED_EVERY) < USED_EVERY:
                return
            self._used[token_id] = now
        threading.Thread(target=self._write_use, args=(token_id,), daemon=True).start()

    def _write_use(self, token_id: int) -> None:
        try:
            with self.engine.begin() as conn:
                token_store.mark_used(conn, token_id)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("could not record the use of token %s: %s", token_id, exc.__class__.__name__)


def _bearer(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"authorization":
            text: str = bytes(value).decode("latin-1")
            kind, _, secret = text.partition(" ")
            if kind.lower() == "bearer" and secret.strip():
                return secret.strip()
            return None
    return None


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _too_large(limit: int) -> LabelportError:
    return InvalidInputError(
        f"the request body is larger than the limit of {limit:,} bytes",
        code="payload_too_large",
        hint="the server's LABELPORT_MAX_UPLOAD_BYTES sets the limit for uploads",
    )


def _limited(receive: Receive, limit: int) -> Receive:
    """``receive`` that refuses a body growing past ``limit`` (a chunked body has no length)."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _too_large(limit)
        return message

    return wrapped
