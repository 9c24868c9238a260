"""Where payloads and assets live: a local folder by default, S3-compatible storage when configured.

The server writes an upload here as it arrives (never whole in memory) and records the returned URI
on the job; a worker, perhaps on another machine, asks for a local copy of that URI to read it.
A URI is a local absolute path or ``s3://bucket/key``; a folder payload (an unpacked archive) is
stored under a prefix and named with a trailing slash, ``s3://bucket/prefix/``.

Configuration (environment): ``LABELPORT_STORAGE`` is a folder or ``s3://bucket/prefix``
(default: a folder beside a SQLite workspace, ``~/.labelport/payloads`` for PostgreSQL — one
machine only; several machines need S3). ``LABELPORT_S3_ENDPOINT`` points boto3 at an
S3-compatible server; credentials and region are boto3's usual ``AWS_*`` variables.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from labelport.model.errors import InvalidInputError, NotFoundError

_CHUNK = 8 << 20


@dataclass(frozen=True)
class BlobConfig:
    location: str  # a folder, or s3://bucket/prefix
    s3_endpoint: str | None = None

    @classmethod
    def from_env(cls, workspace_url: str | None = None) -> BlobConfig:
        return cls(
            location=os.environ.get("LABELPORT_STORAGE") or default_location(workspace_url),
            s3_endpoint=os.environ.get("LABELPORT_S3_ENDPOINT") or None,
        )


def default_location(workspace_url: str | None) -> str:
    """Beside a SQLite workspace file (``<file>.payloads``), else in the user's home."""
    if workspace_url and "://" not in workspace_url:
        db = Path(workspace_url).expanduser().resolve()
        return str(db.with_name(db.name + ".payloads"))
    if workspace_url and workspace_url.startswith("sqlite:///"):
        db = Path(workspace_url.removeprefix("sqlite:///")).resolve()
        return str(db.with_name(db.name + ".payloads"))
    return str(Path.home() / ".labelport" / "payloads")


class Blobs(Protocol):
    def put_stream(self, name: str, chunks: Iterable[bytes]) -> str:
        """Store one file from its chunks; returns its URI. A failure leaves nothing behind."""
        ...

    def put_tree(self, name: str, folder: Path) -> str:
        """Store a folder (an unpacked archive); returns its URI, ending with ``/``."""
        ...

    def local_copy(self, uri: str) -> AbstractContextManager[Path]:
        """The URI's bytes as a local file or folder, for as long as the block lasts."""
        ...

    def files(self, uri: str) -> Iterator[tuple[str, Iterator[bytes]]]:
        """The URI's files in relative-path order, each with its bytes in chunks ("" for a file)."""
        ...

    def delete(self, uri: str) -> None: ...

    def close(self) -> None:
        """Let go of connections (an S3 client's pool)."""
        ...


def open_blobs(config: BlobConfig | str | None = None, *, workspace_url: str | None = None) -> Blobs:
    """The store for a configuration (default: from the environment, beside the workspace)."""
    if config is None:
        config = BlobConfig.from_env(workspace_url)
    elif isinstance(config, str):
        config = BlobConfig(config, os.environ.get("LABELPORT_S3_ENDPOINT") or None)
    if config.location.startswith("s3://"):
        bucket, prefix = split_s3(config.location)
        return S3Blobs(bucket, prefix, endpoint=config.s3_endpoint)
    if "://" in config.location:
        raise InvalidInputError(
            f"unsupported storage {config.location!r}",
            code="invalid_storage",
            hint="use a folder or s3://bucket/prefix",
        )
    return LocalBlobs(Path(config.location))


def split_s3(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/key`` → ``("bucket", "some/key")``."""
    rest = uri.removeprefix("s3://")
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise InvalidInputError(f"no bucket in {uri!r}", code="invalid_storage")
    return bucket, key


def safe_name(name: str) -> str:
    """A file name for a stored blob: the last path part, harmless characters only (the
    extension is kept: format detection reads it)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")
    return base[:200] or "payload"


def _relative_parts(rel: str) -> list[str]:
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise InvalidInputError(f"stored path {rel!r} leaves its folder", code="invalid_storage")
    return parts


class LocalBlobs:
    """A folder; URIs are absolute paths, so a worker on the same machine reads them in place."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()

    def _slot(self) -> Path:
        slot = self.root / uuid.uuid4().hex
        slot.mkdir(parents=True)
        return slot

    def put_stream(self, name: str, chunks: Iterable[bytes]) -> str:
        slot = self._slot()
        target = slot / safe_name(name)
        try:
            with tempfile.NamedTemporaryFile(dir=slot, delete=False) as fh:
                for chunk in chunks:
                    fh.write(chunk)
            Path(fh.name).replace(target)
        except BaseException:
            shutil.rmtree(slot, ignore_errors=True)
            raise
        return str(target)

    def put_tree(self, name: str, folder: Path) -> str:
        slot = self._slot()
        target = slot / safe_name(name)
        try:
            shutil.copytree(folder, target, symlinks=False)
        except BaseException:
            shutil.rmtree(slot, ignore_errors=True)
            raise
        return str(target) + "/"

    @contextmanager
    def local_copy(self, uri: str) -> Iterator[Path]:
        if uri.startswith("s3://"):
            with closing(open_blobs(uri)) as s3, s3.local_copy(uri) as p:
                yield p
            return
        path = Path(uri)
        if not path.exists():
            raise NotFoundError(f"no stored payload at {uri}", code="path_not_found")
        yield path

    def files(self, uri: str) -> Iterator[tuple[str, Iterator[bytes]]]:
        path = Path(uri)
        if path.is_dir():
            for f in sorted(p for p in path.rglob("*") if p.is_file()):
                yield f.relative_to(path).as_posix(), _read(f)
        else:
            yield "", _read(path)

    def delete(self, uri: str) -> None:
        path = Path(uri)
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        if path.parent.parent == self.root and not any(path.parent.iterdir()):
            path.parent.rmdir()

    def close(self) -> None:
        pass


def _read(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            yield block


class _ChunkReader:
    """A read()-able view of an iterator of chunks, so boto3 uploads it in parts as it comes."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._it = iter(chunks)
        self._buf = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buf) < size:
            chunk = next(self._it, None)
            if chunk is None:
                break
            self._buf += chunk
        if size < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:size], self._buf[size:]
        return out


class S3Blobs:
    """A bucket and key prefix on S3 or any S3-compatible server (boto3)."""

    def __init__(self, bucket: str, prefix: str, *, endpoint: str | None = None) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client: Any = boto3.client("s3", endpoint_url=endpoint)
        # parts of 8 MiB, at most four in flight: memory stays bounded whatever the payload size
        self.transfer = TransferConfig(multipart_chunksize=_CHUNK, max_concurrency=4)

    def _key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def put_stream(self, name: str, chunks: Iterable[bytes]) -> str:
        key = self._key(uuid.uuid4().hex, safe_name(name))
        self.client.upload_fileobj(_ChunkReader(chunks), self.bucket, key, Config=self.transfer)
        return f"s3://{self.bucket}/{key}"

    def put_tree(self, name: str, folder: Path) -> str:
        base = self._key(uuid.uuid4().hex, safe_name(name))
        done: list[str] = []
        try:
            for f in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
                key = f"{base}/{f.relative_to(folder).as_posix()}"
                self.client.upload_file(str(f), self.bucket, key, Config=self.transfer)
                done.append(key)
        except BaseException:
            for key in done:
                self.client.delete_object(Bucket=self.bucket, Key=key)
            raise
        return f"s3://{self.bucket}/{base}/"

    def _objects(self, uri: str) -> list[tuple[str, str, str]]:
        """(bucket, key, path relative to the URI) of every object the URI names, in order."""
        bucket, key = split_s3(uri)
        if not uri.endswith("/"):
            return [(bucket, key, "")]
        found: list[tuple[str, str, str]] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            for obj in page.get("Contents", []):
                rel = obj["Key"][len(key) :]
                _relative_parts(rel)
                found.append((bucket, obj["Key"], rel))
        if not found:
            raise NotFoundError(f"no stored payload at {uri}", code="path_not_found")
        return sorted(found, key=lambda t: t[2])

    @contextmanager
    def local_copy(self, uri: str) -> Iterator[Path]:
        if not uri.startswith("s3://"):
            with LocalBlobs(Path(tempfile.gettempdir())).local_copy(uri) as p:
                yield p
            return
        with tempfile.TemporaryDirectory(prefix="labelport-") as tmp:
            name = safe_name(uri.rstrip("/").rsplit("/", 1)[-1])
            target = Path(tmp) / name
            for bucket, key, rel in self._objects(uri):
                dest = target.joinpath(*_relative_parts(rel)) if rel else target
                dest.parent.mkdir(parents=True, exist_ok=True)
                self._download(bucket, key, dest, uri)
            yield target

    def _download(self, bucket: str, key: str, dest: Path, uri: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.download_file(bucket, key, str(dest), Config=self.transfer)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchBucket"):
                raise NotFoundError(f"no stored payload at {uri}", code="path_not_found") from exc
            raise

    def files(self, uri: str) -> Iterator[tuple[str, Iterator[bytes]]]:
        for bucket, key, rel in self._objects(uri):
            yield rel, self._stream(bucket, key, uri)

    def _stream(self, bucket: str, key: str, uri: str) -> Iterator[bytes]:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=bucket, Key=key)["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchBucket"):
                raise NotFoundError(f"no stored payload at {uri}", code="path_not_found") from exc
            raise
        try:
            yield from body.iter_chunks(1 << 20)
        finally:
            body.close()

    def delete(self, uri: str) -> None:
        for bucket, key, _rel in self._objects(uri):
            self.client.delete_object(Bucket=bucket, Key=key)

    def close(self) -> None:
        self.client.close()


__all__ = ["BlobConfig", "Blobs", "LocalBlobs", "S3Blobs", "default_location", "open_blobs", "split_s3"]
