"""Live servers for the API and SDK tests: one per engine for the whole session (starting one
takes seconds), each test using names of its own; `fresh_server` gives a module its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from labelport import Client
from tests.api.server import Server, running_server
from tests.conftest import PG_URL, _pg_engine

_shared: dict[str, Server] = {}


@contextmanager
def engine_server(engine: str, tmp: Path) -> Iterator[Server]:
    """A server on a new SQLite file or a new PostgreSQL schema, dropped afterwards."""
    if engine == "sqlite":
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


@pytest.fixture(scope="session")
def _servers() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack
    _shared.clear()


@pytest.fixture(params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, _servers: ExitStack, tmp_path_factory: pytest.TempPathFactory
) -> Server:
    engine = request.param
    if engine not in _shared:
        _shared[engine] = _servers.enter_context(engine_server(engine, tmp_path_factory.mktemp("server")))
    return _shared[engine]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fresh_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with engine_server(request.param, tmp_path_factory.mktemp("server")) as s:
        yield s


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    with Client(server.url, server.tokens["admin"]) as c:
        yield c
