"""What identifies a payload: its bytes, so the same payload is recognised however it is named."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson


def digest(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (relative paths and contents, in order)."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            h.update(f.relative_to(path).as_posix().encode() + b"\0")
        with f.open("rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
    return h.hexdigest()


def idempotency_key(sha256: str, options: dict[str, Any]) -> str:
    """The payload digest and every option that changes the result."""
    body = orjson.dumps(options, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(sha256.encode() + b"\0" + body).hexdigest()
