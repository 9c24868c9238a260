"""Uploaded payloads: streamed from the socket to storage, never whole in memory.

A payload arrives as the raw request body or as the ``payload`` part of a multipart form. Either way
its bytes flow chunk by chunk to `Blobs.put_stream` (a folder or S3), which runs on a worker thread
pulling chunks from the event loop. A zip archive (a folder format: YOLO, VOC, LabelMe…) is spooled
to a local file, unpacked with every member path checked, and stored as a folder.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from labelport.model.errors import InvalidInputError
from labelport.store.blobs import Blobs, safe_name

ZIP_MAGIC = b"PK\x03\x04"
MAX_MEMBERS = 200_000
COPY_CHUNK = 1 << 20


def request_body(description: str) -> dict[str, Any]:
    """An upload route's ``openapi_extra``: the body FastAPI does not parse, described."""
    binary = {"type": "string", "format": "binary"}
    form = {"type": "object", "properties": {"payload": binary}, "required": ["payload"]}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/octet-stream": {"schema": binary},
                "multipart/form-data": {"schema": form},
            },
        }
    }


@dataclass
class Upload:
    """The payload's bytes as they arrive, with the file name the client gave (for detection)."""

    filename: str
    chunks: AsyncIterator[bytes]
    head: bytes  # the first bytes, already taken from ``chunks``

    @property
    def is_zip(self) -> bool:
        return self.filename.lower().endswith(".zip") or self.head.startswith(ZIP_MAGIC)


async def open_upload(request: Request, filename: str | None) -> Upload:
    """Start reading the payload: the raw body, or the ``payload`` part of a multipart form."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype == b"multipart/form-data":
        boundary = params.get(b"boundary")
        if not boundary:
            raise InvalidInputError("a multipart body needs a boundary", code="invalid_upload")
        form = _Form(boundary)
        chunks = form.payload(request.stream())
        head = await _first(chunks)
        return Upload(filename=filename or form.filename or "payload", chunks=chunks, head=head)
    chunks = _nonempty(request.stream())
    head = await _first(chunks)
    return Upload(filename=filename or _disposition_name(request) or "payload", chunks=chunks, head=head)


async def store(upload: Upload, blobs: Blobs, spool: Path, limit: int) -> str:
    """Put the payload in storage; returns its URI (a folder URI for an archive)."""
    if not upload.is_zip:
        return await _pump(upload, lambda chunks: blobs.put_stream(upload.filename, chunks))
    with tempfile.TemporaryDirectory(dir=spool, prefix="upload-") as tmp:
        root = await _unpack(upload, Path(tmp), limit)
        stem = PurePosixPath(upload.filename).stem or "payload"
        return await anyio.to_thread.run_sync(blobs.put_tree, stem, root)


@contextmanager
def local_folder(spool: Path) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(dir=spool, prefix="upload-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def spool_local(upload: Upload, folder: Path, limit: int) -> Path:
    """Put the payload in ``folder`` (for requests answered at once: detection, class maps)."""
    if upload.is_zip:
        return await _unpack(upload, folder, limit)
    target = folder / safe_name(upload.filename)
    await _pump(upload, lambda chunks: _write(target, chunks))
    return target


def _write(target: Path, chunks: Iterator[bytes]) -> str:
    with target.open("wb") as fh:
        for chunk in chunks:
            fh.write(chunk)
    return str(target)


async def _unpack(upload: Upload, folder: Path, limit: int) -> Path:
    archive = folder / "upload.zip"
    await _pump(upload, lambda chunks: _write(archive, chunks))
    root = folder / "payload"
    root.mkdir()
    await anyio.to_thread.run_sync(safe_extract, archive, root, limit)
    archive.unlink()
    return _unwrapped(root)


async def _pump(upload: Upload, consume: Callable[[Iterator[bytes]], str]) -> str:
    """Run ``consume`` on a worker thread over the upload's chunks, which it pulls from the loop
    (from whichever thread reads them: boto3 reads on threads of its own)."""
    token = anyio.lowlevel.current_token()

    async def next_chunk() -> bytes | None:
        try:
            return await upload.chunks.__anext__()
        except StopAsyncIteration:
            return None

    def pull() -> Iterator[bytes]:
        if upload.head:
            yield upload.head
        while (chunk := anyio.from_thread.run(next_chunk, token=token)) is not None:
            yield chunk

    return await anyio.to_thread.run_sync(consume, pull())


async def _first(chunks: AsyncIterator[bytes]) -> bytes:
    try:
        return await chunks.__anext__()
    except StopAsyncIteration:
        raise InvalidInputError(
            "the upload is empty", code="invalid_upload", hint="send the payload as the request body"
        ) from None


async def _nonempty(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for chunk in stream:
        if chunk:
            yield chunk


def _disposition_name(request: Request) -> str | None:
    value = request.headers.get("content-disposition")
    if not value:
        return None
    _kind, params = parse_options_header(value)
    name = params.get(b"filename")
    return name.decode("utf-8", "replace") if name else None


class _Form:
    """A streaming multipart parser that hands on the ``payload`` part's bytes and refuses others."""

    def __init__(self, boundary: bytes) -> None:
        self.filename: str | None = None
        self._pending: list[bytes] = []
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._in_payload = False
        self._seen_payload = False
        self._ended = False
        callbacks: Any = {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._add("_field", d[s:e]),
            "on_header_value": lambda d, s, e: self._add("_value", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }
        self._parser = MultipartParser(boundary, callbacks)

    def _add(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        _kind, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if name != "payload" or self._seen_payload:
            raise InvalidInputError(
                f"unexpected form part {name!r}",
                code="invalid_upload",
                hint="send one part named `payload`; give the options as query parameters",
            )
        self._in_payload = self._seen_payload = True
        raw = params.get(b"filename")
        if raw:
            self.filename = raw.decode("utf-8", "replace")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._in_payload and end > start:
            self._pending.append(bytes(data[start:end]))

    def _part_end(self) -> None:
        self._in_payload = False

    def _end(self) -> None:
        self._ended = True

    async def payload(self, stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for raw in stream:
            if raw:
                self._parser.write(raw)
            while self._pending:
                yield self._pending.pop(0)
        self._parser.finalize()
        while self._pending:
            yield self._pending.pop(0)
        if not self._seen_payload or not self._ended:
            raise InvalidInputError(
                "the multipart body ended before its `payload` part did", code="invalid_upload"
            )


def member_parts(name: str) -> list[str]:
    """An archive member's path as folder and file names, refusing anything that would land
    outside the folder it is unpacked into (absolute paths, drive letters, ``..``)."""
    text = name.replace("\\", "/")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if text.startswith("/") or (parts and len(parts[0]) == 2 and parts[0][1] == ":") or ".." in parts:
        raise InvalidInputError(
            f"the archive member {name!r} would be written outside the payload folder",
            code="unsafe_archive",
            hint="zip the payload folder with relative paths",
        )
    return parts


def safe_extract(archive: Path, dest: Path, limit: int) -> None:
    """Unpack a zip into ``dest``: every member path checked, no links, and no more than ``limit``
    bytes written whatever the members claim (a zip bomb stops at the limit)."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise InvalidInputError(f"the upload is not a readable zip: {exc}", code="unsafe_archive") from exc
    with zf:
        members = zf.infolist()
        if len(members) > MAX_MEMBERS:
            raise InvalidInputError(
                f"the archive has {len(members):,} members; at most {MAX_MEMBERS:,} are accepted",
                code="unsafe_archive",
            )
        written = 0
        for info in members:
            parts = member_parts(info.filename)
            if not parts or parts[0] == "__MACOSX":
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise InvalidInputError(
                    f"the archive member {info.filename!r} is a symbolic link", code="unsafe_archive"
                )
            target = dest.joinpath(*parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, target.open("wb") as out:
                    while block := src.read(COPY_CHUNK):
                        written += len(block)
                        if written > limit:
                            raise InvalidInputError(
                                f"the archive unpacks to more than the limit of {limit:,} bytes",
                                code="payload_too_large",
                            )
                        out.write(block)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
                raise InvalidInputError(
                    f"cannot unpack {info.filename!r}: {exc}", code="unsafe_archive"
                ) from exc


def _unwrapped(root: Path) -> Path:
    """A zip of one folder is that folder: the payload starts inside it."""
    entries = list(root.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return root
