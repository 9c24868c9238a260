"""Every error as ``application/problem+json`` (RFC 9457) carrying the CLI's error code.

A script can branch on ``code`` whether it drives the CLI (``--json`` prints the same code) or the
server; ``type`` is the code as a URN, as the RFC asks for a stable identifier.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import msgspec
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from labelport.model.errors import (
    ConflictError,
    InvalidInputError,
    LabelportError,
    NotFoundError,
    OntologyError,
    SchemaError,
)

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("labelport.api")

# codes whose HTTP status is not the one of their error class
STATUS_BY_CODE = {
    "payload_too_large": 413,
    "unauthorized": 401,
    "insufficient_scope": 403,
    "fetch_failed": 502,
    "storage_failed": 507,
}


def status_for(exc: LabelportError) -> int:
    if exc.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[exc.code]
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, InvalidInputError):
        return 422
    if isinstance(exc, SchemaError):
        return 503
    return 400


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    hint: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": f"urn:labelport:error:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if hint is not None:
        body["hint"] = hint
    body.update(extra)
    return Response(msgspec.json.encode(body), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def from_error(exc: LabelportError) -> Response:
    extra: dict[str, Any] = {}
    if isinstance(exc, OntologyError):
        extra["pointer"] = exc.pointer
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem(status, exc.code, exc.message, hint=exc.hint, headers=headers, **extra)


async def _labelport_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LabelportError)
    return from_error(exc)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"location": "/".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"location": "", "message": "invalid request"}
    return problem(422, "invalid_request", f"{first['location']}: {first['message']}", errors=errors)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return problem(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}) or None)


async def _database_refused(_request: Request, exc: Exception) -> Response:
    # the database could not take a value the request carried (a NUL in a name, a number out of
    # its column's range): the request is at fault, not the server
    log.info("database refused a value: %s", exc.__class__.__name__)
    return problem(422, "invalid_value", "a value in the request cannot be stored or looked up")


async def _unexpected(request: Request, exc: Exception) -> Response:
    # the path without its query: a query may carry data the client did not mean to be logged
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(500, "internal_error", "the server failed; its log says why")


def install(app: FastAPI) -> None:
    app.add_exception_handler(LabelportError, _labelport_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(sa.exc.DataError, _database_refused)
    app.add_exception_handler(Exception, _unexpected)
