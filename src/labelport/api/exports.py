"""Exports on the server: written to the spool folder, streamed back once, then deleted.

Writing first and streaming second keeps the export's summary (what the format could not carry) in
an ordinary JSON answer, and lets the writers keep their one job: write a file or a folder. A folder
is streamed as a zip made on the fly, so it is never held whole in memory or written twice.
"""

from __future__ import annotations

import secrets
import shutil
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from labelport.model.errors import NotFoundError

KEEP_SECONDS = 3600.0  # an export nobody downloaded is removed after this
CHUNK = 1 << 20


def _root(spool: Path) -> Path:
    return spool / "exports"


def new(spool: Path) -> tuple[str, Path]:
    """A fresh export id and the path the writer writes to (it does not exist yet)."""
    sweep(spool)
    export_id = secrets.token_urlsafe(16)
    folder = _root(spool) / export_id
    folder.mkdir(parents=True)
    return export_id, folder / "export"


def sweep(spool: Path) -> None:
    root = _root(spool)
    if not root.is_dir():
        return
    cutoff = time.time() - KEEP_SECONDS
    for folder in root.iterdir():
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:
            continue


def discard(spool: Path, export_id: str) -> None:
    folder = _folder(spool, export_id)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _folder(spool: Path, export_id: str) -> Path | None:
    if not export_id or not all(c.isalnum() or c in "-_" for c in export_id):
        return None
    folder = _root(spool) / export_id
    return folder if folder.is_dir() else None


def stream(spool: Path, export_id: str) -> tuple[Iterator[bytes], str]:
    """The export's bytes (a zip for a folder) and the file name to offer."""
    folder = _folder(spool, export_id)
    out = folder / "export" if folder is not None else None
    if out is None or not out.exists():
        raise NotFoundError(f"no export {export_id!r} (each is downloaded once)", code="export_not_found")
    if out.is_dir():
        return zip_stream(out), "export.zip"
    return _file(out), "export"


def response(body: Iterator[bytes], name: str, cleanup: BackgroundTask) -> StreamingResponse:
    media = "application/zip" if name.endswith(".zip") else "application/octet-stream"
    return StreamingResponse(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
        background=cleanup,
    )


def _file(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            yield block


class _Sink:
    """A write-only, unseekable file: zipfile then writes data descriptors and never seeks back."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.written = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        parts, self.parts = self.parts, []
        yield from parts


def zip_stream(folder: Path) -> Iterator[bytes]:
    """A zip of ``folder`` (paths relative to it), produced as it is read."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
            with (
                path.open("rb") as src,
                zf.open(path.relative_to(folder).as_posix(), "w", force_zip64=True) as dst,
            ):
                while block := src.read(CHUNK):
                    dst.write(block)
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()
