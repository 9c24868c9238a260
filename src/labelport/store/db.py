"""Engines, URLs, transactions and the schema version check.

The URL decides the engine: a path or ``sqlite:///…`` is an embedded SQLite file, and
``postgresql://…`` is PostgreSQL through psycopg 3. Nothing else in labelport branches on the
engine except the bulk writer (`labelport.store.bulk`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from labelport.model.errors import InvalidInputError, SchemaError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration. Opening a workspace compares it with the workspace's own revision; it is
# written here, not found by Alembic, which costs every command and every job a quarter of a
# second to import (a test holds this to the migrations' head). Alembic runs only to migrate.
HEAD = "0011"


def normalize_url(url: str) -> str:
    """Map what a user types to a SQLAlchemy URL: a bare path is a SQLite file."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("postgresql+psycopg://") or url.startswith("sqlite"):
        return url
    if "://" in url:
        raise InvalidInputError(f"unsupported database URL {url!r}", hint="use a file path or postgresql://…")
    return f"sqlite:///{Path(url).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # The stdlib driver's own transaction handling is switched off so SQLAlchemy's BEGIN is the
    # only one; WAL lets readers (progress, the web UI) see the last commit while an import writes.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # a new file's page size, before WAL fixes it (on an existing file it changes nothing): an
    # import's writer stores a million annotations and their indexes in a tenth less CPU
    # with 16 KB pages than with SQLite's default 4 KB (3.2-3.8 s against 3.7-4.2 s)
    cur.execute("PRAGMA page_size=16384")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # Writes (`transaction`) take the write lock at BEGIN IMMEDIATE, so two writers queue instead of
    # deadlocking on a lock upgrade; reads begin deferred and never wait for a writer (WAL).
    conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('sqlite_begin', 'DEFERRED')}")


def create_engine(url: str) -> sa.Engine:
    full = normalize_url(url)
    if full.startswith("sqlite"):
        engine = sa.create_engine(full, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(full, pool_pre_ping=True)


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


def alembic_config(engine: sa.Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    return HEAD


def current_revision(engine: sa.Engine) -> str | None:
    """The workspace's revision, as Alembic keeps it (one row of ``alembic_version``); None for
    a database labelport has not set up."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def upgrade(engine: sa.Engine) -> tuple[str | None, str]:
    """Create or upgrade the schema; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    return before, head_revision()


def sqlite_path(engine: sa.Engine) -> Path | None:
    return Path(engine.url.database) if is_sqlite(engine) and engine.url.database else None


def check_schema(engine: sa.Engine, url: str) -> None:
    """Refuse to work on a workspace whose schema is missing or older than this labelport.

    A SQLite file that does not exist is not created here: only ``labelport init`` creates one."""
    path = sqlite_path(engine)
    if path is not None and not path.exists():
        raise SchemaError(f"no labelport workspace at {url}", hint="run `labelport init` first")
    rev = current_revision(engine)
    head = head_revision()
    if rev == head:
        return
    if rev is None:
        raise SchemaError(f"no labelport workspace at {url}", hint="run `labelport init` first")
    raise SchemaError(
        f"the workspace schema at {url} is at revision {rev}, this labelport needs {head}",
        hint="run `labelport init` to upgrade it",
    )


def writer(conn: sa.Connection) -> sa.Connection:
    """Mark a connection's next transaction as a write (BEGIN IMMEDIATE on SQLite)."""
    return conn.execution_options(sqlite_begin="IMMEDIATE")


@contextmanager
def transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One write transaction: committed when the block ends, rolled back if it raises."""
    with engine.connect() as conn:
        writer(conn)
        with conn.begin():
            yield conn
