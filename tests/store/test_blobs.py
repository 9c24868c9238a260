"""Payload storage: a local folder and S3, the latter against a real S3-protocol server (moto in
server mode, a subprocess on loopback) driven by the real boto3."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from labelport.jobs.payload import digest as path_digest
from labelport.jobs.source import digest as uri_digest
from labelport.model.errors import InvalidInputError, NotFoundError
from labelport.store.blobs import BlobConfig, LocalBlobs, S3Blobs, default_location, open_blobs, safe_name
from tests.s3server import bucket, s3_client, s3_endpoint, s3_env

__all__ = ["bucket", "s3_endpoint", "s3_env"]


def chunks(total: int, size: int = 1 << 20) -> Iterator[bytes]:
    """Deterministic, non-repeating bytes in chunks of ``size``."""
    n = 0
    while n < total:
        block = hashlib.sha256(str(n).encode()).digest() * (size // 32 + 1)
        piece = block[: min(size, total - n)]
        n += len(piece)
        yield piece


def test_default_location_is_beside_a_sqlite_workspace(tmp_path: Path) -> None:
    assert default_location(str(tmp_path / "ws.db")) == str(tmp_path / "ws.db.payloads")
    assert default_location(f"sqlite:///{tmp_path}/ws.db") == str(tmp_path / "ws.db.payloads")
    assert default_location("postgresql://h/db").endswith(os.path.join(".labelport", "payloads"))


def test_config_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LABELPORT_STORAGE", str(tmp_path / "blobs"))
    monkeypatch.delenv("LABELPORT_S3_ENDPOINT", raising=False)
    store = open_blobs(workspace_url=str(tmp_path / "ws.db"))
    assert isinstance(store, LocalBlobs) and store.root == tmp_path / "blobs"
    monkeypatch.setenv("LABELPORT_STORAGE", "ftp://x/y")
    with pytest.raises(InvalidInputError) as err:
        open_blobs()
    assert err.value.code == "invalid_storage"


def test_safe_name_keeps_the_extension_and_drops_the_path() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\data\\labels v2.ndjson") == "labels_v2.ndjson"
    assert safe_name("..") == "payload"


def test_local_put_stream_round_trip(tmp_path: Path) -> None:
    store = open_blobs(str(tmp_path / "blobs"))
    uri = store.put_stream("../x/labels.ndjson", chunks(3_000_000))
    path = Path(uri)
    assert path.is_absolute() and path.name == "labels.ndjson" and path.is_relative_to(tmp_path / "blobs")
    expected = b"".join(chunks(3_000_000))
    with store.local_copy(uri) as local:
        assert local.read_bytes() == expected
    assert b"".join(b for _, it in store.files(uri) for b in it) == expected
    again = store.put_stream("labels.ndjson", [b"other"])
    assert again != uri  # two uploads of one name never collide
    store.delete(uri)
    assert not path.exists() and not path.parent.exists()


def test_local_failed_upload_leaves_nothing(tmp_path: Path) -> None:
    store = open_blobs(str(tmp_path / "blobs"))

    def broken() -> Iterator[bytes]:
        yield b"a" * 1000
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.put_stream("p.json", broken())
    assert list((tmp_path / "blobs").iterdir()) == []


def test_local_tree_and_missing(tmp_path: Path) -> None:
    src = tmp_path / "gt"
    (src / "a").mkdir(parents=True)
    (src / "a" / "1.json").write_text("{}")
    (src / "2.json").write_text("[]")
    store = open_blobs(str(tmp_path / "blobs"))
    uri = store.put_tree("gt", src)
    assert uri.endswith("/")
    assert [rel for rel, _ in store.files(uri)] == ["2.json", "a/1.json"]
    assert uri_digest(uri.rstrip("/")) == path_digest(src)
    with pytest.raises(NotFoundError), store.local_copy(str(tmp_path / "nope")):
        pass


def test_s3_put_stream_is_multipart_and_round_trips(bucket: str, s3_env: str) -> None:
    store = open_blobs(BlobConfig(f"s3://{bucket}/uploads", s3_env))
    assert isinstance(store, S3Blobs)
    total = 20 * (1 << 20) + 123  # three 8 MiB parts
    uri = store.put_stream("big.ndjson", chunks(total))
    assert uri.startswith(f"s3://{bucket}/uploads/") and uri.endswith("/big.ndjson")
    with s3_client(s3_env) as client:
        head = client.head_object(Bucket=bucket, Key=uri.split("/", 3)[3])
    assert head["ContentLength"] == total
    assert "-" in head["ETag"]  # a multipart upload: the body was never one request
    expected = hashlib.sha256(b"".join(chunks(total))).hexdigest()
    with store.local_copy(uri) as local:
        assert local.name == "big.ndjson"
        assert hashlib.sha256(local.read_bytes()).hexdigest() == expected
        held = local
    assert not held.exists()  # the copy is gone with the block
    assert uri_digest(uri) == expected
    store.delete(uri)
    with pytest.raises(NotFoundError), store.local_copy(uri):
        pass
    store.close()


def test_s3_tree_digest_matches_the_local_folder(bucket: str, s3_env: str, tmp_path: Path) -> None:
    src = tmp_path / "gt"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "b.json").write_bytes(b'{"b": 1}')
    (src / "a.json").write_bytes(b'{"a": 1}')
    store = open_blobs(BlobConfig(f"s3://{bucket}", s3_env))
    uri = store.put_tree("gt", src)
    assert uri.endswith("/gt/")
    with store.local_copy(uri) as local:
        assert sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()) == [
            "a.json",
            "sub/b.json",
        ]
        assert path_digest(local) == path_digest(src)
    assert uri_digest(uri) == path_digest(src)
    store.close()


def test_s3_keys_leaving_their_prefix_are_refused(bucket: str, s3_env: str) -> None:
    with s3_client(s3_env) as client:
        client.put_object(Bucket=bucket, Key="evil/../../escape.json", Body=b"{}")
    store = open_blobs(BlobConfig(f"s3://{bucket}", s3_env))
    with pytest.raises(InvalidInputError), store.local_copy(f"s3://{bucket}/evil/"):
        pass
    store.close()


def test_s3_failed_upload_leaves_no_object(bucket: str, s3_env: str) -> None:
    store = open_blobs(BlobConfig(f"s3://{bucket}/u", s3_env))

    def broken() -> Iterator[bytes]:
        yield from chunks(9 << 20)  # past the first part
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.put_stream("p.json", broken())
    store.close()
    with s3_client(s3_env) as client:
        assert client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
        assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
