from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from labelport import SchemaError, Workspace
from labelport.store import db


def test_init_creates_then_is_idempotent(db_url: str) -> None:
    engine = db.create_engine(db_url)
    try:
        assert db.current_revision(engine) is None
        before, after = db.upgrade(engine)
        assert before is None and after == db.head_revision()
        assert db.upgrade(engine) == (after, after)
        names = set(sa.inspect(engine).get_table_names())
        assert {
            "datasets",
            "data_rows",
            "ontologies",
            "features",
            "projects",
            "batches",
            "tasks",
            "labels",
            "annotations",
            "import_jobs",
            "job_issues",
            "job_rows",
        } <= names
    finally:
        engine.dispose()


def test_missing_workspace_is_refused_and_not_created(tmp_path: Path) -> None:
    target = tmp_path / "none.db"
    with pytest.raises(SchemaError, match="labelport init"):
        Workspace(str(target))
    assert not target.exists()


def test_outdated_schema_is_refused(db_url: str) -> None:
    Workspace(db_url, create=True).close()
    engine = db.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    engine.dispose()
    with pytest.raises(SchemaError, match="run `labelport init` to upgrade"):
        Workspace(db_url)


def test_unsupported_url() -> None:
    with pytest.raises(Exception, match="unsupported database URL"):
        Workspace("mysql://x/y")


def test_older_workspace_is_refused_then_upgraded(db_url: str) -> None:
    from alembic import command

    engine = db.create_engine(db_url)
    command.upgrade(db.alembic_config(engine), "0001")
    engine.dispose()
    with pytest.raises(SchemaError, match="revision 0001"):
        Workspace(db_url)
    result = Workspace.init(db_url)
    assert result["upgraded"] and result["previous_revision"] == "0001"
    Workspace(db_url).close()


def test_the_head_written_down_is_the_migrations_head() -> None:
    from alembic.script import ScriptDirectory

    assert ScriptDirectory(str(db.MIGRATIONS)).get_heads() == [db.HEAD]


def test_the_revision_is_read_as_alembic_reads_it(db_url: str) -> None:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    engine = db.create_engine(db_url)
    try:
        assert db.current_revision(engine) is None
        for revision in ("0001", "head"):
            command.upgrade(db.alembic_config(engine), revision)
            with engine.connect() as conn:
                assert db.current_revision(engine) == MigrationContext.configure(conn).get_current_revision()
        assert db.current_revision(engine) == db.HEAD
    finally:
        engine.dispose()


def test_opening_a_workspace_and_importing_into_it_imports_no_alembic(tmp_path: Path) -> None:
    """Alembic only migrates: a quarter of a second of imports for every command and job else."""
    Workspace.init(str(tmp_path / "ws.db"))
    code = (
        "import sys; from labelport import Workspace; import labelport.jobs.pipeline\n"
        f"Workspace({str(tmp_path / 'ws.db')!r}).close()\n"
        "assert 'alembic' not in sys.modules, 'alembic was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _index_sql(engine: sa.Engine, name: str = "ix_annotations_superseded_by") -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            q = f"SELECT sql FROM sqlite_master WHERE name = '{name}'"
        else:
            q = (
                f"SELECT indexdef FROM pg_indexes WHERE indexname = '{name}' "
                "AND schemaname = current_schema()"
            )
        return str(conn.exec_driver_sql(q).scalar_one())


def test_the_superseded_index_holds_only_superseded_annotations(db_url: str) -> None:
    """Migration 0005: an index with every live annotation under NULL was chosen by SQLite's
    planner for `superseded_by IS NULL` and made each export chunk read the whole table."""
    from alembic import command

    engine = db.create_engine(db_url)
    try:
        db.upgrade(engine)
        assert "IS NOT NULL" in _index_sql(engine).upper()
        command.downgrade(db.alembic_config(engine), "0004")
        assert "NOT NULL" not in _index_sql(engine).upper()
        db.upgrade(engine)
        assert "IS NOT NULL" in _index_sql(engine).upper()
        if engine.dialect.name == "sqlite":  # the export's annotation query, on an unanalyzed file
            with engine.connect() as conn:
                plan = " ".join(
                    str(r[-1])
                    for r in conn.exec_driver_sql(
                        "EXPLAIN QUERY PLAN SELECT label_id FROM annotations "
                        "WHERE label_id IN (1, 2, 3) AND superseded_by IS NULL ORDER BY id"
                    )
                )
            assert "uq_annotations_live_uid" in plan and "superseded" not in plan
    finally:
        engine.dispose()


def test_the_job_index_is_a_block_range_index_on_postgresql_and_none_on_sqlite(db_url: str) -> None:
    """Migration 0006: only undo finds annotations by job, and a job's rows are written together.
    Migration 0010: SQLite finds them by the id ranges each job wrote (``annotation_ranges``)."""
    from alembic import command

    engine = db.create_engine(db_url)
    pg = engine.dialect.name == "postgresql"

    def job_index() -> str | None:
        with engine.connect() as conn:
            if pg:
                return _index_sql(engine, "ix_annotations_job_id")
            q = "SELECT sql FROM sqlite_master WHERE name = 'ix_annotations_job_id'"
            return conn.exec_driver_sql(q).scalar()

    try:
        db.upgrade(engine)
        assert "USING brin" in (job_index() or "") if pg else job_index() is None
        command.downgrade(db.alembic_config(engine), "0005")
        assert "brin" not in (job_index() or "brin")
        db.upgrade(engine)
        assert "USING brin" in (job_index() or "") if pg else job_index() is None
    finally:
        engine.dispose()


def test_a_new_sqlite_workspace_has_16k_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    """Set before WAL fixes it (store.db); a file made with another size is opened as it is."""
    import sqlite3

    Workspace.init(str(tmp_path / "new.db"))
    old = tmp_path / "old.db"
    made = sqlite3.connect(old)
    made.execute("PRAGMA page_size=4096")
    made.execute("CREATE TABLE t (x)")
    made.close()
    engine = db.create_engine(str(old))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 4096
    finally:
        engine.dispose()
    with sqlite3.connect(tmp_path / "new.db") as conn:
        assert conn.execute("PRAGMA page_size").fetchone() == (16384,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
