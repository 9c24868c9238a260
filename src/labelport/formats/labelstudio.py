"""Label Studio JSON export (the full "JSON" export: a list of tasks), import and export.

Layout: one ``.json`` file holding a JSON list of tasks (or one task object), or a folder whose
``*.json`` files each hold such a list (what the writer makes: ``tasks.json`` beside a
``labeling_config.xml``). The "JSON-MIN", CSV and TSV exports are not read. One task::

    {"id": 7, "data": {"image": "/data/local-files/?d=train/a.jpg"},
     "annotations": [{"id": 12, "completed_by": 1, "was_cancelled": false, "ground_truth": false,
                      "result": [{"id": "r1", "type": "rectanglelabels", "from_name": "label",
                                  "to_name": "image", "original_width": 640, "original_height": 480,
                                  "image_rotation": 0,
                                  "value": {"x": 10, "y": 20, "width": 30, "height": 40,
                                            "rotation": 0, "rectanglelabels": ["car"]}}]}],
     "predictions": [{"model_version": "v1", "score": 0.9, "result": [...]}]}

One annotation (or prediction, ``--option source=predictions``) of each task is read; cancelled
annotations are skipped, and a task with several others is refused unless ``--option
annotation=first|last|ground_truth`` says which. Results map to canonical annotations::

    Label Studio result                           canonical Annotation
    rectanglelabels / rectangle  x y width height  bbox [x, y, w, h] pixels; ``rotation`` (degrees
                                 rotation          clockwise about the TOP-LEFT corner) becomes the
                                                   canonical turn about the centre: [x, y, w, h, r]
    polygonlabels / polygon      points [[x, y]]   polygon [[x0, y0, x1, y1, ...]]
    keypointlabels / keypoint    x y (width)       point [x, y]; ``width`` (the dot size) ignored
    ellipselabels / ellipse      x y radiusX       ellipse [cx, cy, rx, ry(, r)]
                                 radiusY rotation
    brushlabels / brush          format rle, rle   mask (COCO RLE), via masks.from_labelstudio_rle
    labels (same id as a shape)  labels            the class of that shape (Labels + Rectangle)
    choices / textarea (same id  choices / text    extra["attributes"][from_name] of that shape
      as a shape: per-region)                      (one choice or text: a string; several: a list)
    choices / textarea (other)   choices / text    classification named from_name, loose answer
    relation                     from_id to_id     relationship {source, target, type}; "left"
                                 direction labels  swaps the ends, "bi" is bidirectional; class =
                                                   the one label, or "relation" when unlabelled
    score (result / prediction)  a number          extra["confidence"] of the result's annotations

Percent coordinates are turned into pixels here with the result's ``original_width`` /
``original_height`` (multiplying before dividing by 100, never rounding), because a rotation about
the top-left corner can only be moved to the centre in pixels; the stated size becomes
``Record.image_size`` so a row of another size is refused. A result without the size keeps
percent units (``Annotation.units``) for validation to convert, except a rotated rectangle or a
brush, which need it. Class names are the label strings as written; a region with several labels
becomes one annotation per label (ids ``<id>``, ``<id>#2``, ...). Region ids are the annotations'
ids (relations name them). Text spans (``labels`` with start/end) and other result types
(rating, number, taxonomy, video, ...) are ``unsupported_annotation``.

Rows: ``data[<key>]`` names the image (``--option image_key``; else the results' ``to_name`` when
``data`` has that key, else ``image``, else ``data``'s only key): ``/data/local-files/?d=<path>``
gives the path, ``s3://`` / ``gs://`` / ``azure-blob://`` the key inside the bucket, http(s) URLs
their path, ``/data/upload/<project>/<name>`` the stored name (``--option
upload_names=original`` drops Label Studio's 8-hex upload prefix), anything else is a path.

A result's ``score`` (else its prediction's ``score``) becomes ``extra["confidence"]``.

Export writes one task per labelled row (``data.image`` = ``--option image_prefix`` + the row's
path) with one annotation (``--option source=predictions``: one prediction, confidences as scores);
percents are computed from the row's real width and height. Annotations read from one region with
several labels (``<id>``, ``<id>#2``) are one region again while they agree; a textarea's texts
are split at the newlines import joined them with. It cannot carry lines, skeleton keypoints,
cuboids, text entities, polygons with several rings, tracks, answers nested under an option, an
answer's own attributes (a CVAT tag's), or format fields of other formats; each is reported
through :func:`~labelport.formats.common.cannot_carry` (other formats' bookkeeping, such as their
ids, ``area`` or a confidence written as an annotation, with severity INFO). A kept string
attribute no tool defines is written as a textarea, a guess reported as INFO.

Streaming: the file is decoded once into a list of ``msgspec.Raw`` slices that point into the
one buffer; each task is then decoded on its own, so a bad task is reported and the rest go on.
A slice's place in the buffer gives the task's line and each result's (``Annotation.line``).
"""

from __future__ import annotations

import copy
import math
import re
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from labelport.formats import masks
from labelport.formats.base import (
    Detection,
    ExportContext,
    ExportRow,
    ExportSummary,
    FormatSpec,
    IssueSink,
    issue,
)
from labelport.formats.common import (
    bookkeeping,
    cannot_carry,
    esc,
    flat_attributes,
    is_num,
    jtype,
    plain,
    prepare_output,
    row_path,
    shown,
    to_json,
    tools_of,
)
from labelport.model.errors import InvalidInputError
from labelport.model.issues import Location, Severity
from labelport.model.ontology import Classification, ClassificationType, ToolKind
from labelport.model.records import Annotation, Answer, Choice, Record, RowRef, attribute_text

NAME = "labelstudio"

# result type -> (key of its label list or None for the unlabelled tool, canonical kind)
_SHAPES: dict[str, tuple[str | None, str]] = {
    "rectanglelabels": ("rectanglelabels", "bbox"),
    "rectangle": (None, "bbox"),
    "polygonlabels": ("polygonlabels", "polygon"),
    "polygon": (None, "polygon"),
    "keypointlabels": ("keypointlabels", "point"),
    "keypoint": (None, "point"),
    "ellipselabels": ("ellipselabels", "ellipse"),
    "ellipse": (None, "ellipse"),
    "brushlabels": ("brushlabels", "mask"),
    "brush": (None, "mask"),
}
_CLASSIFY = ("choices", "textarea")
_SUPPORTED = ", ".join([*_SHAPES, "labels", *_CLASSIFY, "relation"])

_OPTIONS: dict[str, tuple[str, ...]] = {
    "source": ("annotations", "predictions"),
    "annotation": ("only", "first", "last", "ground_truth"),
    "match": ("path", "name"),
    "upload_names": ("stored", "original"),
}
_UPLOAD = re.compile(r"^/?data/upload/[^/]+/(.+)$")
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-(.+)$")
_BUCKETS = ("s3", "gs", "gcs", "azure-blob", "azure")
_DEFAULT_PREFIX = "/data/local-files/?d="
_DETECT_FULL = 4 << 20
_DETECT_HEAD = 64 << 10
_DETECT_TASKS = 20  # tasks detection looks at: unlabelled ones may come first
_LISTS = ("annotations", "predictions", "completions")

# export: one control per kind, named as its result type
_KIND_TYPE = {
    "bbox": "rectanglelabels",
    "polygon": "polygonlabels",
    "point": "keypointlabels",
    "ellipse": "ellipselabels",
    "mask": "brushlabels",
}
_TAGS = (
    ("RectangleLabels", "rectanglelabels", (ToolKind.RECTANGLE,)),
    ("PolygonLabels", "polygonlabels", (ToolKind.POLYGON, ToolKind.POLY_SEG)),
    ("KeyPointLabels", "keypointlabels", (ToolKind.POINT,)),
    ("EllipseLabels", "ellipselabels", (ToolKind.ELLIPSE,)),
    ("BrushLabels", "brushlabels", (ToolKind.RASTER_SEGMENTATION,)),
)
_TO_NAME = "image"


class _Skip(Exception):
    """A result (or task) that was reported and cannot be used."""


# --------------------------------------------------------------------------------------------------
# reading


class _Options(msgspec.Struct, kw_only=True):
    source: str = "annotations"
    annotation: str = "only"
    image_key: str | None = None
    path_prefix: str = ""
    match: str = "path"
    upload_names: str = "stored"


def _options(options: Mapping[str, str], sink: IssueSink, file: str) -> _Options | None:
    ok = True
    for key, allowed in _OPTIONS.items():
        value = options.get(key)
        if value is not None and value not in allowed:
            sink(
                issue(
                    "invalid_value",
                    f"option {key}={value!r} is not one of {', '.join(allowed)}",
                    Location(file=file),
                    value=value,
                    hint=f"--option {key}={'|'.join(allowed)}",
                )
            )
            ok = False
    if options.get("source") == "predictions" and options.get("annotation") == "ground_truth":
        sink(
            issue(
                "invalid_value",
                "predictions have no ground_truth flag; annotation=ground_truth needs source=annotations",
                Location(file=file),
                value="ground_truth",
                hint="--option annotation=first|last",
            )
        )
        ok = False
    if not ok:
        return None
    return _Options(
        source=options.get("source", "annotations"),
        annotation=options.get("annotation", "only"),
        image_key=options.get("image_key") or None,
        path_prefix=options.get("path_prefix", ""),
        match=options.get("match", "path"),
        upload_names=options.get("upload_names", "stored"),
    )


def _payload_files(payload: Path) -> list[tuple[Path, str]]:
    if payload.is_dir():
        return [
            (p, p.name)
            for p in sorted(payload.iterdir(), key=lambda p: p.name)
            if p.suffix.lower() == ".json" and not p.name.startswith(".") and p.is_file()
        ]
    return [(payload, payload.name)]


def read(payload: Path, sink: IssueSink, options: Mapping[str, str] | None = None) -> Iterator[Record]:
    """Stream one Record per task that has an annotation to import."""
    opts = _options(options or {}, sink, payload.name)
    if opts is None:
        return
    if not payload.exists():
        sink(
            issue(
                "unreadable_payload",
                f"{payload} is neither a file nor a folder",
                Location(file=str(payload)),
                hint="Check the path.",
            )
        )
        return
    files = _payload_files(payload)
    if not files:
        sink(
            issue(
                "unreadable_payload",
                f"the folder {payload.name} has no .json file",
                Location(file=payload.name),
                hint="Give the exported JSON file, or a folder holding it.",
            )
        )
    for path, rel in files:
        yield from _File(sink, rel, opts).read(path)


class _File:
    """One export file being read: where issues go and what their locations share."""

    def __init__(self, sink: IssueSink, file: str, opts: _Options) -> None:
        self.sink, self.file, self.opts = sink, file, opts
        self.line: int | None = None
        self.data_row: str | None = None
        self.buf = b""  # the file, to count the lines up to a result
        self.base: int | None = None  # the buffer's address
        self.task_at = 0  # the current task's offset in the buffer

    def report(
        self,
        code: str,
        message: str,
        pointer: str | None,
        *,
        value: Any = None,
        hint: str | None = None,
        annotation_id: str | None = None,
        line: int | None = None,
    ) -> None:
        loc = Location(
            file=self.file,
            line=line if line is not None else self.line,
            pointer=pointer,
            annotation_id=annotation_id,
            data_row=self.data_row,
        )
        self.sink(issue(code, message, loc, value=value, hint=hint))

    # --- the file ---------------------------------------------------------------------------

    def read(self, path: Path) -> Iterator[Record]:
        try:
            buf = path.read_bytes()
        except OSError as exc:
            self.report("unreadable_payload", f"cannot read the file: {exc.strerror or exc}", None)
            return
        if buf.startswith(b"\xef\xbb\xbf"):
            buf = buf[3:]
        start = len(buf) - len(buf.lstrip())
        if start == len(buf):
            self.report("invalid_json", "the file is empty", None, hint="Export the project as JSON.")
            return
        if buf[start : start + 1] == b"{":  # one task object
            task = self._decode(buf, "", 1)
            if task is not None:
                self.line = 1
                record = self._task(task, "")
                if record is not None:
                    yield record
            return
        try:
            raws = msgspec.json.decode(buf, type=list[msgspec.Raw])
        except msgspec.ValidationError:
            self.report(
                "wrong_type",
                "the file must hold a JSON list of tasks or one task object",
                "",
                hint="Export the project with the JSON format.",
            )
            return
        except msgspec.DecodeError as exc:
            self._syntax(buf, exc)
            return
        base = self.base = _address(buf)
        self.buf = buf
        offset, line = 0, 1
        for i, raw in enumerate(raws):
            at = _address(raw)
            where = at - base if at is not None and base is not None else -1
            if 0 <= where <= len(buf):
                line += buf.count(b"\n", offset, where)
                offset = where
                task_line: int | None = line
            else:  # pragma: no cover - Raw always points into the buffer
                task_line = None
            task = self._decode(raw, f"/{i}", task_line)
            if task is None:
                continue
            self.line, self.task_at = task_line, offset
            record = self._task(task, f"/{i}", raw if task_line is not None else None)
            if record is not None:
                yield record
        del raws

    def _syntax(self, buf: bytes, exc: Exception) -> None:
        msg = str(exc)
        at = re.search(r"byte (\d+)", msg)
        line = buf.count(b"\n", 0, int(at.group(1))) + 1 if at else None
        try:
            buf.decode("utf-8")
        except UnicodeDecodeError as uexc:
            self.report(
                "unreadable_payload",
                f"the file is not UTF-8 (byte {uexc.start})",
                None,
                hint="Save the file as UTF-8.",
                line=buf.count(b"\n", 0, uexc.start) + 1,
            )
            return
        self.report("invalid_json", f"not valid JSON: {msg}", None, line=line)

    def _decode(self, raw: bytes | msgspec.Raw, pointer: str, line: int | None) -> Any:
        try:
            return msgspec.json.decode(raw)
        except (UnicodeDecodeError, msgspec.DecodeError) as exc:
            # for bad UTF-8 some msgspec versions raise UnicodeDecodeError and others (0.23) a
            # DecodeError: whether the bytes are UTF-8 is asked of the bytes, not the exception
            try:
                bytes(raw).decode("utf-8")
            except UnicodeDecodeError as uexc:
                self.report(
                    "unreadable_payload",
                    f"the task is not UTF-8 (byte {uexc.start} of it)",
                    pointer or None,
                    hint="Save the file as UTF-8.",
                    line=line,
                )
                return None
            self.report("invalid_json", f"the task cannot be decoded: {exc}", pointer or None, line=line)
        return None

    # --- one task ---------------------------------------------------------------------------

    def _task(self, task: Any, ptr: str, raw: msgspec.Raw | None = None) -> Record | None:
        self.data_row = None
        if not isinstance(task, dict):
            self.report("wrong_type", f"a task must be an object, not {jtype(task)}", ptr, value=shown(task))
            return None
        data = task.get("data")
        if data is None:
            minimal = any(k in task for k in ("annotation_id", "annotator", "label"))
            self.report(
                "missing_field",
                "a task needs `data` (the task's data, with the image)",
                f"{ptr}/data",
                hint="This looks like a JSON-MIN export; export the project as JSON."
                if minimal
                else "Export the project with the JSON format.",
            )
            return None
        if not isinstance(data, dict):
            self.report("wrong_type", f"`data` must be an object, not {jtype(data)}", f"{ptr}/data")
            return None
        found, key = self._candidates(task, ptr)
        if not found:
            return None  # not labelled, or only cancelled annotations: nothing to import
        to_names = {
            r["to_name"]
            for item, _, _ in found
            if isinstance(item.get("result"), list)
            for r in item["result"]
            if isinstance(r, dict) and isinstance(r.get("to_name"), str) and r.get("type") != "relation"
        }
        filename = self._image(data, to_names, ptr)
        if filename is None:
            return None
        self.data_row = filename
        chosen = self._pick(found, key, ptr)
        if chosen is None:
            return None
        ann, aptr, index = chosen
        result = ann.get("result")
        if "result" not in ann:
            self.report("missing_field", "an annotation needs `result`", f"{aptr}/result")
            return None
        if not isinstance(result, list):
            self.report("wrong_type", f"`result` must be an array, not {jtype(result)}", f"{aptr}/result")
            return None
        lines = self._result_lines(raw, key, index) if raw is not None else None
        results = _Results(self, f"{aptr}/result", lines, self._score(ann, f"{aptr}/score"))
        annotations = results.read(result)
        return Record(
            row=RowRef(filename=filename),
            annotations=annotations,
            location=Location(file=self.file, line=self.line, pointer=ptr or "/", data_row=filename),
            image_size=results.size,
        )

    def _candidates(
        self, task: dict[str, Any], ptr: str
    ) -> tuple[list[tuple[dict[str, Any], str, int]], str]:
        """The task's annotations (or predictions) that are not cancelled, with their pointers."""
        key = self.opts.source
        if key == "annotations" and "annotations" not in task and "completions" in task:
            key = "completions"  # Label Studio before 1.0
        items = task.get(key)
        if items is None:
            return [], key
        if not isinstance(items, list):
            self.report("wrong_type", f"`{key}` must be an array, not {jtype(items)}", f"{ptr}/{key}")
            return [], key
        found: list[tuple[dict[str, Any], str, int]] = []
        for k, item in enumerate(items):
            p = f"{ptr}/{key}/{k}"
            if not isinstance(item, dict):
                self.report("wrong_type", f"an annotation must be an object, not {jtype(item)}", p)
                continue
            if item.get("was_cancelled") is True:
                continue
            found.append((item, p, k))
        return found, key

    def _pick(
        self, found: list[tuple[dict[str, Any], str, int]], key: str, ptr: str
    ) -> tuple[dict[str, Any], str, int] | None:
        """The one annotation to import, as ``--option annotation`` says; None when it cannot tell."""
        mode = self.opts.annotation
        if mode == "first":
            return found[0]
        if mode == "last":
            return found[-1]
        ids = ", ".join(_label(item, p) for item, p, _ in found)
        if mode == "ground_truth":
            flagged = [f for f in found if f[0].get("ground_truth") is True]
            if len(flagged) == 1:
                return flagged[0]
            self.report(
                "invalid_value",
                f"{len(flagged) or 'no'} {'annotations are' if len(flagged) > 1 else 'annotation is'} "
                f"flagged ground_truth among {ids}",
                f"{ptr}/{key}",
                hint="Flag exactly one annotation as ground truth, or use --option annotation=first|last",
            )
            return None
        if len(found) == 1:
            return found[0]
        what = "annotations" if key != "predictions" else "predictions"
        self.report(
            "invalid_value",
            f"the task has {len(found)} {what} that are not cancelled ({ids}); which is the ground truth?",
            f"{ptr}/{key}",
            hint="--option annotation=first|last|ground_truth",
        )
        return None

    def _score(self, item: dict[str, Any], pointer: str) -> float | None:
        """A prediction's own ``score``: the confidence of its results that state none."""
        v = item.get("score")
        if v is None:
            return None
        if not is_num(v) or not math.isfinite(v):
            self.report("wrong_type", f"`score` must be a number, not {jtype(v)}", pointer, value=shown(v))
            return None
        return float(v)

    def _result_lines(self, raw: msgspec.Raw, key: str, index: int) -> list[int | None] | None:
        """The line each result of the chosen annotation starts on: the task is decoded once more
        into slices of the same buffer, and newlines are counted from the task's start."""
        try:
            chosen = getattr(msgspec.json.decode(raw, type=_RawTask), key)[index]
            results = msgspec.json.decode(chosen, type=_RawAnnotation).result
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, IndexError, TypeError):
            return None
        lines: list[int | None] = []
        line, offset = self.line or 1, self.task_at
        for r in results:
            at = _address(r)
            where = at - self.base if at is not None and self.base is not None else -1
            if where < offset or where > len(self.buf):
                return None
            line += self.buf.count(b"\n", offset, where)
            offset = where
            lines.append(line)
        return lines

    def _image(self, data: dict[str, Any], to_names: set[str], ptr: str) -> str | None:
        key = self.opts.image_key
        if key is None:
            if len(to_names) == 1 and next(iter(to_names)) in data:
                key = next(iter(to_names))
            elif "image" in data:
                key = "image"
            elif len(data) == 1:
                key = next(iter(data))
            else:
                self.report(
                    "missing_field",
                    f"cannot tell which of `data`'s keys ({', '.join(map(str, data))}) is the image",
                    f"{ptr}/data",
                    hint="--option image_key=<key>",
                )
                return None
        pointer = f"{ptr}/data/{esc(key)}"
        if key not in data:
            self.report("missing_field", f"`data` has no `{key}`", pointer, hint="--option image_key=<key>")
            return None
        value = data[key]
        if not isinstance(value, str):
            self.report(
                "wrong_type",
                f"`data.{key}` must be a string, not {jtype(value)}",
                pointer,
                value=shown(value),
            )
            return None
        name = image_path(value, self.opts.upload_names == "original")
        prefix = self.opts.path_prefix.strip("/")
        if prefix and (name == prefix or name.startswith(prefix + "/")):
            name = name[len(prefix) :].lstrip("/")
        if self.opts.match == "name":
            name = name.rsplit("/", 1)[-1]
        if not name:
            self.report("invalid_value", f"`data.{key}` names no file", pointer, value=shown(value))
            return None
        return name


class _RawAnnotation(msgspec.Struct):
    result: list[msgspec.Raw] = []


class _RawTask(msgspec.Struct):
    annotations: list[msgspec.Raw] = []
    predictions: list[msgspec.Raw] = []
    completions: list[msgspec.Raw] = []


def _label(item: dict[str, Any], pointer: str) -> str:
    """How an annotation or prediction is named in messages: its id (and model), else its pointer."""
    ident = item.get("id")
    text = f"id {ident}" if ident is not None else pointer
    model = item.get("model_version")
    return f"{text} ({model})" if isinstance(model, str) and model else text


def _address(buf: bytes | msgspec.Raw) -> int | None:
    """Where a buffer's bytes start in memory: a Raw slice's offset in its file, without a copy."""
    try:
        arr = np.frombuffer(memoryview(buf), dtype=np.uint8)
    except (TypeError, ValueError):  # pragma: no cover
        return None
    address: int = arr.__array_interface__["data"][0]
    return address


def image_path(value: str, strip_upload_prefix: bool = False) -> str:
    """The path a task's image URL names, as matched against the rows (see the module docstring)."""
    parsed = urllib.parse.urlsplit(value)
    scheme = parsed.scheme.lower()
    if parsed.path.rstrip("/").endswith("/data/local-files") or parsed.path.rstrip("/") == "data/local-files":
        found = urllib.parse.parse_qs(parsed.query, keep_blank_values=True).get("d")
        if found:
            return found[0].lstrip("/")
    path = urllib.parse.unquote(parsed.path) if scheme in ("http", "https") else parsed.path
    if scheme in ("", "http", "https"):
        upload = _UPLOAD.match(path)
        if upload:
            name = upload.group(1)
            if strip_upload_prefix:
                bare = _UPLOAD_PREFIX.match(name)
                return bare.group(1) if bare else name
            return name
    if scheme in _BUCKETS or scheme in ("http", "https"):
        return path.lstrip("/")
    if scheme == "file":
        return urllib.parse.unquote(parsed.path).lstrip("/")
    if len(scheme) == 1:  # a Windows drive letter, "C:\\..."
        return value.replace("\\", "/")
    return value if not scheme else path.lstrip("/")


class _Results:
    """One annotation's result list: regions grouped by id, then turned into canonical annotations."""

    def __init__(
        self, f: _File, pointer: str, lines: list[int | None] | None, score: float | None = None
    ) -> None:
        self.f, self.pointer, self.lines = f, pointer, lines
        self.score = score  # the prediction's score: the confidence of results without their own
        self.size: tuple[float, float] | None = None  # (width, height) the results state
        self._rid_now: str | None = None  # the region id issues name
        self._line_now: int | None = None  # the line of the result being read

    def _at(self, j: int, rid: str | None) -> None:
        self._rid_now = rid
        self._line_now = self.lines[j] if self.lines is not None and j < len(self.lines) else None

    def _report(
        self, code: str, message: str, pointer: str, value: Any = None, hint: str | None = None
    ) -> None:
        self.f.report(
            code, message, pointer, value=value, hint=hint, annotation_id=self._rid_now, line=self._line_now
        )

    def read(self, result: list[Any]) -> list[Annotation]:
        items: list[tuple[int, dict[str, Any], str]] = []
        shapes: dict[str, int] = {}  # region id -> index of its shape result
        for j, item in enumerate(result):
            p = f"{self.pointer}/{j}"
            self._at(j, None)
            if not isinstance(item, dict):
                self._report("wrong_type", f"a result must be an object, not {jtype(item)}", p)
                continue
            rtype, rid = item.get("type"), _rid(item)
            self._at(j, rid)
            if not isinstance(rtype, str):
                code = "missing_field" if rtype is None else "wrong_type"
                self._report(code, "a result needs `type` (a string)", f"{p}/type", shown(rtype))
                continue
            if rtype in _SHAPES and rid is not None:
                if rid in shapes:
                    self._report(
                        "invalid_value",
                        f"two shapes share the region id {rid!r}",
                        f"{p}/id",
                        rid,
                        "Give each region its own id.",
                    )
                    continue
                shapes[rid] = j
            items.append((j, item, p))
        # what belongs to a region: its Labels classes and per-region answers
        labels: dict[str, list[str]] = {}
        attributes: dict[str, dict[str, Any]] = {}
        for j, item, p in items:
            rtype, rid = item["type"], _rid(item)
            if rid is None or rid not in shapes or rtype in _SHAPES:
                continue
            self._at(j, rid)
            try:
                if rtype == "labels":
                    labels.setdefault(rid, []).extend(self._names(item, "labels", p))
                elif rtype in _CLASSIFY:
                    name = self._from_name(item, p)
                    answers = attributes.setdefault(rid, {})
                    if name in answers:
                        self._report(
                            "duplicate_answer", f"`{name}` is answered twice for region {rid!r}", p, name
                        )
                        continue
                    answers[name] = self._answer_value(item, rtype, p)
            except _Skip:
                continue
        out: list[Annotation] = []
        for j, item, p in items:
            rtype, rid = item["type"], _rid(item)
            self._at(j, rid)
            try:
                if rtype in _SHAPES:
                    out.extend(self._shape(item, p, labels.get(rid or ""), attributes.get(rid or "")))
                elif rid is not None and rid in shapes:
                    continue  # already attached to its region
                elif rtype in _CLASSIFY:
                    out.append(self._classification(item, rtype, p))
                elif rtype == "relation":
                    out.extend(self._relation(item, p))
                elif rtype == "labels":
                    text = isinstance(item.get("value"), dict) and "start" in item["value"]
                    self._report(
                        "unsupported_annotation",
                        "a text span (`labels` with start/end) cannot be imported into an image project"
                        if text
                        else "a `labels` result without a shape result of the same id",
                        p,
                        rtype,
                        None if text else "Give the region's shape result (Rectangle, Polygon, ...) too.",
                    )
                else:
                    self._report(
                        "unsupported_annotation",
                        f"result type `{rtype}` is not supported for images",
                        f"{p}/type",
                        rtype,
                        f"Supported: {_SUPPORTED}.",
                    )
            except _Skip:
                continue
        return out

    # --- fields -----------------------------------------------------------------------------

    def _bad(
        self, code: str, message: str, pointer: str, value: Any = None, hint: str | None = None
    ) -> _Skip:
        self._report(code, message, pointer, shown(value), hint)
        return _Skip()

    def _value(self, item: dict[str, Any], p: str) -> dict[str, Any]:
        value = item.get("value")
        if value is None:
            raise self._bad("missing_field", "a result needs `value`", f"{p}/value")
        if not isinstance(value, dict):
            raise self._bad(
                "wrong_type", f"`value` must be an object, not {jtype(value)}", f"{p}/value", value
            )
        return value

    def _num(self, value: dict[str, Any], key: str, p: str, default: float | None = None) -> float:
        v = value.get(key)
        if v is None:
            if default is not None:
                return default
            raise self._bad("missing_field", f"`value` needs `{key}`", f"{p}/value/{key}")
        if not is_num(v):
            raise self._bad("wrong_type", f"`{key}` must be a number, not {jtype(v)}", f"{p}/value/{key}", v)
        if not math.isfinite(v):  # pragma: no cover - JSON has no NaN
            raise self._bad("wrong_type", f"`{key}` must be finite", f"{p}/value/{key}", v)
        return v  # type: ignore[no-any-return]

    def _extra(
        self, item: dict[str, Any], p: str, attrs: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """A result's per-region answers and its confidence (its ``score``, else the prediction's)."""
        extra: dict[str, Any] = {"attributes": dict(attrs)} if attrs else {}
        score = item.get("score")
        if score is not None and (not is_num(score) or not math.isfinite(score)):
            raise self._bad(
                "wrong_type", f"`score` must be a number, not {jtype(score)}", f"{p}/score", score
            )
        confidence = float(score) if score is not None else self.score
        if confidence is not None:
            extra["confidence"] = confidence
        return extra or None

    def _from_name(self, item: dict[str, Any], p: str) -> str:
        name = item.get("from_name")
        if name is None:
            raise self._bad("missing_field", "a result needs `from_name`", f"{p}/from_name")
        if not isinstance(name, str) or not name:
            raise self._bad("wrong_type", "`from_name` must be a non-empty string", f"{p}/from_name", name)
        return name

    def _names(self, item: dict[str, Any], key: str, p: str) -> list[str]:
        value = self._value(item, p)
        names = value.get(key)
        pointer = f"{p}/value/{key}"
        if names is None:
            raise self._bad("missing_field", f"`value` needs `{key}`", pointer)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise self._bad("wrong_type", f"`{key}` must be an array of strings", pointer, names)
        if not names:
            raise self._bad(
                "invalid_value",
                f"`{key}` is empty: the region has no label",
                pointer,
                hint="Label the region.",
            )
        return names

    def _stated_size(self, item: dict[str, Any], p: str) -> tuple[float, float] | None:
        """The result's original_width/height: the first stated is the record's, another is refused."""
        rot = item.get("image_rotation")
        if rot is not None and (not is_num(rot) or rot % 360 != 0):
            raise self._bad(
                "invalid_value",
                f"the image was turned {rot} degrees in the editor; its coordinates are in the turned frame",
                f"{p}/image_rotation",
                rot,
                "Undo the image rotation in Label Studio and export again.",
            )
        w, h = item.get("original_width"), item.get("original_height")
        if w is None or h is None:
            return None
        for key, v in (("original_width", w), ("original_height", h)):
            if not is_num(v) or v <= 0:
                raise self._bad("wrong_type", f"`{key}` must be a positive number", f"{p}/{key}", v)
        size = (w, h)
        if self.size is None:
            self.size = size
        elif self.size != size:
            raise self._bad(
                "invalid_value",
                f"this result says the image is {w}x{h}, an earlier one {self.size[0]}x{self.size[1]}",
                f"{p}/original_width",
                [w, h],
            )
        return size

    # --- shapes -----------------------------------------------------------------------------

    def _shape(
        self, item: dict[str, Any], p: str, extra_labels: list[str] | None, attrs: dict[str, Any] | None
    ) -> list[Annotation]:
        rtype = item["type"]
        key, kind = _SHAPES[rtype]
        value = self._value(item, p)
        if key is not None and (key in value or not extra_labels):
            names = self._names(item, key, p)
        elif extra_labels:
            names = extra_labels
        else:
            names = [self._from_name(item, p)]  # an unlabelled tool: the class is the control
        size = self._stated_size(item, p)
        geometry, units = self._geometry(kind, value, size, p)
        extra = self._extra(item, p, attrs)
        rid = _rid(item)
        out = []
        for k, name in enumerate(dict.fromkeys(names)):
            uid = rid if rid is None or k == 0 else f"{rid}#{k + 1}"
            out.append(
                Annotation(
                    kind=kind,
                    uid=uid,
                    name=name,
                    geometry=geometry,
                    units=units,
                    extra=copy.deepcopy(extra),
                    pointer=p,
                    line=self._line_now,
                )
            )
        return out

    def _geometry(
        self, kind: str, v: dict[str, Any], size: tuple[float, float] | None, p: str
    ) -> tuple[Any, str | None]:
        units = None if size is not None else "percent"
        width, height = size if size is not None else (100, 100)

        def sx(a: float) -> float:
            return a * width / 100 if size is not None else a

        def sy(a: float) -> float:
            return a * height / 100 if size is not None else a

        if kind == "bbox":
            x, y = self._num(v, "x", p), self._num(v, "y", p)
            w, h = self._num(v, "width", p), self._num(v, "height", p)
            rot = self._num(v, "rotation", p, 0.0)
            if rot % 360 == 0:
                x0, w0 = (x + w, -w) if w < 0 else (x, w)
                y0, h0 = (y + h, -h) if h < 0 else (y, h)
                g = [sx(x0), sy(y0), sx(w0), sy(h0)]
                return ([*g, rot] if rot else g), units
            if size is None:
                raise self._bad(
                    "missing_field",
                    "a rotated rectangle needs `original_width` and `original_height` "
                    "(its turn about the top-left corner can only be moved to the centre in pixels)",
                    p,
                )
            return top_left_to_centre(sx(x), sy(y), sx(w), sy(h), rot), None
        if kind == "polygon":
            points = v.get("points")
            pointer = f"{p}/value/points"
            if points is None:
                raise self._bad("missing_field", "`value` needs `points`", pointer)
            if not isinstance(points, list):
                raise self._bad("wrong_type", "`points` must be an array of [x, y] pairs", pointer, points)
            ring: list[float] = []
            for i, pt in enumerate(points):
                ok = isinstance(pt, list) and len(pt) == 2 and all(is_num(c) for c in pt)
                if not ok:
                    raise self._bad(
                        "wrong_type", "a polygon point is [x, y] (two numbers)", f"{pointer}/{i}", pt
                    )
                ring.extend((sx(pt[0]), sy(pt[1])))
            return [ring], units
        if kind == "point":
            return [sx(self._num(v, "x", p)), sy(self._num(v, "y", p))], units
        if kind == "ellipse":
            cx, cy = self._num(v, "x", p), self._num(v, "y", p)
            rx, ry = self._num(v, "radiusX", p), self._num(v, "radiusY", p)
            rot = self._num(v, "rotation", p, 0.0)
            g = [sx(cx), sy(cy), sx(rx), sy(ry)]
            return ([*g, rot] if rot else g), units
        return self._mask(v, size, p), None

    def _mask(self, v: dict[str, Any], size: tuple[float, float] | None, p: str) -> dict[str, Any]:
        fmt = v.get("format", "rle")
        if fmt != "rle":
            raise self._bad(
                "unsupported_annotation",
                f"brush format {fmt!r} is not supported (only rle)",
                f"{p}/value/format",
                fmt,
            )
        rle = v.get("rle")
        if rle is None:
            raise self._bad("missing_field", "a brush needs `rle`", f"{p}/value/rle")
        if not isinstance(rle, list):
            raise self._bad("wrong_type", "`rle` must be an array of bytes", f"{p}/value/rle", rle)
        if size is None:
            raise self._bad(
                "missing_field",
                "a brush needs `original_width` and `original_height` (its rle holds no size)",
                p,
            )
        w, h = size
        if not (float(w).is_integer() and float(h).is_integer()):
            raise self._bad(
                "invalid_value", f"a brush image size must be whole pixels, not {w}x{h}", p, [w, h]
            )
        try:
            return masks.encode(masks.from_labelstudio_rle(rle, int(h), int(w)))
        except masks.MaskError as exc:
            raise self._bad(
                "mask_invalid", f"the brush rle cannot be decoded: {exc}", f"{p}/value/rle"
            ) from None

    # --- answers and relations ----------------------------------------------------------------

    def _answer_value(self, item: dict[str, Any], rtype: str, p: str) -> str | list[str]:
        """A choices/textarea result's answer as an attribute: one string, or a list of choices."""
        value = self._value(item, p)
        key = "choices" if rtype == "choices" else "text"
        got = value.get(key)
        pointer = f"{p}/value/{key}"
        if got is None:
            raise self._bad("missing_field", f"`value` needs `{key}`", pointer)
        if isinstance(got, str) and rtype == "textarea":
            got = [got]
        if not isinstance(got, list) or not all(isinstance(c, str) for c in got):
            raise self._bad("wrong_type", f"`{key}` must be an array of strings", pointer, got)
        if not got:
            raise self._bad("invalid_value", f"`{key}` is empty", pointer)
        if rtype == "textarea":
            return "\n".join(got)
        return got[0] if len(got) == 1 else got

    def _classification(self, item: dict[str, Any], rtype: str, p: str) -> Annotation:
        name = self._from_name(item, p)
        got = self._answer_value(item, rtype, p)
        key = "choices" if rtype == "choices" else "text"
        value: str | list[Choice] = (
            got
            if isinstance(got, str)
            else [Choice(name=c, pointer=f"{p}/value/{key}/{i}") for i, c in enumerate(got)]
        )
        return Annotation(
            kind="classification",
            uid=_rid(item),
            name=name,
            answer=Answer(name=name, value=value, loose=True, pointer=p),
            extra=self._extra(item, p),
            pointer=p,
            line=self._line_now,
        )

    def _relation(self, item: dict[str, Any], p: str) -> list[Annotation]:
        ends = []
        for key in ("from_id", "to_id"):
            v = item.get(key)
            if v is None:
                raise self._bad("missing_field", f"a relation needs `{key}`", f"{p}/{key}")
            if not isinstance(v, str | int) or isinstance(v, bool):
                raise self._bad("wrong_type", f"`{key}` must be a region id (a string)", f"{p}/{key}", v)
            ends.append(str(v))
        direction = item.get("direction", "right")
        if direction not in ("right", "left", "bi"):
            raise self._bad("invalid_value", "`direction` is right, left or bi", f"{p}/direction", direction)
        source, target = (ends[1], ends[0]) if direction == "left" else (ends[0], ends[1])
        extra = self._extra(item, p)
        rtype = "bidirectional" if direction == "bi" else "unidirectional"
        names = item.get("labels") or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise self._bad("wrong_type", "`labels` must be an array of strings", f"{p}/labels", names)
        return [
            Annotation(
                kind="relationship",
                name=name,
                geometry={"source": source, "target": target, "type": rtype},
                extra=copy.deepcopy(extra),
                pointer=p,
                line=self._line_now,
            )
            for name in (dict.fromkeys(names) or ["relation"])
        ]


def _rid(item: dict[str, Any]) -> str | None:
    v = item.get("id")
    if isinstance(v, str) and v:
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return None


def top_left_to_centre(x: float, y: float, w: float, h: float, rot: float) -> list[float]:
    """Label Studio's box (corner ``x, y``; ``w, h`` may be negative; turned ``rot`` degrees
    clockwise about that corner) as the canonical box turned about its centre."""
    t = math.radians(rot)
    c, s = math.cos(t), math.sin(t)
    cx = x + (w / 2) * c - (h / 2) * s
    cy = y + (w / 2) * s + (h / 2) * c
    aw, ah = abs(w), abs(h)
    return [cx - aw / 2, cy - ah / 2, aw, ah, rot]


def centre_to_top_left(x: float, y: float, w: float, h: float, rot: float) -> tuple[float, float]:
    """The reverse: the corner Label Studio turns the canonical box about."""
    t = math.radians(rot)
    c, s = math.cos(t), math.sin(t)
    cx, cy = x + w / 2, y + h / 2
    return cx - (w / 2) * c + (h / 2) * s, cy - (w / 2) * s - (h / 2) * c


# --------------------------------------------------------------------------------------------------
# writing


# another format's record of where an object came from, not a label: losing it is INFO (the
# export still succeeds); anything else kept beside an annotation is label content (an error)
_SUFFIX = re.compile(r"^(.+)#([0-9]+)$")


def write(rows: Iterable[ExportRow], out: Path, ctx: ExportContext) -> ExportSummary:
    """A JSON list of tasks, one per row (``out`` a new ``.json`` file); a folder target (new or
    empty) gets ``tasks.json`` and ``labeling_config.xml``. Anything already there is refused."""
    source = ctx.options.get("source", "annotations")
    if source not in _OPTIONS["source"]:
        raise InvalidInputError(
            f"option source={source!r} is not one of {', '.join(_OPTIONS['source'])}", code="invalid_value"
        )
    if out.suffix.lower() == ".json":
        target, config = prepare_output(out, kind="file"), None
    else:
        folder = prepare_output(out, kind="dir")
        target, config = folder / "tasks.json", folder / "labeling_config.xml"
    w = _Writer(ctx, predictions=source == "predictions")
    with target.open("xb") as fh:
        fh.write(b"[")
        first = True
        for row in rows:
            task = w.task(row)
            if task is None:
                continue
            fh.write(b"\n" if first else b",\n")
            fh.write(to_json(task))
            first = False
        fh.write(b"\n]\n" if not first else b"]\n")
    if config is not None:
        config.write_bytes(labeling_config(ctx))
    return w.summary


def _image_url(prefix: str, path: str) -> str:
    if "?" in prefix or prefix.startswith(("http://", "https://")):
        return prefix + urllib.parse.quote(path, safe="/")
    return prefix + path


def _regions(anns: list[Annotation]) -> list[list[Annotation]]:
    """The row's annotations as Label Studio regions: a region read with several labels (one
    annotation each: ``<id>``, ``<id>#2``, ...) is one region again while its parts still agree
    (kind, geometry, answers, fields); anything else is a region of its own."""
    by_uid = {a.uid: a for a in anns if a.uid is not None}

    def base(a: Annotation) -> tuple[Annotation, int] | None:
        m = _SUFFIX.match(a.uid or "")
        if m is None or int(m.group(2)) < 2:
            return None
        b = by_uid.get(m.group(1))
        return (b, int(m.group(2))) if b is not None and _same_region(b, a) else None

    parts: dict[int, list[tuple[int, Annotation]]] = {}
    for a in anns:
        found = base(a)
        if found is not None:
            parts.setdefault(id(found[0]), []).append((found[1], a))
    out: list[list[Annotation]] = []
    for a in anns:
        if base(a) is None:
            out.append([a, *(x for _, x in sorted(parts.get(id(a), []), key=lambda p: p[0]))])
    return out


def _same_region(a: Annotation, b: Annotation) -> bool:
    def fields(x: Annotation) -> dict[str, Any]:
        return {k: v for k, v in (x.extra or {}).items() if k not in ("tool", "attributes")}

    return (
        a.kind == b.kind
        and a.kind in _KIND_TYPE
        and a.geometry == b.geometry
        and (a.frame, a.track_id) == (b.frame, b.track_id)
        and fields(a) == fields(b)
        and flat_attributes(a)[0] == flat_attributes(b)[0]
    )


class _Writer:
    """One export: the ontology's tools, the summary, and whether results are predictions."""

    def __init__(self, ctx: ExportContext, *, predictions: bool) -> None:
        self.prefix = ctx.options.get("image_prefix", _DEFAULT_PREFIX)
        self.tools = {t.name: t for t in ctx.ontology.tools}
        self.predictions = predictions
        self.summary = ExportSummary()
        self.row: ExportRow | None = None

    def lost(self, what: str, ann: Annotation | None, severity: Severity | None = None) -> None:
        self.summary.not_expressible.append(cannot_carry(NAME, what, self.row, ann, severity=severity))

    def task(self, row: ExportRow) -> dict[str, Any] | None:
        self.row = row
        if row.media_type != "image":
            self.lost(f"a {row.media_type} row", None)
            return None
        self.summary.rows += 1
        w, h = row.metadata.get("width"), row.metadata.get("height")
        size: tuple[float, float] | None = None
        if isinstance(w, int | float) and isinstance(h, int | float) and w > 0 and h > 0:
            size = (w, h)
        result: list[dict[str, Any]] = []
        scores: list[float | None] = []
        for region in _regions(row.annotations):
            for ann in region:
                self._fields(ann)
            items = self._region(region, size)
            if items:
                result.extend(items)
                self.summary.annotations += len(region)
                scores.extend(self._score(a) for a in region)
        data = {"image": _image_url(self.prefix, row_path(row))}
        if not self.predictions:
            return {
                "data": data,
                "annotations": [{"result": result, "was_cancelled": False, "ground_truth": False}],
                "predictions": [],
            }
        prediction: dict[str, Any] = {"result": result}
        if scores and scores[0] is not None and all(s == scores[0] for s in scores):
            prediction["score"] = scores[0]  # read back as the score of results without their own
        return {"data": data, "annotations": [], "predictions": [prediction]}

    def _score(self, ann: Annotation) -> float | None:
        v = (ann.extra or {}).get("confidence")
        return plain(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

    def _fields(self, ann: Annotation) -> None:
        """Report what of an annotation's own fields Label Studio has no place for."""
        if ann.track_id is not None or ann.frame is not None:
            self.lost("tracks or frames", ann)
        extra = ann.extra or {}
        for key in sorted(extra.keys() - {"attributes", "tool"}):
            what = f"the field `{key}` of {ann.kind} `{ann.name}`"
            if key == "confidence":
                if not is_num(extra[key]):
                    self.lost(f"the confidence {extra[key]!r} of {ann.kind} `{ann.name}` (not a number)", ann)
                    continue
                if self.predictions:
                    continue  # written as the result's score
                what += " (--option source=predictions writes it as the score)"
            self.lost(what, ann, bookkeeping(key, extra[key]))

    def _region(self, region: list[Annotation], size: tuple[float, float] | None) -> list[dict[str, Any]]:
        ann = region[0]
        if ann.answer is not None:
            return self._classification(ann)
        if ann.kind == "relationship":
            return [self._scored(self._relation(ann), ann)]
        rtype = _KIND_TYPE.get(ann.kind)
        if rtype is None or (ann.kind == "polygon" and len(ann.geometry) != 1):
            what = "a polygon with several rings" if rtype else f"a {ann.kind}"
            self.lost(f"{what} (`{ann.name}`)", ann)
            return []
        if size is None:
            self.lost(f"a {ann.kind} on a row without width/height", ann)
            return []
        value = _value_out(ann, size)
        if value is None:
            self.lost(f"a {ann.kind} (`{ann.name}`) whose mask does not fit the image", ann)
            return []
        value[rtype] = [a.name for a in region]
        w, h = size
        base = {"original_width": plain(w), "original_height": plain(h), "image_rotation": 0}
        shape = {
            "id": ann.uid,
            "type": rtype,
            "from_name": rtype,
            "to_name": _TO_NAME,
            **base,
            "value": value,
        }
        out = [self._scored(shape, ann)]
        where = {k: v for k, v in value.items() if k not in (rtype, "rle", "format")}
        attrs, _ = flat_attributes(ann)
        for a in region:
            for name in flat_attributes(a)[1]:
                self.lost(f"answers nested under `{name}` of `{a.name}`", a)
        tools = [self.tools[a.name] for a in region if a.name in self.tools]
        for name, v in attrs.items():
            cls = next((c for t in tools for c in t.classifications if c.name == name), None)
            kind = _answer_kind(cls, v)
            if not all(isinstance(x, str) for x in ([v] if kind == "textarea" else _as_list(v))):
                self.lost(
                    f"the {jtype(v)} type of the attribute `{name}` of `{ann.name}` (written as text)", ann
                )
            elif cls is None and kind == "textarea":
                self.lost(
                    f"the control of the attribute `{name}` of `{ann.name}`, which no classification "
                    "of the ontology defines (written as a per-region textarea)",
                    ann,
                    Severity.INFO,
                )
            payload = (
                {"text": _texts(v)} if kind == "textarea" else {"choices": [_text(c) for c in _as_list(v)]}
            )
            item = {"id": ann.uid, "type": kind, "from_name": name, "to_name": _TO_NAME, **base}
            out.append(self._scored({**item, "value": {**where, **payload}}, ann))
        return out

    def _scored(self, item: dict[str, Any], ann: Annotation) -> dict[str, Any]:
        score = self._score(ann) if self.predictions else None
        return {**item, "score": score} if score is not None else item

    def _relation(self, ann: Annotation) -> dict[str, Any]:
        g = ann.geometry
        both = g.get("type") == "bidirectional"
        if flat_attributes(ann)[0]:
            self.lost(f"the answers of the relationship `{ann.name}`", ann)
        return {
            "type": "relation",
            "from_id": g["source"],
            "to_id": g["target"],
            "direction": "bi" if both else "right",
            "labels": [ann.name],
        }

    def _classification(self, ann: Annotation) -> list[dict[str, Any]]:
        a = ann.answer
        assert a is not None
        v = a.value
        name = a.name or ann.name
        kept = (ann.extra or {}).get("attributes")
        if kept:
            names = ", ".join(f"`{k}`" for k in kept)
            self.lost(
                f"the attributes {names} of the answer to `{name}` (a Label Studio answer has none)", ann
            )
        item: dict[str, Any] = {"id": ann.uid, "from_name": name, "to_name": _TO_NAME}
        if isinstance(v, str):
            return [self._scored({**item, "type": "textarea", "value": {"text": _texts(v)}}, ann)]
        chosen = v if isinstance(v, list) else [v] if v is not None else []
        if any(c.classifications or c.frames for c in chosen):
            self.lost(f"answers nested under an option of `{name}`", ann)
        if not chosen:
            self.lost(f"the empty answer to `{name}`", ann)
            return []
        return [
            self._scored({**item, "type": "choices", "value": {"choices": [c.name for c in chosen]}}, ann)
        ]


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _text(v: Any) -> str:
    return attribute_text(v) if not isinstance(v, list) else "\n".join(attribute_text(x) for x in v)


def _texts(v: Any) -> list[str]:
    """A text as Label Studio's list of texts: one per line, as the reader joins them with newlines."""
    return _text(v).split("\n")


def _answer_kind(cls: Classification | None, v: Any) -> str:
    if cls is not None:
        return "textarea" if cls.type is ClassificationType.TEXT else "choices"
    return "choices" if isinstance(v, list) else "textarea"


def _value_out(ann: Annotation, size: tuple[float, float]) -> dict[str, Any] | None:
    """The shape's ``value`` in percent of the row's size (multiplied before divided, never rounded)."""
    w, h = size
    g = ann.geometry

    def px(v: float) -> float | int:
        return plain(v * 100 / w)

    def py(v: float) -> float | int:
        return plain(v * 100 / h)

    if ann.kind == "bbox":
        rot = g[4] if len(g) > 4 else 0
        x, y = (g[0], g[1]) if rot % 360 == 0 else centre_to_top_left(g[0], g[1], g[2], g[3], rot)
        return {"x": px(x), "y": py(y), "width": px(g[2]), "height": py(g[3]), "rotation": plain(rot)}
    if ann.kind == "polygon":
        ring = g[0]
        return {
            "points": [[px(ring[i]), py(ring[i + 1])] for i in range(0, len(ring) - 1, 2)],
            "closed": True,
        }
    if ann.kind == "point":
        return {"x": px(g[0]), "y": py(g[1])}
    if ann.kind == "ellipse":
        rot = g[4] if len(g) > 4 else 0
        return {
            "x": px(g[0]),
            "y": py(g[1]),
            "radiusX": px(g[2]),
            "radiusY": py(g[3]),
            "rotation": plain(rot),
        }
    try:
        mask = masks.decode(g)
    except (masks.MaskError, TypeError):
        return None
    if mask.shape != (h, w):
        return None
    return {"format": "rle", "rle": masks.to_labelstudio_rle(mask)}


def labeling_config(ctx: ExportContext) -> bytes:
    """A Label Studio labeling config for the ontology: one control per shape kind (named as its
    result type), Relations for edge tools, Choices/TextArea for classifications (per region for
    a tool's own, shown when a region with that tool's label is selected)."""
    view = ET.Element("View")
    ET.SubElement(view, "Image", name=_TO_NAME, value=f"${_TO_NAME}")
    regional: dict[str, tuple[Classification, list[str]]] = {}
    for tag, name, kinds in _TAGS:
        found = tools_of(ctx, kinds)
        if not found:
            continue
        control = ET.SubElement(view, tag, name=name, toName=_TO_NAME)
        for t in found:
            attrs = {"value": t.name}
            if t.color:
                attrs["background"] = t.color
            ET.SubElement(control, "Label", attrs)
            for c in t.classifications:
                regional.setdefault(c.name, (c, []))[1].append(t.name)
    edges = tools_of(ctx, [ToolKind.EDGE])
    if edges:
        rel = ET.SubElement(view, "Relations")
        for t in edges:
            ET.SubElement(rel, "Relation", value=t.name)
    for c, owners in regional.values():
        extra = {"perRegion": "true", "visibleWhen": "region-selected"}
        if len(owners) == 1:
            extra["whenLabelValue"] = owners[0]
        _control(view, c, extra)
    for c in ctx.ontology.classifications:
        _control(view, c, {})
    ET.indent(view)
    return bytes(ET.tostring(view, encoding="utf-8", xml_declaration=False)) + b"\n"


def _control(view: ET.Element, c: Classification, extra: dict[str, str]) -> None:
    if c.type is ClassificationType.TEXT:
        ET.SubElement(view, "TextArea", {"name": c.name, "toName": _TO_NAME, **extra})
        return
    choice = "multiple" if c.type is ClassificationType.CHECKLIST else "single-radio"
    el = ET.SubElement(view, "Choices", {"name": c.name, "toName": _TO_NAME, "choice": choice, **extra})
    if c.required:
        el.set("required", "true")
    for o in c.options:
        ET.SubElement(el, "Choice", value=o.value)


# --------------------------------------------------------------------------------------------------
# detection


def detect(payload: Path) -> Detection:
    if payload.is_dir():
        files = [p for p, _ in _payload_files(payload)]
        if not files:
            return Detection(0.0, ["a folder without .json files at its top level"])
        results = [(p.name, _detect_file(p)) for p in files[:3]]
        if all(r.confidence >= 0.5 for _, r in results):
            conf = round(min(r.confidence for _, r in results) - 0.05, 2)
            return Detection(conf, [f"{n}: {'; '.join(r.reasons)}" for n, r in results])
        return Detection(0.0, [f"{n}: {'; '.join(r.reasons)}" for n, r in results if r.confidence < 0.5])
    return _detect_file(payload)


def _detect_file(path: Path) -> Detection:
    if path.suffix.lower() != ".json":
        return Detection(0.0, [f"{path.name} is not a .json file"])
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(_DETECT_FULL if size <= _DETECT_FULL else _DETECT_HEAD)
    except OSError as exc:
        return Detection(0.0, [f"cannot read: {exc.strerror}"])
    head = head.removeprefix(b"\xef\xbb\xbf")
    text = head.lstrip()
    if not text:
        return Detection(0.0, ["the file is empty"])
    if size > _DETECT_FULL:
        return _detect_head(text)
    try:
        if text[:1] == b"{":
            return _detect_task(msgspec.json.decode(text), "the JSON object", single=True)
        raws = msgspec.json.decode(text, type=list[msgspec.Raw])
        if not raws:
            return Detection(0.0, ["an empty JSON list: no task to recognise"])
        first = [msgspec.json.decode(r) for r in raws[:_DETECT_TASKS]]
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
        return Detection(0.0, ["not a JSON list of objects or a JSON object"])
    return _detect_tasks(first, len(raws))


def _detect_tasks(tasks: list[Any], total: int) -> Detection:
    """The first few tasks: each must be a task (an object with `data`); the first that is
    labelled (has `annotations`/`predictions`) decides, since an unlabelled task may come first."""
    for i, task in enumerate(tasks):
        what = "the first task" if i == 0 else f"task {i + 1}"
        if not isinstance(task, dict) or "data" not in task or not isinstance(task["data"], dict):
            return _detect_task(task, what, single=False)
        if any(isinstance(task.get(k), list) for k in _LISTS):
            found = _detect_task(task, what, single=False)
            if i:
                found.reasons.insert(0, f"the first {i} task{'s' if i > 1 else ''} have `data` only")
            return found
    n = len(tasks)
    more = f" (of {total})" if total > n else ""
    return Detection(0.0, [f"the first {n} tasks{more} have `data` but no `annotations`/`predictions` list"])


def _detect_task(task: Any, what: str, *, single: bool) -> Detection:
    if not isinstance(task, dict):
        return Detection(0.0, [f"{what} is not an object"])
    if "data" not in task:
        if any(k in task for k in ("annotation_id", "annotator")):
            return Detection(
                0.0,
                [f"{what} has no `data` but `annotation_id`/`annotator`: a JSON-MIN export (not read)"],
            )
        keys = ", ".join(sorted(task)[:8])
        return Detection(0.0, [f"{what} has no `data` object (keys: {keys})"])
    lists = [k for k in _LISTS if isinstance(task.get(k), list)]
    if not isinstance(task["data"], dict) or not lists:
        return Detection(0.0, [f"{what} has `data` but no `annotations`/`predictions` list"])
    reasons = [f"{what} has a `data` object and {' and '.join(f'`{k}`' for k in lists)}"]
    results = [
        r
        for k in lists
        for a in task[k]
        if isinstance(a, dict) and isinstance(a.get("result"), list)
        for r in a["result"]
    ]
    if any(isinstance(r, dict) and {"type", "from_name", "to_name"} <= r.keys() for r in results):
        reasons.append("its results have `type`, `from_name` and `to_name`")
        return Detection(0.95 if not single else 0.9, reasons)
    return Detection(0.85 if not single else 0.8, reasons)


def _detect_head(text: bytes) -> Detection:
    """A big file: only its first bytes are looked at."""
    if text[:1] != b"[":
        return Detection(0.0, ["a large file that does not start with a JSON list"])
    has_data = re.search(rb'"data"\s*:\s*\{', text) is not None
    has_list = re.search(rb'"(annotations|predictions|completions)"\s*:\s*\[', text) is not None
    if has_data and has_list:
        reasons = ["the file's first 64 KiB show tasks with `data` and `annotations`/`predictions`"]
        if re.search(rb'"from_name"\s*:', text) and re.search(rb'"to_name"\s*:', text):
            reasons.append("and results with `from_name`/`to_name`")
            return Detection(0.9, reasons)
        return Detection(0.8, reasons)
    return Detection(0.0, ["the file's first 64 KiB show no task with `data` and `annotations`"])


SPEC = FormatSpec(
    name=NAME,
    title="Label Studio JSON",
    carries="rectangles (rotated too), polygons, keypoints, ellipses, brush masks, relations, "
    "choices/textarea (per image and per region); percent coordinates",
    read=read,
    write=write,
    detect=detect,
    options={
        "source": "read `annotations` (default) or the models' `predictions`; on export, write the labels "
        "as annotations (default) or as predictions (confidence as score)",
        "annotation": "which of a task's non-cancelled annotations: only (default: several is an error), "
        "first, last, ground_truth",
        "image_key": "the `data` key holding the image (default: the results' to_name, else `image`)",
        "path_prefix": "a leading folder of the image paths that the dataset's paths lack; removed",
        "match": "match rows by the image's `path` (default) or by its file `name` alone",
        "upload_names": "for /data/upload/ images: the `stored` name (default) or the `original` one "
        "without Label Studio's 8-hex prefix",
        "image_prefix": "export: put before each row's path in data.image (default /data/local-files/?d=)",
    },
)
