"""Shared fixtures. Every workspace test runs twice: on a real SQLite file and on a fresh schema
of the local PostgreSQL (``LABELPORT_TEST_PG``, default the machine's trust-auth server)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from labelport import Workspace

PG_URL = os.environ.get("LABELPORT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_engine() -> sa.Engine:
    return sa.create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty database on each engine."""
    if request.param == "sqlite":
        yield str(tmp_path / "ws.db")
        return
    schema = f"lp_{uuid.uuid4().hex[:12]}"
    admin = _pg_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def ws(db_url: str) -> Iterator[Workspace]:
    workspace = Workspace(db_url, create=True)
    yield workspace
    workspace.close()
