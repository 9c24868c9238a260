"""Imports, jobs and exports on a workspace (mixed into `Workspace`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from labelport.formats import check_options
from labelport.formats import choose as choose_format
from labelport.formats import get as get_format
from labelport.formats.base import ExportContext, ExportRow, ExportSummary
from labelport.jobs import collector
from labelport.jobs.cancel import request as request_cancel
from labelport.jobs.classmap import ClassMapSuggestion, suggest_class_map
from labelport.jobs.payload import digest, idempotency_key
from labelport.jobs.pipeline import Progress, run_import
from labelport.jobs.source import Source, is_remote, prepare
from labelport.model.errors import InvalidInputError
from labelport.model.issues import Issue
from labelport.model.jobs import ImportJob, Mode, OnExisting
from labelport.model.records import Annotation, RowRef
from labelport.store import imports as store
from labelport.store.blobs import open_blobs
from labelport.store.db import transaction
from labelport.store.ontologies import load_ontology
from labelport.store.projects import project_record


def read_class_map(path: str | Path | dict[str, str] | None) -> dict[str, str] | None:
    if path is None or isinstance(path, dict):
        return path
    try:
        doc = orjson.loads(Path(path).read_bytes())
    except OSError as exc:
        raise InvalidInputError(
            f"cannot read class map {path}: {exc.strerror}", code="class_map_invalid"
        ) from exc
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError(f"class map {path}: invalid JSON: {exc}", code="class_map_invalid") from exc
    if not isinstance(doc, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in doc.items()
    ):
        raise InvalidInputError(
            f"class map {path}: expected a JSON object of source name to ontology name",
            code="class_map_invalid",
        )
    return doc


class ImportsMixin:
    engine: sa.Engine
    url: str

    def _payload_dir(self) -> Path:
        if self.engine.dialect.name == "sqlite" and self.engine.url.database:
            base = Path(self.engine.url.database)
            return base.with_name(base.name + ".payloads")
        return Path.home() / ".labelport" / "payloads"

    def create_import(
        self,
        project: str,
        payload: str | Path | Sequence[Any],
        *,
        format: str = "auto",
        mode: Mode | str = Mode.GROUND_TRUTH,
        dry_run: bool = False,
        class_map: str | Path | dict[str, str] | None = None,
        on_existing: OnExisting | str = OnExisting.FAIL,
        name: str | None = None,
        options: Mapping[str, str] | None = None,
    ) -> int:
        """Record a queued import job and return its id. A list of labelport `Label` objects is
        written as an NDJSON payload first, so every input takes the same path."""
        mode_v = Mode(mode)
        policy = OnExisting(on_existing)
        cmap = read_class_map(class_map)
        if not isinstance(payload, str | Path):
            payload, format = self._write_objects(payload), "ndjson"
        if format != "auto":
            check_options(get_format(format), options)
        src = self._source(payload)
        sha = src.sha256
        opts: dict[str, Any] = {"class_map": cmap} if cmap else {}
        if options:
            opts["format_options"] = dict(options)
        key = idempotency_key(
            sha, {"format": format, "mode": mode_v.value, "on_existing": policy.value, **opts}
        )
        with transaction(self.engine) as conn:
            proj = project_record(conn, project)
            return store.create_job(
                conn,
                project_id=proj.id,
                name=name or f"{src.name} {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S}",
                format=format,
                mode=mode_v,
                on_existing=policy,
                dry_run=dry_run,
                options=opts,
                payload=src.uri,
                sha256=sha,
                key=None if dry_run else key,
            )

    def _source(self, payload: str | Path) -> Source:
        """A local path as it is; an ``s3://`` URI or ``http(s)://`` URL checked and made readable
        by a worker on any machine (a URL is copied into blob storage once, here)."""
        if isinstance(payload, str) and is_remote(payload):
            return prepare(payload, lambda: open_blobs(workspace_url=self.url))
        path = Path(payload).expanduser().resolve()
        if not path.exists():
            raise InvalidInputError(f"no such payload: {path}", code="path_not_found")
        return Source(str(path), digest(path), path.name)

    def cancel_job(self, job_id: int) -> ImportJob:
        """Cancel a job: a queued one never runs; a running one stops at its next checkpoint and
        commits nothing. A finished job is a conflict (``job_finished``)."""
        request_cancel(self.engine, job_id)
        return self.job(job_id)

    def _write_objects(self, labels: Sequence[Any]) -> Path:
        from labelport.formats.objects import to_ndjson_lines

        folder = self._payload_dir()
        folder.mkdir(parents=True, exist_ok=True)
        body = b"".join(orjson.dumps(line) + b"\n" for line in to_ndjson_lines(labels))
        target = folder / f"objects-{hashlib.sha256(body).hexdigest()[:16]}.ndjson"
        target.write_bytes(body)
        return target

    def run_job(self, job_id: int, progress: Progress | None = None) -> ImportJob:
        run_import(self.engine, job_id, progress)
        return self.job(job_id)

    def import_labels(
        self,
        project: str,
        payload: str | Path | Sequence[Any],
        *,
        format: str = "auto",
        mode: Mode | str = Mode.GROUND_TRUTH,
        dry_run: bool = False,
        class_map: str | Path | dict[str, str] | None = None,
        on_existing: OnExisting | str = OnExisting.FAIL,
        name: str | None = None,
        options: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> ImportJob:
        """Create an import job and run it here; the returned job says what happened."""
        job_id = self.create_import(
            project,
            payload,
            format=format,
            mode=mode,
            dry_run=dry_run,
            class_map=class_map,
            on_existing=on_existing,
            name=name,
            options=options,
        )
        return self.run_job(job_id, progress)

    def suggest_class_map(
        self,
        project: str,
        payload: str | Path,
        *,
        format: str = "auto",
        options: Mapping[str, str] | None = None,
    ) -> ClassMapSuggestion:
        """The payload's class names against the project's ontology, with a map to review; no job."""
        path = Path(payload).expanduser().resolve()
        if not path.exists():
            raise InvalidInputError(f"no such payload: {path}", code="path_not_found")
        if format == "auto":
            format, _ = choose_format(path)
        spec = get_format(format)
        check_options(spec, options)
        if spec.read is None:
            raise InvalidInputError(f"format {format!r} cannot be imported", code="unknown_format")
        with self.engine.connect() as conn:
            ontology = load_ontology(conn, project_record(conn, project).ontology_id)
        return suggest_class_map(spec, path, ontology, options)

    def job(self, job_id: int, *, issues: int | None = 0) -> ImportJob:
        """A job; ``issues`` is how many of its issues to include (None: all, 0: none)."""
        with self.engine.connect() as conn:
            return store.to_job(conn, store.job_record(conn, job_id), issues_limit=issues)

    def jobs(self, project: str) -> list[ImportJob]:
        with self.engine.connect() as conn:
            proj = project_record(conn, project)
            return [store.to_job(conn, r, with_lines=False) for r in store.list_jobs(conn, proj.id)]

    def job_issues(
        self,
        job_id: int,
        *,
        offset: int = 0,
        limit: int | None = None,
        code: str | None = None,
        data_row: str | None = None,
    ) -> Iterator[Issue]:
        """A job's issues in payload order, streamed a page at a time."""
        with self.engine.connect() as conn:
            store.job_record(conn, job_id)
            yield from store.iter_issues(
                conn, job_id, offset=offset, limit=limit, code=code, data_row=data_row
            )

    def undo_job(self, job_id: int) -> ImportJob:
        with transaction(self.engine) as conn:
            store.undo(conn, job_id)
        return self.job(job_id)

    def labels(self, project: str, *, mode: Mode | str = Mode.GROUND_TRUTH) -> dict[str, list[Annotation]]:
        """Every labelled row's live annotations, by global key (names and feature ids resolved)."""
        with self.engine.connect() as conn:
            proj = project_record(conn, project)
            return {
                info.global_key: anns
                for info, _f, anns in store.iter_labels(conn, proj.id, Mode(mode).source)
            }

    @collector.paused()  # reading back and writing a million annotations: see jobs.collector
    def export(
        self,
        project: str,
        out: str | Path,
        *,
        format: str,
        mode: Mode | str = Mode.GROUND_TRUTH,
        options: Mapping[str, str] | None = None,
    ) -> ExportSummary:
        spec = get_format(format)
        check_options(spec, options)
        if spec.write is None:
            raise InvalidInputError(f"format {format!r} cannot be exported", code="unknown_format")
        target = Path(out)
        with self.engine.connect() as conn:
            proj = project_record(conn, project)
            rows = (
                ExportRow(
                    ref=RowRef(
                        id=info.uid,
                        global_key=info.global_key,
                        parent_path=info.parent_path,
                        filename=info.filename,
                    ),
                    media_type=info.media_type,
                    metadata=info.metadata,
                    annotations=anns,
                    fields=fields,
                )
                for info, fields, anns in store.iter_labels(conn, proj.id, Mode(mode).source)
            )
            ctx = ExportContext(
                project=proj.name,
                media_type=proj.media_type,
                ontology=load_ontology(conn, proj.ontology_id),
                options=dict(options or {}),
            )
            return spec.write(rows, target, ctx)


__all__ = ["ImportsMixin", "Progress", "read_class_map"]
