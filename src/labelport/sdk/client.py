"""`labelport.Client`: the workspace's methods against a labelport server.

A script switches from the embedded workspace to a server by changing one line::

    ws = labelport.Workspace("labelport.db")          # embedded
    ws = labelport.Client("https://labels.example", token)   # a server

Methods, arguments and return types are the workspace's. Where they cannot be the same thing the
difference is named: paths given to `add_rows` are the server's (under its ``LABELPORT_ROW_ROOTS``);
payloads and manifests are local files, uploaded as a stream (a folder is zipped first);
`import_labels` returns a `JobHandle`, whose ``wait()`` returns the `ImportJob`.
"""

from __future__ import annotations

import os
import tempfile
import urllib.parse
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import httpx
import msgspec
import orjson

from labelport.formats.objects import to_ndjson_lines
from labelport.model.annotation_types import Label
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
from labelport.model.errors import InvalidInputError
from labelport.model.issues import Issue
from labelport.model.jobs import ImportJob, Mode, OnExisting
from labelport.model.media import MediaType
from labelport.model.records import StoredAnnotation
from labelport.model.tokens import ApiToken, IssuedToken, Scope
from labelport.sdk.http import Http
from labelport.sdk.jobs import JobHandle, ProgressFn
from labelport.sdk.types import ClassMapSuggestion, ExportCreated, ExportSummary, IssuesPage, LabelsPage

CHUNK = 1 << 20
PAGE = 1000


def _q(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def _value(v: Any) -> Any:
    return v.value if hasattr(v, "value") else v


class Client:
    """A labelport server, used as a `labelport.Workspace`."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self._http = Http(url, token, timeout=timeout, transport=transport)
        self._limit: int | None = None  # the server's upload limit, asked once

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def health(self) -> bool:
        return self._health().get("status") == "ok"

    def _health(self) -> dict[str, str | int]:
        return self._http.call("GET", "/health", dict[str, str | int])

    @contextmanager
    def _upload(self, path: Path) -> Iterator[tuple[Iterator[bytes], dict[str, str], str]]:
        """``path`` as a streamed upload, refused here when the server would refuse its size
        (a server cuts an oversized body short, which a client sees as a broken connection)."""
        if self._limit is None:
            limit = self._health().get("max_upload_bytes")
            self._limit = limit if isinstance(limit, int) else 0
        with _upload(path) as (content, headers, filename):
            size = int(headers["Content-Length"])
            if self._limit and size > self._limit:
                raise InvalidInputError(
                    f"{path} is {size:,} bytes; the server takes at most {self._limit:,}",
                    code="payload_too_large",
                    hint="the server's LABELPORT_MAX_UPLOAD_BYTES sets the limit",
                )
            yield content, headers, filename

    # --- datasets and rows -----------------------------------------------------------------

    def create_dataset(self, name: str) -> Dataset:
        return self._http.call("POST", "/datasets", Dataset, json={"name": name})

    def datasets(self) -> list[Dataset]:
        return self._http.call("GET", "/datasets", list[Dataset])

    def add_rows(
        self,
        dataset: str,
        paths: Sequence[str | Path],
        *,
        media_type: MediaType | str | None = None,
        strict: bool = False,
        progress: Any = None,
    ) -> AddRowsResult:
        """Add files and folders **of the server** (under its ``LABELPORT_ROW_ROOTS``)."""
        body = {
            "dataset": dataset,
            "paths": [str(p) for p in paths],
            "media_type": _value(media_type),
            "strict": strict,
        }
        return self._http.call("POST", "/rows", AddRowsResult, json=body)

    def add_manifest(
        self, dataset: str, manifest: str | Path, *, strict: bool = False, progress: Any = None
    ) -> AddRowsResult:
        """Upload a local CSV or JSON manifest; its URIs are read by the server."""
        with self._upload(Path(manifest)) as (content, headers, filename):
            return self._http.call(
                "POST",
                "/rows/manifest",
                AddRowsResult,
                params={"dataset": dataset, "strict": strict, "filename": filename},
                content=content,
                headers=headers,
            )

    def rows(
        self,
        dataset: str | None = None,
        *,
        prefix: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[DataRow]:
        params = {"dataset": dataset, "prefix": prefix, "limit": limit, "offset": offset}
        return self._http.call("GET", "/rows", list[DataRow], params=params)

    def row(self, global_key: str) -> DataRow:
        return self._http.call("GET", f"/rows/{_q(global_key)}", DataRow)

    # --- ontologies ------------------------------------------------------------------------

    def create_ontology(self, name: str, spec: dict[str, Any] | str | Path) -> OntologyInfo:
        if not isinstance(spec, dict):
            path = Path(spec)
            try:
                spec = msgspec.json.decode(path.read_bytes())
            except OSError as exc:
                raise InvalidInputError(
                    f"cannot read {path}: {exc.strerror}", code="unreadable_file"
                ) from exc
            except msgspec.DecodeError as exc:
                raise InvalidInputError(f"{path}: invalid JSON: {exc}", code="invalid_json") from exc
        return self._http.call("POST", "/ontologies", OntologyInfo, json={"name": name, "spec": spec})

    def ontology(self, name: str) -> OntologyInfo:
        return self._http.call("GET", f"/ontologies/{_q(name)}", OntologyInfo)

    def ontologies(self) -> list[OntologyInfo]:
        return self._http.call("GET", "/ontologies", list[OntologyInfo])

    # --- projects, batches, tasks ----------------------------------------------------------

    def create_project(self, name: str, *, ontology: str, media_type: MediaType | str) -> Project:
        body = {"name": name, "ontology": ontology, "media_type": _value(media_type)}
        return self._http.call("POST", "/projects", Project, json=body)

    def project(self, name: str) -> Project:
        return self._http.call("GET", f"/projects/{_q(name)}", Project)

    def projects(self) -> list[Project]:
        return self._http.call("GET", "/projects", list[Project])

    def create_batch(
        self,
        project: str,
        name: str,
        *,
        dataset: str | None = None,
        global_keys: Sequence[str] | None = None,
        prefix: str | None = None,
    ) -> Batch:
        body = {
            "project": project,
            "name": name,
            "dataset": dataset,
            "global_keys": list(global_keys) if global_keys is not None else None,
            "prefix": prefix,
        }
        return self._http.call("POST", "/batches", Batch, json=body)

    def tasks(
        self,
        project: str,
        *,
        status: TaskStatus | str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Task]:
        params = {"project": project, "status": _value(status), "limit": limit, "offset": offset}
        return self._http.call("GET", "/tasks", list[Task], params=params)

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
        body = {
            "project": project,
            "global_key": global_key,
            "status": _value(status),
            "stage": _value(stage),
            "workers": workers,
            "modifier": modifier,
        }
        return self._http.call("POST", "/tasks/status", Task, json=body)

    # --- imports and jobs ------------------------------------------------------------------

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
        """Queue an import on the server and return the job's id. A local file or folder is
        uploaded; an ``http(s)://`` or ``s3://`` payload is fetched by the server."""
        return self._start(
            project,
            payload,
            format=format,
            mode=mode,
            dry_run=dry_run,
            class_map=class_map,
            on_existing=on_existing,
            name=name,
            options=options,
        ).id

    def _start(
        self,
        project: str,
        payload: str | Path | Sequence[Any],
        *,
        format: str,
        mode: Mode | str,
        dry_run: bool,
        class_map: str | Path | dict[str, str] | None,
        on_existing: OnExisting | str,
        name: str | None,
        options: Mapping[str, str] | None,
    ) -> ImportJob:
        if not isinstance(payload, str | Path):
            # label objects take the embedded workspace's path: written as NDJSON, then uploaded
            with tempfile.TemporaryDirectory() as tmp:
                target = Path(tmp) / "objects.ndjson"
                lines = to_ndjson_lines(cast("Sequence[Label]", payload))
                target.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
                return self._start(
                    project,
                    target,
                    format="ndjson",
                    mode=mode,
                    dry_run=dry_run,
                    class_map=class_map,
                    on_existing=on_existing,
                    name=name,
                    options=options,
                )
        cmap = _class_map(class_map)
        if isinstance(payload, str) and payload.startswith(("http://", "https://", "s3://")):
            body = {
                "project": project,
                "url": payload,
                "format": format,
                "mode": _value(mode),
                "dry_run": dry_run,
                "class_map": cmap,
                "on_existing": _value(on_existing),
                "name": name,
                "options": dict(options) if options else None,
            }
            return self._http.call("POST", "/imports/url", ImportJob, json=body)
        params: list[tuple[str, Any]] = [
            ("project", project),
            ("format", format),
            ("mode", _value(mode)),
            ("dry_run", dry_run),
            ("on_existing", _value(on_existing)),
            ("name", name),
            ("class_map", msgspec.json.encode(cmap).decode() if cmap else None),
        ]
        params += [("option", f"{k}={v}") for k, v in (options or {}).items()]
        with self._upload(Path(payload)) as (content, headers, filename):
            params.append(("filename", filename))
            return self._http.call(
                "POST", "/imports", ImportJob, params=params, content=content, headers=headers
            )

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
        progress: ProgressFn | None = None,
    ) -> JobHandle:
        """Upload and queue an import; ``.wait()`` on the answer follows it (with progress) and
        returns the finished `ImportJob`."""
        job = self._start(
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
        return JobHandle(self, job)

    def run_job(self, job_id: int, progress: ProgressFn | None = None) -> ImportJob:
        """Run a recorded job again (one a crash interrupted) and wait for it."""
        job = self._http.call("POST", f"/jobs/{job_id}/run", ImportJob)
        return JobHandle(self, job).wait(progress=progress or False)

    def suggest_class_map(
        self,
        project: str,
        payload: str | Path,
        *,
        format: str = "auto",
        options: Mapping[str, str] | None = None,
    ) -> ClassMapSuggestion:
        params: list[tuple[str, Any]] = [("project", project), ("format", format)]
        params += [("option", f"{k}={v}") for k, v in (options or {}).items()]
        with self._upload(Path(payload)) as (content, headers, filename):
            params.append(("filename", filename))
            return self._http.call(
                "POST",
                "/imports/class-map-suggestion",
                ClassMapSuggestion,
                params=params,
                content=content,
                headers=headers,
            )

    def job(self, job_id: int, *, issues: int | None = 0) -> ImportJob:
        """A job; ``issues`` is how many of its issues to include (None: all, 0: none)."""
        if issues is not None:
            return self._http.call("GET", f"/jobs/{job_id}", ImportJob, params={"issues": issues})
        job = self._http.call("GET", f"/jobs/{job_id}", ImportJob)
        job.issues = list(self.job_issues(job_id))
        return job

    def jobs(self, project: str) -> list[ImportJob]:
        return self._http.call("GET", "/jobs", list[ImportJob], params={"project": project})

    def job_issues(
        self,
        job_id: int,
        *,
        offset: int = 0,
        limit: int | None = None,
        code: str | None = None,
        data_row: str | None = None,
    ) -> Iterator[Issue]:
        """A job's issues in payload order, fetched a page at a time as they are read: the first
        page from ``offset``, the next ones by cursor, so the last page costs what the first does."""
        left = limit
        start: dict[str, Any] | None = {"offset": offset}
        while start is not None and (left is None or left > 0):
            size = PAGE if left is None else min(PAGE, left)
            params = {**start, "limit": size, "code": code, "data_row": data_row}
            page = self._http.call("GET", f"/jobs/{job_id}/issues", IssuesPage, params=params)
            yield from page.issues
            if left is not None:
                left -= len(page.issues)
            # a server from before cursors gives offsets only
            start = _next(page.next_after, page.next_offset)

    def cancel_job(self, job_id: int) -> ImportJob:
        return self._http.call("POST", f"/jobs/{job_id}/cancel", ImportJob)

    def undo_job(self, job_id: int) -> ImportJob:
        return self._http.call("POST", f"/jobs/{job_id}/undo", ImportJob)

    def labels(
        self, project: str, *, mode: Mode | str = Mode.GROUND_TRUTH
    ) -> dict[str, list[StoredAnnotation]]:
        """Every labelled row's live annotations, by global key."""
        out: dict[str, list[StoredAnnotation]] = {}
        start: dict[str, Any] | None = {}
        while start is not None:
            params = {"project": project, "mode": _value(mode), "limit": PAGE, **start}
            page = self._http.call("GET", "/labels", LabelsPage, params=params)
            out.update(page.labels)
            start = _next(page.next_after, page.next_offset)
        return out

    def export(
        self,
        project: str,
        out: str | Path,
        *,
        format: str,
        mode: Mode | str = Mode.GROUND_TRUTH,
        options: Mapping[str, str] | None = None,
    ) -> ExportSummary:
        """Export on the server and download to ``out``: a file, or a folder for folder formats."""
        target = Path(out)
        if target.exists() and (target.is_file() or any(target.iterdir())):
            raise InvalidInputError(
                f"{target} already exists", code="output_exists", hint="choose a new path or empty it"
            )
        body = {"project": project, "format": format, "mode": _value(mode), "options": options}
        created = self._http.call("POST", "/exports", ExportCreated, json=body)
        with self._http.stream("GET", f"/exports/{_q(created.id)}") as resp:
            if created.archive:
                _unzip_download(resp.iter_bytes(CHUNK), target)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as fh:
                    for chunk in resp.iter_bytes(CHUNK):
                        fh.write(chunk)
        return created.summary

    # --- tokens ----------------------------------------------------------------------------

    def create_token(self, scope: Scope | str, *, name: str | None = None) -> IssuedToken:
        return self._http.call("POST", "/tokens", IssuedToken, json={"scope": _value(scope), "name": name})

    def tokens(self) -> list[ApiToken]:
        return self._http.call("GET", "/tokens", list[ApiToken])

    def revoke_token(self, token_id: int) -> ApiToken:
        return self._http.call("POST", f"/tokens/{token_id}/revoke", ApiToken)


def _class_map(given: str | Path | dict[str, str] | None) -> dict[str, str] | None:
    if given is None or isinstance(given, dict):
        return given
    try:
        doc = msgspec.json.decode(Path(given).read_bytes())
    except OSError as exc:
        raise InvalidInputError(
            f"cannot read class map {given}: {exc.strerror}", code="class_map_invalid"
        ) from exc
    except msgspec.DecodeError as exc:
        raise InvalidInputError(f"class map {given}: invalid JSON: {exc}", code="class_map_invalid") from exc
    if not isinstance(doc, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in doc.items()
    ):
        raise InvalidInputError(
            f"class map {given}: expected a JSON object of source name to ontology name",
            code="class_map_invalid",
        )
    return doc


@contextmanager
def _upload(path: Path) -> Iterator[tuple[Iterator[bytes], dict[str, str], str]]:
    """A local file as a streamed body (with its length, so the server can refuse early); a
    folder is zipped to a temporary file first."""
    path = path.expanduser()
    if not path.exists():
        raise InvalidInputError(f"no such payload: {path}", code="path_not_found")
    if path.is_file():
        yield _chunks(path), _length(path), path.name
        return
    with tempfile.TemporaryDirectory(prefix="labelport-upload-") as tmp:
        archive = Path(tmp) / f"{path.name or 'payload'}.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
                zf.write(f, f.relative_to(path).as_posix())
        yield _chunks(archive), _length(archive), archive.name


def _length(path: Path) -> dict[str, str]:
    return {"Content-Length": str(path.stat().st_size), "Content-Type": "application/octet-stream"}


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            yield block


def _next(after: str | None, offset: int | None) -> dict[str, Any] | None:
    """Where the next page starts: after a cursor (every page costs the same), or at an offset
    when the server is from before cursors; None on the last page."""
    if after:
        return {"after": after}
    return {"offset": offset} if offset is not None else None


def _unzip_download(chunks: Iterator[bytes], target: Path) -> None:
    """Unpack a downloaded folder export into ``target``, refusing members that would land
    outside it."""
    with tempfile.TemporaryDirectory(prefix="labelport-export-") as tmp:
        archive = Path(tmp) / "export.zip"
        with archive.open("wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        target.mkdir(parents=True, exist_ok=True)
        root = target.resolve()
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                dest = (root / info.filename).resolve()
                if not dest.is_relative_to(root) or os.path.isabs(info.filename):
                    raise InvalidInputError(
                        f"the server's export names {info.filename!r}, outside {target}",
                        code="unsafe_archive",
                    )
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, dest.open("wb") as out:
                    while block := src.read(CHUNK):
                        out.write(block)
