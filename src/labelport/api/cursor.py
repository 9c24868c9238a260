"""Opaque page cursors: a list's ordering key, wrapped so clients pass it back untouched.

A cursor names the list it belongs to (``issues`` by payload order, ``rows`` by global key) and one
key of it, or the end of the list (the last page is the page *before* the end). It is URL-safe
base64 of a small JSON array; clients must not build or read one, so the key behind it may change
without breaking them. A cursor that does not decode, names another list or carries a key the
column could not hold is refused as ``invalid_cursor`` (422), never passed to the database.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import orjson
from fastapi import Query
from starlette.datastructures import URL

from labelport.api.params import MAX_INT
from labelport.model.errors import InvalidInputError
from labelport.store.paging import Seek, Window

ISSUES, ROWS = "issues", "rows"
MAX_KEY = 4096  # characters: a global key is a path, far shorter
_END = None  # the key of "the end of the list"

CursorParam = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=8192,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="An opaque cursor from a previous page (`next_after` / `prev_before`)",
    ),
]


def encode(kind: str, key: int | str | None) -> str:
    """The cursor of ``key`` in list ``kind`` (``None``: the end of the list)."""
    return base64.urlsafe_b64encode(orjson.dumps([kind, key])).rstrip(b"=").decode()


def end(kind: str) -> str:
    """``before=end(kind)`` asks for the last page."""
    return encode(kind, _END)


def decode(kind: str, cursor: str) -> int | str | None:
    """The key a cursor of list ``kind`` carries; `InvalidInputError` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value: Any = orjson.loads(raw)
    except (binascii.Error, ValueError):
        value = None
    if not (isinstance(value, list) and len(value) == 2 and value[0] == kind and _fits(kind, value[1])):
        raise InvalidInputError(
            f"not a cursor of this list of {kind}",
            code="invalid_cursor",
            hint="pass back a next_after or prev_before value from a page of the same list",
        )
    key: int | str | None = value[1]
    return key


def _fits(kind: str, key: Any) -> bool:
    if key is None:
        return True
    if kind == ISSUES:
        return isinstance(key, int) and not isinstance(key, bool) and -1 <= key <= MAX_INT
    return isinstance(key, str) and len(key) <= MAX_KEY and "\x00" not in key


def seek(kind: str, after: str | None, before: str | None, offset: int = 0) -> Seek[Any]:
    """Where a page starts, from a route's ``after`` / ``before`` cursors; one of them at most,
    and not with an ``offset`` (the older way to page, still served)."""
    if after is not None and before is not None:
        raise InvalidInputError(
            "give `after` or `before`, not both", code="invalid_cursor", hint="one cursor names one page"
        )
    if offset and (after is not None or before is not None):
        raise InvalidInputError(
            "give a cursor or an offset, not both",
            code="invalid_cursor",
            hint="drop offset when following next_after / prev_before",
        )
    if after is not None:
        key = decode(kind, after)
        if key is None:
            raise InvalidInputError(
                "nothing comes after the end of the list", code="invalid_cursor", hint="use it as `before`"
            )
        return Seek(after=key)
    if before is not None:
        key = decode(kind, before)
        return Seek(last=True) if key is None else Seek(before=key)
    return Seek()


def links(kind: str, page: Window[Any, Any], seek: Seek[Any]) -> dict[str, str | None]:
    """The cursors a page hands out: ``next_after`` (pass as ``after``) when more follows,
    ``prev_before`` (pass as ``before``) when more precedes. An empty page past a cursor still
    leads back to it."""
    last = page.last_key if page.items else seek.before
    first = page.first_key if page.items else seek.after
    return {
        "next_after": encode(kind, last) if page.more_after and last is not None else None,
        "prev_before": encode(kind, first) if page.more_before and first is not None else None,
    }


def link_header(url: URL, cursors: dict[str, str | None]) -> str | None:
    """An RFC 8288 ``Link`` header naming the next / previous page of a list answered as a bare
    JSON array (which has no room for cursors): ``url`` with ``after`` or ``before`` set."""
    base = url.remove_query_params(["offset", "after", "before"])
    parts = [
        f'<{base.include_query_params(**{param: value})}>; rel="{rel}"'
        for rel, param, value in (
            ("next", "after", cursors["next_after"]),
            ("prev", "before", cursors["prev_before"]),
        )
        if value is not None
    ]
    return ", ".join(parts) or None


def pager(kind: str, page: Window[Any, Any], seek: Seek[Any]) -> dict[str, str | None]:
    """The cursors of a web page's links: ``next`` / ``last`` while more follows, ``prev`` while
    more precedes (the first page is the one without a cursor)."""
    found = links(kind, page, seek)
    return {
        "next": found["next_after"],
        "prev": found["prev_before"],
        "last": end(kind) if page.more_after else None,
    }
