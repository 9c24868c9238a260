"""The SDK's HTTP: one httpx client with the token, and problem documents turned back into the
exceptions the embedded workspace raises (same classes, same codes)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
import msgspec

from labelport.model.errors import (
    ConflictError,
    InvalidInputError,
    LabelportError,
    NotFoundError,
    OntologyError,
    SchemaError,
)

T = TypeVar("T")


class AuthError(LabelportError):
    """The server refused the token: missing, unknown, revoked (401) or under-scoped (403)."""

    code = "unauthorized"


class _Problem(msgspec.Struct):
    code: str = "error"
    detail: str = ""
    hint: str | None = None
    pointer: str | None = None


def error_from(resp: httpx.Response) -> LabelportError:
    """The exception a problem response stands for."""
    try:
        p = msgspec.json.decode(resp.read(), type=_Problem)
    except (msgspec.DecodeError, msgspec.ValidationError):
        p = _Problem(code="http_error", detail=f"HTTP {resp.status_code}: {resp.text[:200]}")
    status = resp.status_code
    if p.pointer is not None and p.code == "invalid_ontology":
        message = p.detail.removeprefix(f"{p.pointer or '/'}: ")
        return OntologyError(message, pointer=p.pointer, hint=p.hint)
    cls: type[LabelportError]
    if status in (401, 403):
        cls = AuthError
    elif status == 404:
        cls = NotFoundError
    elif status == 409:
        cls = ConflictError
    elif status in (413, 422) or p.code in ("url_not_allowed", "fetch_failed"):
        cls = InvalidInputError
    elif status == 503 and p.code == "schema_outdated":
        cls = SchemaError
    else:
        cls = LabelportError
    return cls(p.detail, code=p.code, hint=p.hint)


class Http:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.client = httpx.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "User-Agent": "labelport-sdk"},
            timeout=httpx.Timeout(timeout, connect=30.0),
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def call(
        self,
        method: str,
        path: str,
        type: type[T],
        *,
        json: Any = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        content: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        """One request; the JSON answer decoded as ``type``, or the problem raised."""
        with self.stream(method, path, json=json, params=params, content=content, headers=headers) as resp:
            return msgspec.json.decode(resp.read(), type=type)

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        content: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[httpx.Response]:
        body = msgspec.json.encode(json) if json is not None else content
        hdrs = dict(headers or {})
        if json is not None:
            hdrs["Content-Type"] = "application/json"
        try:
            with self.client.stream(method, path, content=body, params=_params(params), headers=hdrs) as resp:
                if resp.is_error:
                    raise error_from(resp)
                yield resp
        except httpx.TransportError as exc:
            raise LabelportError(
                f"cannot reach the labelport server at {self.client.base_url}: {exc}",
                code="server_unreachable",
            ) from exc


def _params(params: Mapping[str, Any] | list[tuple[str, Any]] | None) -> httpx.QueryParams | None:
    """Query parameters without the unset ones, booleans spelt as the server reads them."""
    if params is None:
        return None
    items = params.items() if isinstance(params, Mapping) else params
    out: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in items:
        if value is None:
            continue
        out.append((key, ("true" if value else "false") if isinstance(value, bool) else str(value)))
    return httpx.QueryParams(out)
