"""Where a job's payload comes from: a local path, an ``s3://`` URI or an ``http(s)://`` URL.

A job records a URI that whoever runs it can read: on a queue that may be a worker on another
machine, so a URL is fetched once when the job is created and kept in blob storage (the job then
reads the bytes that were checked, whatever the URL serves later), and an ``s3://`` payload is
downloaded by the worker when it starts.
"""

from __future__ import annotations

import hashlib
import os
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from labelport.jobs.payload import digest as path_digest
from labelport.media.fetch import fetch, private_allowed
from labelport.model.errors import InvalidInputError
from labelport.store.blobs import Blobs, open_blobs

DEFAULT_MAX_BYTES = 5 << 30


def max_payload_bytes() -> int:
    """The size limit of a payload fetched from a URL (``LABELPORT_MAX_UPLOAD_BYTES``, as uploads)."""
    raw = os.environ.get("LABELPORT_MAX_UPLOAD_BYTES", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_BYTES


def is_remote(payload: str) -> bool:
    return payload.startswith(("s3://", "http://", "https://"))


@dataclass(frozen=True)
class Source:
    uri: str  # what the job records: a local absolute path or an s3:// URI
    sha256: str
    name: str  # for the job's default name


def prepare(payload: str, blobs: Callable[[], Blobs]) -> Source:
    """Check a remote payload and make it readable by any worker. ``blobs`` opens the store a URL
    is copied into (only called for a URL)."""
    if payload.startswith("s3://"):
        return Source(payload, digest(payload), _last_part(payload))
    scheme = urllib.parse.urlsplit(payload).scheme
    if scheme not in ("http", "https"):
        raise InvalidInputError(f"unsupported payload URL {payload!r}", code="url_not_allowed")
    name = _last_part(urllib.parse.urlsplit(payload).path) or "payload"
    h = hashlib.sha256()
    chunks = fetch(payload, limit_bytes=max_payload_bytes(), allow_private=private_allowed())
    with closing(blobs()) as store:
        uri = store.put_stream(name, _hashing(chunks, h))
    return Source(uri, h.hexdigest(), name)


def _hashing(chunks: Iterable[bytes], h: hashlib._Hash) -> Iterator[bytes]:
    for chunk in chunks:
        h.update(chunk)
        yield chunk


def _last_part(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def digest(uri: str) -> str:
    """The payload's SHA-256 as `labelport.jobs.payload.digest` computes it for a local path (a
    folder: each file's relative path and bytes, in order), streamed from wherever it is."""
    if not uri.startswith("s3://"):
        return path_digest(Path(uri))
    h = hashlib.sha256()
    with closing(open_blobs(uri)) as blobs:
        for rel, chunks in blobs.files(uri):
            if rel:
                h.update(rel.encode() + b"\0")
            for chunk in chunks:
                h.update(chunk)
    return h.hexdigest()


@contextmanager
def local(uri: str) -> Iterator[Path]:
    """The payload as a local file or folder while the job reads it."""
    if uri.startswith("s3://"):
        with closing(open_blobs(uri)) as blobs, blobs.local_copy(uri) as path:
            yield path
    else:
        yield Path(uri)


__all__ = ["Source", "digest", "is_remote", "local", "max_payload_bytes", "prepare"]
