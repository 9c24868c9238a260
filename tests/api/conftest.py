"""A live server per engine, shared by a test module (starting one takes about a second)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from labelport import Client
from tests.api.server import Server, running_server
from tests.conftest import PG_URL, _pg_engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("server")
    if request.param == "sqlite":
        with running_server(str(tmp / "ws.db"), tmp) as s:
            yield s
        return
    schema = f"lp_{uuid.uuid4().hex[:12]}"
    admin = _pg_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    try:
        with running_server(f"{PG_URL}{sep}options=-csearch_path%3D{schema}", tmp) as s:
            yield s
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    with Client(server.url, server.tokens["admin"]) as c:
        yield c


@pytest.fixture
def assets(server: Server) -> Path:
    return server.root
