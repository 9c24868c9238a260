"""`Workspace`: the Python API. The CLI, the REST API and the web pages are thin shells over it,
and `labelport.Client` mirrors it over HTTP.

Each public method is one transaction: it either happens whole or leaves the workspace as it was.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from labelport.model.catalog import (
    AddRowsResult,
    Batch,
    DataRow,
    Dataset,
    OntologyInfo,
    Project,
    Stage,
    Task,
    TaskStatus,
)
from labelport.model.errors import InvalidInputError, NotFoundError
from labelport.model.media import MediaType
from labelport.model.ontology import parse_ontology
from labelport.store import catalog, db
from labelport.store import ontologies as ont_store
from labelport.store import projects as proj_store
from labelport.store.schema import data_rows
from labelport.workspace import ingest
from labelport.workspace.imports import ImportsMixin
from labelport.workspace.tokens import TokensMixin

DEFAULT_DB = "labelport.db"


def default_url() -> str:
    return os.environ.get("LABELPORT_DB") or DEFAULT_DB


class Workspace(ImportsMixin, TokensMixin):
    """A labelport workspace: a SQLite file (the default) or a PostgreSQL database.

    ``Workspace(url)`` opens an existing workspace and refuses one whose schema is behind;
    ``Workspace(url, create=True)`` creates or upgrades the schema first (``labelport init``).
    """

    def __init__(self, url: str | None = None, *, create: bool = False) -> None:
        self.url = url or default_url()
        self.engine = db.create_engine(self.url)
        try:
            if create:
                db.upgrade(self.engine)
            else:
                db.check_schema(self.engine, self.url)
        except BaseException:
            self.engine.dispose()
            raise

    @classmethod
    def init(cls, url: str | None = None) -> dict[str, Any]:
        """Create the workspace or upgrade its schema (``labelport init``)."""
        url = url or default_url()
        engine = db.create_engine(url)
        try:
            before, after = db.upgrade(engine)
        finally:
            engine.dispose()
        return {
            "url": url,
            "revision": after,
            "previous_revision": before,
            "created": before is None,
            "upgraded": before is not None and before != after,
        }

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> Any:
        return db.transaction(self.engine)

    # --- datasets and rows -----------------------------------------------------------------

    def create_dataset(self, name: str) -> Dataset:
        _check_name(name, "dataset")
        with self._tx() as conn:
            return catalog.create_dataset(conn, name)

    def datasets(self) -> list[Dataset]:
        with self.engine.connect() as conn:
            return catalog.list_datasets(conn)

    def add_rows(
        self,
        dataset: str,
        paths: Sequence[str | Path],
        *,
        media_type: MediaType | str | None = None,
        strict: bool = False,
        progress: ingest.Progress | None = None,
    ) -> AddRowsResult:
        """Add files and folders (recursively). Unreadable files are skipped and listed unless
        ``strict``; a global-key clash refuses the whole request."""
        media = MediaType.parse(media_type) if isinstance(media_type, str) else media_type
        with self._tx() as conn:
            return ingest.add_paths(
                conn, dataset, [Path(p) for p in paths], media_type=media, strict=strict, progress=progress
            )

    def add_manifest(
        self,
        dataset: str,
        manifest: str | Path,
        *,
        strict: bool = False,
        progress: ingest.Progress | None = None,
    ) -> AddRowsResult:
        with self._tx() as conn:
            return ingest.add_manifest(conn, dataset, Path(manifest), strict=strict, progress=progress)

    def rows(
        self,
        dataset: str | None = None,
        *,
        prefix: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[DataRow]:
        with self.engine.connect() as conn:
            return catalog.list_rows(conn, dataset=dataset, prefix=prefix, limit=limit, offset=offset)

    def row(self, global_key: str) -> DataRow:
        with self.engine.connect() as conn:
            found = catalog.rows_for_keys(conn, [global_key])
        if not found:
            raise NotFoundError(f"no data row with global key {global_key!r}", code="data_row_not_found")
        return found[0]

    # --- ontologies ------------------------------------------------------------------------

    def create_ontology(self, name: str, spec: dict[str, Any] | str | Path) -> OntologyInfo:
        _check_name(name, "ontology")
        if not isinstance(spec, dict):
            path = Path(spec)
            try:
                spec = orjson.loads(path.read_bytes())
            except OSError as exc:
                raise InvalidInputError(
                    f"cannot read {path}: {exc.strerror}", code="unreadable_file"
                ) from exc
            except orjson.JSONDecodeError as exc:
                raise InvalidInputError(f"{path}: invalid JSON: {exc}", code="invalid_json") from exc
        ontology = parse_ontology(spec)
        with self._tx() as conn:
            return ont_store.create_ontology(conn, name, ontology)

    def ontology(self, name: str) -> OntologyInfo:
        with self.engine.connect() as conn:
            return ont_store.get_ontology(conn, name)

    def ontologies(self) -> list[OntologyInfo]:
        with self.engine.connect() as conn:
            return ont_store.list_ontologies(conn)

    # --- projects, batches, tasks ----------------------------------------------------------

    def create_project(self, name: str, *, ontology: str, media_type: MediaType | str) -> Project:
        _check_name(name, "project")
        media = MediaType.parse(media_type) if isinstance(media_type, str) else media_type
        with self._tx() as conn:
            return proj_store.create_project(conn, name, ont_store.ontology_id(conn, ontology), media)

    def project(self, name: str) -> Project:
        with self.engine.connect() as conn:
            return proj_store.get_project(conn, name)

    def projects(self) -> list[Project]:
        with self.engine.connect() as conn:
            return proj_store.list_projects(conn)

    def create_batch(
        self,
        project: str,
        name: str,
        *,
        dataset: str | None = None,
        global_keys: Sequence[str] | None = None,
        prefix: str | None = None,
    ) -> Batch:
        """Send rows to a project: every row of a dataset, the rows of a global-key list, or the
        rows whose global key starts with a folder prefix (exactly one of the three)."""
        _check_name(name, "batch")
        given = [x is not None for x in (dataset, global_keys, prefix)]
        if sum(given) != 1:
            raise InvalidInputError("give exactly one of dataset, global_keys or prefix", code="usage")
        with self._tx() as conn:
            proj = proj_store.project_record(conn, project)
            if dataset is not None:
                q = sa.select(data_rows.c.id).where(
                    data_rows.c.dataset_id == catalog.dataset_id(conn, dataset)
                )
                ids = list(conn.execute(q.order_by(data_rows.c.id)).scalars())
            elif prefix is not None:
                folder = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
                q = sa.select(data_rows.c.id).where(
                    data_rows.c.global_key.startswith(folder, autoescape=True)
                )
                ids = list(conn.execute(q.order_by(data_rows.c.id)).scalars())
            else:
                assert global_keys is not None
                ids = _ids_for_keys(conn, global_keys)
            return proj_store.create_batch(conn, proj, name, ids)

    def tasks(
        self,
        project: str,
        *,
        status: TaskStatus | str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Task]:
        with self.engine.connect() as conn:
            proj = proj_store.project_record(conn, project)
            st = TaskStatus(status) if isinstance(status, str) else status
            return proj_store.list_tasks(conn, proj, status=st, limit=limit, offset=offset)

    def set_task_status(
        self,
        project: str,
        global_key: str,
        status: TaskStatus | str,
        *,
        stage: Stage | str | None = None,
        workers: dict[str, str | None] | None = None,
        modifier: str | None = None,
    ) -> Task:
        st = _enum(TaskStatus, status, "status")
        sg = _enum(Stage, stage, "stage") if stage is not None else None
        if workers:
            for key in workers:
                _enum(Stage, key, "stage")
        with self._tx() as conn:
            proj = proj_store.project_record(conn, project)
            return proj_store.set_task(
                conn, proj, global_key, status=st, stage=sg, workers=workers, modifier=modifier
            )


def _ids_for_keys(conn: sa.Connection, keys: Sequence[str]) -> list[int]:
    unique = list(dict.fromkeys(k for k in keys if k))
    found: dict[str, int] = {}
    for i in range(0, len(unique), 900):
        q = sa.select(data_rows.c.global_key, data_rows.c.id).where(
            data_rows.c.global_key.in_(unique[i : i + 900])
        )
        found.update({k: pk for k, pk in conn.execute(q)})
    missing = [k for k in unique if k not in found]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise NotFoundError(
            "no data rows with global keys " + ", ".join(repr(m) for m in missing[:3]) + more,
            code="data_row_not_found",
        )
    return [found[k] for k in unique]


def _enum(cls: Any, value: Any, what: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInputError(
            f"unknown {what} {value!r}; expected one of {allowed}", code="invalid_input"
        ) from None


def _check_name(name: str, what: str) -> None:
    if not name or name != name.strip() or any(c in name for c in "\n\r\t"):
        raise InvalidInputError(
            f"{what} name {name!r} must be non-empty, without surrounding spaces or control characters",
            code="invalid_name",
        )
