"""Turning files, folders and manifests into data rows.

Files are walked lazily and handled in chunks: each chunk is probed, checked against the keys
already stored and written with one bulk insert, all inside the caller's single transaction. So
memory stays flat however large the folder, and a clash anywhere leaves the workspace as it was.
"""

from __future__ import annotations

import csv
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import orjson
import sqlalchemy as sa

from labelport.media import ProbeError, detect_media_type, probe
from labelport.media.fetch import fetch
from labelport.media.probes.tiles import tile_metadata
from labelport.model.catalog import AddRowsResult, SkippedFile
from labelport.model.errors import ConflictError, InvalidInputError
from labelport.model.ids import new_uid
from labelport.model.media import MediaType
from labelport.store import catalog

CHUNK = 1000
Progress = Callable[[int, int], None]


def key_for(parent_path: str, filename: str) -> str:
    """The default global key: ``parent_path/filename`` with the seed's leading ``/``."""
    return f"{parent_path.rstrip('/')}/{filename}"


def _parent_of(rel: PurePosixPath) -> str:
    parent = rel.parent.as_posix()
    return "/" if parent in ("", ".") else "/" + parent


_SCENES = {MediaType.IMAGE_SEQUENCE: MediaType.IMAGE, MediaType.POINT_CLOUD: MediaType.POINT_CLOUD}


def _walk(paths: Sequence[Path], scene: MediaType | None) -> Iterator[tuple[Path, Path]]:
    """``(root, file)`` pairs in a stable order; for scenes, ``(root, folder)`` of each folder that
    holds frames (a point-cloud file given on its own is a one-frame row, so it stays a file).

    The folder given is the dataset root, as for files: its scenes are keyed below it
    (``/0000/scene_a``); a scene folder given itself is keyed by its own name (``/scene_a``).
    """
    for given in paths:
        if not given.exists():
            raise InvalidInputError(f"no such file or folder: {given}", code="path_not_found")
        if given.is_dir():
            if scene is not None:
                yield from ((given.parent if d == given else given, d) for d in _scene_dirs(given, scene))
                continue
            for f in sorted(given.rglob("*")):
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(given).parts):
                    yield given, f
        elif scene is MediaType.IMAGE_SEQUENCE:
            raise InvalidInputError(
                f"an image sequence is a folder of frames, not a file: {given}", code="wrong_media_type"
            )
        else:
            yield given.parent, given


def _scene_dirs(root: Path, scene: MediaType) -> Iterator[Path]:
    frame = _SCENES[scene]
    for d in sorted([root, *(p for p in root.rglob("*") if p.is_dir())]):
        if any(part.startswith(".") for part in d.relative_to(root).parts):
            continue
        if any(detect_media_type(f) is frame for f in d.iterdir() if f.is_file()):
            yield d


def add_paths(
    conn: sa.Connection,
    dataset: str,
    paths: Sequence[Path],
    *,
    media_type: MediaType | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> AddRowsResult:
    ds_id = catalog.dataset_id(conn, dataset)
    if media_type is MediaType.GEOSPATIAL:
        raise InvalidInputError(
            "geospatial rows are tile layers on a tile server, not files",
            code="wrong_media_type",
            hint="add them with a manifest: global_key, tile_layer_url, bounds, min_zoom, max_zoom, epsg",
        )
    scene = media_type if media_type in _SCENES else None
    pairs = list(_walk([p.expanduser().resolve() for p in paths], scene))
    result = AddRowsResult(dataset=dataset, added=0, unchanged=0, skipped=[])
    chunk: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for i, (root, path) in enumerate(pairs, 1):
        row = _row_from_file(root, path, media_type, result.skipped, strict)
        if row is not None:
            row["dataset_id"] = ds_id
            chunk.append(row)
        if len(chunk) >= CHUNK:
            _flush(conn, chunk, seen, result)
        if progress is not None:
            progress(i, len(pairs))
    _flush(conn, chunk, seen, result)
    return result


def _row_from_file(
    root: Path, path: Path, forced: MediaType | None, skipped: list[SkippedFile], strict: bool
) -> dict[str, Any] | None:
    media = forced or detect_media_type(path)
    reason: str | None = None
    meta: dict[str, Any] = {}
    if media is None:
        reason = "not a media file labelport knows (use --media-type to force one)"
    else:
        try:
            meta = probe(path, media)
        except ProbeError as exc:
            reason = str(exc)
        except OSError as exc:
            reason = exc.strerror or str(exc)
    if reason is not None:
        if strict:
            raise InvalidInputError(f"{path}: {reason}", code="unreadable_file")
        skipped.append(SkippedFile(path=str(path), reason=reason))
        return None
    assert media is not None
    rel = PurePosixPath(path.relative_to(root).as_posix())
    parent = _parent_of(rel)
    return {
        "uid": None,
        "global_key": key_for(parent, rel.name),
        "external_id": None,
        "media_type": media.value,
        "uri": str(path),
        "parent_path": parent,
        "filename": rel.name,
        "metadata": meta,
        "tags": [],
    }


def _flush(
    conn: sa.Connection, chunk: list[dict[str, Any]], seen: dict[str, str], result: AddRowsResult
) -> None:
    """Insert a chunk: rows already stored with the same uri are unchanged; a key stored (or seen
    earlier in this request) with another uri is a clash that refuses the whole request."""
    if not chunk:
        return
    existing = catalog.rows_by_key(conn, [r["global_key"] for r in chunk])
    fresh = []
    for r in chunk:
        key, uri = r["global_key"], r["uri"]
        prior = existing.get(key)
        other = prior[1] if prior else seen.get(key)
        if other is not None and other != uri:
            raise ConflictError(
                f"global key {key!r} of {uri} is already taken by {other}",
                code="global_key_conflict",
                hint="give one of them another global key (a manifest can)",
            )
        if other == uri:
            result.unchanged += 1
            continue
        seen[key] = uri
        fresh.append(r)
    wanted = [r["uid"] for r in fresh if r["uid"]]
    taken = catalog.uids_taken(conn, wanted) if wanted else set()
    for r in fresh:
        if r["uid"] in taken:
            raise ConflictError(
                f"data row id {r['uid']!r} (for {r['global_key']!r}) is already taken",
                code="data_row_id_conflict",
            )
        r["uid"] = r["uid"] or new_uid()
        r["created_at"] = catalog.now()
    catalog.insert_rows(conn, fresh)
    result.added += len(fresh)
    chunk.clear()


# --- manifests ---------------------------------------------------------------------------------

_NUMERIC = (
    "width",
    "height",
    "fps",
    "frame_count",
    "duration_ms",
    "page_count",
    "length",
    "sample_rate",
    "point_count",
)


def read_manifest(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Entries of a CSV (header row) or JSON (list of objects) manifest, with their locations."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(
            f"cannot read manifest {path}: {exc.strerror}", code="unreadable_file"
        ) from exc
    if path.suffix.lower() == ".csv":
        lines = raw.decode("utf-8-sig").splitlines()
        for n, rec in enumerate(csv.DictReader(lines), 2):
            entry: dict[str, Any] = {k.strip(): v for k, v in rec.items() if k and v not in (None, "")}
            meta = {k: _number(entry.pop(k), f"{path}:{n}", k) for k in _NUMERIC if k in entry}
            if "metadata" in entry:
                meta.update(_json_obj(entry.pop("metadata"), f"{path}:{n}"))
            if meta:
                entry["metadata"] = meta
            if "tags" in entry:
                entry["tags"] = [t.strip() for t in str(entry["tags"]).split(";") if t.strip()]
            yield f"{path}:{n}", entry
        return
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError(f"{path}: invalid JSON: {exc}", code="invalid_json") from exc
    if isinstance(doc, dict) and isinstance(doc.get("rows"), list):
        doc = doc["rows"]
    if not isinstance(doc, list):
        raise InvalidInputError(f"{path}: a JSON manifest is a list of row objects", code="wrong_type")
    for i, item in enumerate(doc):
        if not isinstance(item, dict):
            raise InvalidInputError(f"{path}#/{i}: a manifest entry is an object", code="wrong_type")
        yield f"{path}#/{i}", item


def _number(v: str, where: str, key: str) -> float | int:
    try:
        f = float(v)
    except ValueError:
        raise InvalidInputError(f"{where}: `{key}` must be a number, got {v!r}", code="wrong_type") from None
    return int(f) if f.is_integer() else f


def _json_obj(v: str, where: str) -> dict[str, Any]:
    try:
        obj = orjson.loads(v)
    except orjson.JSONDecodeError:
        obj = None
    if not isinstance(obj, dict):
        raise InvalidInputError(f"{where}: `metadata` must be a JSON object", code="wrong_type")
    return obj


def add_manifest(
    conn: sa.Connection,
    dataset: str,
    manifest: Path,
    *,
    strict: bool = False,
    progress: Progress | None = None,
) -> AddRowsResult:
    ds_id = catalog.dataset_id(conn, dataset)
    entries = list(read_manifest(manifest))
    result = AddRowsResult(dataset=dataset, added=0, unchanged=0, skipped=[])
    chunk: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for i, (where, entry) in enumerate(entries, 1):
        row = _row_from_entry(where, entry, manifest.parent, result.skipped, strict)
        if row is not None:
            row["dataset_id"] = ds_id
            chunk.append(row)
        if len(chunk) >= CHUNK:
            _flush(conn, chunk, seen, result)
        if progress is not None:
            progress(i, len(entries))
    _flush(conn, chunk, seen, result)
    return result


def _str_field(entry: dict[str, Any], key: str, where: str, required: bool = False) -> str | None:
    v = entry.get(key)
    if v is None:
        if required:
            raise InvalidInputError(f"{where}: missing `{key}`", code="missing_field")
        return None
    if not isinstance(v, str) or not v:
        raise InvalidInputError(f"{where}: `{key}` must be a non-empty string", code="wrong_type")
    return v


def _row_from_entry(
    where: str, entry: dict[str, Any], base: Path, skipped: list[SkippedFile], strict: bool
) -> dict[str, Any] | None:
    media_name = _str_field(entry, "media_type", where)
    try:
        media = MediaType.parse(media_name) if media_name else None
    except InvalidInputError as exc:
        raise InvalidInputError(f"{where}: {exc.message}", code=exc.code) from None
    if media is MediaType.GEOSPATIAL:
        return _geo_row(where, entry)
    uri = _str_field(entry, "uri", where, required=True) or ""
    parsed = urllib.parse.urlparse(uri)
    local: Path | None = None
    if parsed.scheme in ("", "file"):
        local = Path(urllib.parse.unquote(parsed.path) if parsed.scheme else uri)
        local = (base / local).resolve() if not local.is_absolute() else local
        uri = str(local)
    elif parsed.scheme not in ("http", "https", "s3", "gs"):
        raise InvalidInputError(f"{where}: unsupported URI scheme {parsed.scheme!r}", code="wrong_type")
    key = _str_field(entry, "global_key", where) or _str_field(entry, "globalKey", where)
    rel = PurePosixPath(
        key
        if key
        else (parsed.path if parsed.scheme not in ("", "file") else local.name if local else parsed.path)
    )
    filename = rel.name
    parent = _parent_of(PurePosixPath(rel.as_posix().lstrip("/")))
    meta = entry.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise InvalidInputError(f"{where}: `metadata` must be an object", code="wrong_type")
    try:
        media, meta = _probe_entry(uri, local, media, meta)
    except (ProbeError, OSError, InvalidInputError) as exc:
        reason = str(exc) if not isinstance(exc, OSError) else (exc.strerror or str(exc))
        if strict:
            raise InvalidInputError(f"{where}: {uri}: {reason}", code="unreadable_file") from exc
        skipped.append(SkippedFile(path=uri, reason=reason))
        return None
    tags = _tags(entry, where)
    return {
        "uid": _str_field(entry, "id", where),
        "global_key": key or key_for(parent, filename),
        "external_id": _str_field(entry, "external_id", where),
        "media_type": media.value,
        "uri": uri,
        "parent_path": parent,
        "filename": filename,
        "metadata": meta,
        "tags": tags,
    }


def _tags(entry: dict[str, Any], where: str) -> list[str]:
    tags = entry.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInputError(f"{where}: `tags` must be a list of strings", code="wrong_type")
    return tags


def _geo_row(where: str, entry: dict[str, Any]) -> dict[str, Any]:
    """A tile layer: its key is the one the manifest gives (a URL template is no name), its bytes
    stay on the tile server, and its stated bounds, zooms and projection are checked."""
    key = _str_field(entry, "global_key", where) or _str_field(entry, "globalKey", where)
    if key is None:
        raise InvalidInputError(f"{where}: a geospatial row needs `global_key`", code="missing_field")
    meta = tile_metadata(entry, where)
    rel = PurePosixPath(key.lstrip("/"))
    tags = _tags(entry, where)
    return {
        "uid": _str_field(entry, "id", where),
        "global_key": key,
        "external_id": _str_field(entry, "external_id", where),
        "media_type": MediaType.GEOSPATIAL.value,
        "uri": meta["tile_layer_url"],
        "parent_path": _parent_of(rel),
        "filename": rel.name,
        "metadata": meta,
        "tags": tags,
    }


# an asset fetched only to probe it: large videos are fine, an endless stream is not
_MAX_ASSET_BYTES = 16 << 30


def _probe_entry(
    uri: str, local: Path | None, media: MediaType | None, meta: dict[str, Any] | None
) -> tuple[MediaType, dict[str, Any]]:
    """Metadata given in the manifest is trusted and nothing is fetched; otherwise the bytes are
    probed, from disk or fetched over http(s) once."""
    if meta is not None and media is not None:
        return media, meta
    if local is not None:
        media = media or detect_media_type(local)
        if media is None:
            raise InvalidInputError("not a media file labelport knows; give `media_type`")
        return media, meta if meta is not None else probe(local, media)
    if not uri.startswith(("http://", "https://")):
        raise InvalidInputError("remote rows on object storage need `media_type` and `metadata`")
    suffix = PurePosixPath(urllib.parse.urlparse(uri).path).suffix
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"asset{suffix}"
        with target.open("wb") as out:
            for block in fetch(uri, limit_bytes=_MAX_ASSET_BYTES):
                out.write(block)
        media = media or detect_media_type(target)
        if media is None:
            raise InvalidInputError("cannot tell the media type; give `media_type`")
        return media, meta if meta is not None else probe(target, media)
