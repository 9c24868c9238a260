"""A real S3-protocol server for tests: ``moto_server`` as a subprocess on loopback, one per session,
with a fresh bucket per test. Import the fixtures into a test module to use them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.api.server import free_port


def _moto_command() -> list[str]:
    exe = Path(sys.executable).with_name("moto_server")
    return [str(exe)] if exe.exists() else [shutil.which("moto_server") or "moto_server"]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [*_moto_command(), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Environment for boto3 and labelport pointing at the server; returns the endpoint."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("LABELPORT_S3_ENDPOINT", s3_endpoint)
    return s3_endpoint


@pytest.fixture
def bucket(s3_env: str) -> str:
    """A new, empty bucket on the server."""
    import boto3

    name = f"lp-{uuid.uuid4().hex[:12]}"
    client: Any = boto3.client("s3", endpoint_url=s3_env)
    client.create_bucket(Bucket=name)
    client.close()
    return name


@contextmanager
def s3_client(endpoint: str) -> Iterator[Any]:
    """A plain boto3 client on the test server, closed afterwards (no stray sockets)."""
    import boto3

    client: Any = boto3.client("s3", endpoint_url=endpoint)
    try:
        yield client
    finally:
        client.close()
