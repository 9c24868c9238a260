from __future__ import annotations

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
