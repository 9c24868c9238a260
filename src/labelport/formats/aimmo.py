"""AIMMO GT JSON: one JSON object per resource file, in a tree that mirrors the resources.

Layout on disk (the GT tree mirrors the uploaded resource tree; ``parent_path`` + ``filename`` is
the join key, the path on disk is only checked)::

    gt/
    ├── 0000/
    │   └── 3576612_0_2023-04-03_17-10-44_1683133844/
    │       ├── 1020312_..._0001584.jpg.json     <filename>.json
    │       └── 1020312_..._0001585.json         or <stem of filename>.json
    └── batch_5/20220624/daytime/image (28).jpeg.json

One file::

    {"annotations": [{"id": "26-<uuid>", "type": "poly_seg", "label": "Road",
                      "attributes": {"occluded": "no"}, "points": [[x, y], ...],
                      "track_id": 7, "frame_number": 3}],
     "attributes": {"weather": "sunny"}, "label": "day",
     "file_id": "6465703408f21776587bbdac", "scene_id": "...", "frame_number": 3,
     "filename": "a.jpg", "parent_path": "/0000/scene",
     "metadata": {"height": 1080, "width": 1920},
     "last_modifier_id": "...", "last_workers": {"labeling": "...", "inspection": null,
                                                 "final inspection": null},
     "tags": ["car"], "parent_tags": ["Primary task"], "overwrite": false}

Mapping to the canonical records (``labelport.model.records``)::

    AIMMO                                  canonical Annotation
    box       [[x1, y1], [x2, y2]] or 4    bbox       [min_x, min_y, w, h]
              axis-aligned corners
    polygon   [[x, y], ...]                polygon    [[x0, y0, x1, y1, ...]]  (one ring)
    poly_seg  [[x, y], ...]                polygon    same, extra {"aimmo_type": "poly_seg"}
    polyline  [[x, y], ...]                line       [x0, y0, x1, y1, ...]
    keypoint  [[x, y]] or [x, y]           point      [x, y]
    keypoint  [[x, y], [x, y], ...]        keypoints  [x0, y0, 2, x1, y1, 2, ...]
    cuboid    7 numbers or {cx, cy, cz,    cuboid     [cx, cy, cz, length, width, height, yaw]
              length, width, height, yaw}
    classification (label, attributes)     classification, name None, answer = the label
                                           (a Choice carrying the attributes when there are any)
    annotation attributes {name: value}    nested loose Answers (str, or list of Choice)
    file attributes {name: value}          classification, name <name>, no uid (validation derives
                                           one from the row, the name and the frame: stable on re-import)
    file label                             classification, name None, no uid
    envelope (last_modifier_id, ...)       Record.fields (LabelFields); metadata, parent_tags,
                                           frame_number, scene_id kept in fields.extra

Scenes (sequence images, point clouds). The data row is the scene: a folder of frames. A frame's
GT file names the scene's folder as ``parent_path`` and the frame as ``filename``, mirrored on disk
as ``<scene folder>/<frame>.json``; ``scene_id`` may name the scene instead (its id, external id
or global key), and must agree with the folder when both find a scene. Validation puts every
annotation of the file on the frame = the 1-based position of ``filename`` in the scene's frames
(natural order: ``2.jpg`` before ``10.jpg``); ``frame_number`` is 1-based too, and one that
disagrees is warned about (the file name decides). File attributes and ``classification`` entries
of a frame file hold for that frame. ``track_id`` joins an object across frames: unique within a
frame, one class per track. Export writes one file per frame of the scene, empty frames included,
with ``scene_id`` (the row's id) and ``frame_number``; point-cloud frames write ``metadata: {}``,
image frames their own size. A cuboid's ``points`` are metres in the cloud's frame.

Video. The data row is the video file (``parent_path`` + ``filename``, ``metadata: {"fps": ...}``).
Each annotation is one keyframe: ``frame_number`` is the 1-based decoded frame (1 to the probed
frame count) and ``track_id`` the object it belongs to (one class per track, once per frame).

Numbers are kept exactly as parsed (ints stay ints); bounds, finiteness and degenerate shapes are
checked by validation, which knows the row's real size.

AIMMO cannot carry: masks, text entities, relationships, polygons with holes or several rings,
keypoint visibility other than "visible", and answers nested more than one level (an attribute
option with attributes of its own). The writer reports each of these in
``ExportSummary.not_expressible`` instead of dropping it silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import msgspec
import orjson

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
    detect_json_tree,
    esc,
    is_num,
    jtype,
    read_json,
    shown,
    sniff_json_object,
    to_json,
    walk,
)
from labelport.model.issues import Location
from labelport.model.records import Annotation, Answer, Choice, LabelFields, Record, RowRef

# --------------------------------------------------------------------------------------------------
# shared vocabulary

_ID_RE = re.compile(
    r"[0-9]+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE | re.ASCII
)
_STAGES = ("labeling", "inspection", "final inspection")
_SCENE_MEDIA = frozenset({"image_sequence", "point_cloud"})
_TOP_KEYS = frozenset(
    {
        "annotations",
        "attributes",
        "label",
        "file_id",
        "scene_id",
        "frame_number",
        "filename",
        "parent_path",
        "metadata",
        "last_modifier_id",
        "last_workers",
        "tags",
        "parent_tags",
        "overwrite",
    }
)
_ANN_KEYS = frozenset({"id", "type", "label", "attributes", "points", "track_id", "frame_number"})
_CUBOID_KEYS = ("cx", "cy", "cz", "length", "width", "height", "yaw")
_OBJECT_TYPES = frozenset({"box", "polygon", "poly_seg", "polyline", "keypoint", "cuboid"})
_CLASSIFICATION_KINDS = frozenset({"classification", "radio", "checklist", "text"})
_TOOL_TO_TYPE = {
    "rectangle": "box",
    "polygon": "polygon",
    "poly_seg": "poly_seg",
    "line": "polyline",
    "point": "keypoint",
    "skeleton": "keypoint",
    "cuboid": "cuboid",
}
_KIND_TO_TYPE = {
    "bbox": "box",
    "polygon": "polygon",
    "line": "polyline",
    "point": "keypoint",
    "keypoints": "keypoint",
    "cuboid": "cuboid",
}
_TYPE_KINDS: dict[str, tuple[str, ...]] = {
    "box": ("bbox",),
    "polygon": ("polygon",),
    "poly_seg": ("polygon",),
    "polyline": ("line",),
    "keypoint": ("point", "keypoints"),
    "cuboid": ("cuboid",),
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------------
# read


class _File:
    """One GT file being read: where issues go and what their locations share."""

    def __init__(self, sink: IssueSink, file: str) -> None:
        self.sink = sink
        self.file = file
        self.data_row: str | None = None
        self.fatal = False

    def report(
        self,
        code: str,
        message: str,
        pointer: str | None,
        *,
        annotation_id: str | None = None,
        value: Any = None,
        hint: str | None = None,
        line: int | None = None,
    ) -> None:
        loc = Location(
            file=self.file, line=line, pointer=pointer, annotation_id=annotation_id, data_row=self.data_row
        )
        self.sink(issue(code, message, loc, value=value, hint=hint))


def read(payload: Path, sink: IssueSink, options: Mapping[str, str] | None = None) -> Iterator[Record]:
    """Stream one Record per GT file of a folder (recursively) or of a single ``.json`` file."""
    if payload.is_dir():
        for path in walk(payload, ".json", ignore_case=False):
            rel = path.relative_to(payload).as_posix()
            record = _read_file(path, _File(sink, rel), mirror=rel)
            if record is not None:
                yield record
    elif payload.is_file():
        record = _read_file(payload, _File(sink, payload.name), mirror=None)
        if record is not None:
            yield record
    else:
        sink(
            issue(
                "unreadable_payload",
                f"{payload} is neither a file nor a folder",
                Location(file=str(payload)),
                hint="Check the path.",
            )
        )


def _read_file(path: Path, f: _File, mirror: str | None) -> Record | None:
    doc, problem = read_json(path)
    if problem is not None:
        f.report(problem.code, problem.message, None, line=problem.line, hint=problem.hint)
        return None
    if not isinstance(doc, dict):
        f.report("wrong_type", f"the file must hold one JSON object, not {jtype(doc)}", "", value=shown(doc))
        return None
    return _record(doc, f, mirror)


def _required_str(doc: dict[str, Any], key: str, f: _File) -> str | None:
    if key not in doc:
        f.report(
            "missing_field",
            f"`{key}` is required",
            f"/{key}",
            hint="Both `parent_path` and `filename` must be written.",
        )
        f.fatal = True
        return None
    value = doc[key]
    if not isinstance(value, str):
        f.report("wrong_type", f"`{key}` must be a string, not {jtype(value)}", f"/{key}", value=shown(value))
        f.fatal = True
        return None
    return value


def _optional(doc: dict[str, Any], key: str, f: _File, kind: type, what: str) -> Any:
    """An optional field: absent or null mean "not given"; a wrong type is reported and dropped."""
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        f.report("wrong_type", f"`{key}` must be {what}, not {jtype(value)}", f"/{key}", value=shown(value))
        return None
    return value


def _str_list(value: Any, pointer: str, key: str, f: _File) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        f.report(
            "wrong_type",
            f"`{key}` must be an array of strings, not {jtype(value)}",
            pointer,
            value=shown(value),
        )
        return None
    out: list[str] = []
    for j, item in enumerate(value):
        if isinstance(item, str):
            out.append(item)
        else:
            f.report(
                "wrong_type",
                f"`{key}` items must be strings, not {jtype(item)}",
                f"{pointer}/{j}",
                value=shown(item),
            )
    return out


def _record(doc: dict[str, Any], f: _File, mirror: str | None) -> Record | None:
    """Check the envelope, then the annotations; every problem is reported before giving up."""
    filename = _required_str(doc, "filename", f)
    parent_path = _required_str(doc, "parent_path", f)
    if filename == "":
        f.report("wrong_type", "`filename` must not be empty", "/filename", value="")
        f.fatal = True
    if filename is not None and parent_path is not None and not f.fatal:
        f.data_row = str(RowRef(parent_path=parent_path, filename=filename))

    annotations_raw = doc.get("annotations")
    if "annotations" not in doc:
        f.report(
            "missing_field", "`annotations` is required (an empty array when there are none)", "/annotations"
        )
        f.fatal = True
    elif not isinstance(annotations_raw, list):
        f.report(
            "wrong_type",
            f"`annotations` must be an array, not {jtype(annotations_raw)}",
            "/annotations",
            value=shown(annotations_raw),
        )
        f.fatal = True

    for key in doc:
        if key not in _TOP_KEYS:
            f.report("unknown_field", f"unknown field `{key}` is ignored", f"/{esc(key)}")

    file_id = _optional(doc, "file_id", f, str, "a string")
    scene_id = _optional(doc, "scene_id", f, str, "a string")
    frame_number = _optional(doc, "frame_number", f, int, "an integer")
    metadata = _optional(doc, "metadata", f, dict, "an object")
    label = _optional(doc, "label", f, str, "a string")
    overwrite = _optional(doc, "overwrite", f, bool, "true or false")
    last_modifier = _optional(doc, "last_modifier_id", f, str, "a string or null")
    last_workers = _last_workers(doc.get("last_workers"), f)
    tags = _str_list(doc.get("tags"), "/tags", "tags", f)
    parent_tags = _str_list(doc.get("parent_tags"), "/parent_tags", "parent_tags", f)

    annotations: list[Annotation] = []
    if isinstance(annotations_raw, list):
        for i, raw in enumerate(annotations_raw):
            ann = _annotation(raw, f"/annotations/{i}", f)
            if ann is not None:
                annotations.append(ann)
    attributes = _optional(doc, "attributes", f, dict, "an object")
    if attributes:
        for name, value in attributes.items():
            pointer = f"/attributes/{esc(name)}"
            answer = _answer(name, value, pointer, f, None)
            if answer is not None:
                annotations.append(
                    Annotation(kind="classification", name=name, answer=answer, pointer=pointer)
                )
    if label is not None:
        annotations.append(
            Annotation(
                kind="classification",
                name=None,
                answer=Answer(value=label, loose=True, pointer="/label"),
                pointer="/label",
            )
        )

    if f.fatal or filename is None or parent_path is None:
        return None
    if mirror is not None:
        _check_mirror(mirror, parent_path, filename, f)

    extra: dict[str, Any] = {}
    if metadata is not None:
        extra["metadata"] = metadata
    if parent_tags is not None:
        extra["parent_tags"] = parent_tags
    if frame_number is not None:
        extra["frame_number"] = frame_number
    if scene_id is not None:
        extra["scene_id"] = scene_id
    fields = LabelFields(
        last_modifier=last_modifier,
        last_workers=last_workers,
        tags=tags,
        overwrite=bool(overwrite),
        extra=extra or None,
    )
    ref = RowRef(parent_path=parent_path, filename=filename, file_id=file_id, scene_id=scene_id)
    return Record(
        row=ref,
        annotations=annotations,
        location=Location(file=f.file, data_row=f.data_row),
        fields=fields,
        lines=1,
    )


def _last_workers(value: Any, f: _File) -> dict[str, str | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        f.report(
            "wrong_type",
            f"`last_workers` must be an object, not {jtype(value)}",
            "/last_workers",
            value=shown(value),
        )
        return None
    out: dict[str, str | None] = {}
    for stage, worker in value.items():
        pointer = f"/last_workers/{esc(stage)}"
        if stage not in _STAGES:
            f.report(
                "unknown_field",
                f"unknown stage `{stage}` is ignored",
                pointer,
                hint="Stages are " + ", ".join(f"`{s}`" for s in _STAGES) + ".",
            )
        elif worker is None or isinstance(worker, str):
            out[stage] = worker
        else:
            f.report(
                "wrong_type",
                f"the worker of `{stage}` must be a string or null, not {jtype(worker)}",
                pointer,
                value=shown(worker),
            )
    return out


def _check_mirror(rel: str, parent_path: str, filename: str, f: _File) -> None:
    """The GT tree should mirror the resources; the fields decide the row, so this only warns."""
    folder = parent_path.strip("/")
    prefix = f"{folder}/" if folder else ""
    wanted = [f"{prefix}{filename}.json"]
    stem = PurePosixPath(filename).stem
    if stem and stem != filename:
        wanted.append(f"{prefix}{stem}.json")
    if rel not in wanted:
        f.report(
            "path_mismatch",
            f"the file is at `{rel}` but its fields say `{wanted[0]}`"
            + (f" (or `{wanted[1]}`)" if len(wanted) > 1 else ""),
            None,
            value=rel,
            hint="The row is found from `parent_path` and `filename`; move the file to mirror them.",
        )


def _answer(name: str, value: Any, pointer: str, f: _File, annotation_id: str | None) -> Answer | None:
    """An attribute value: a string (one option or a text) or a list of option strings."""
    if isinstance(value, str):
        return Answer(name=name, value=value, loose=True, pointer=pointer)
    if isinstance(value, list):
        choices: list[Choice] = []
        ok = True
        for j, item in enumerate(value):
            if isinstance(item, str):
                choices.append(Choice(name=item, pointer=f"{pointer}/{j}"))
            else:
                f.report(
                    "wrong_type",
                    f"values of attribute `{name}` must be strings, not {jtype(item)}",
                    f"{pointer}/{j}",
                    annotation_id=annotation_id,
                    value=shown(item),
                )
                ok = False
        return Answer(name=name, value=choices, loose=True, pointer=pointer) if ok else None
    f.report(
        "wrong_type",
        f"attribute `{name}` must be a string or an array of strings, not {jtype(value)}",
        pointer,
        annotation_id=annotation_id,
        value=shown(value),
    )
    return None


def _answers(raw: Any, pointer: str, f: _File, annotation_id: str | None) -> list[Answer]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        f.report(
            "wrong_type",
            f"`attributes` must be an object, not {jtype(raw)}",
            pointer,
            annotation_id=annotation_id,
            value=shown(raw),
        )
        return []
    out: list[Answer] = []
    for name, value in raw.items():
        answer = _answer(name, value, f"{pointer}/{esc(name)}", f, annotation_id)
        if answer is not None:
            out.append(answer)
    return out


def _annotation(raw: Any, pointer: str, f: _File) -> Annotation | None:
    """One entry of ``annotations``; None (after reporting) when it cannot be used at all."""
    if not isinstance(raw, dict):
        f.report(
            "wrong_type", f"an annotation must be an object, not {jtype(raw)}", pointer, value=shown(raw)
        )
        return None
    uid: str | None = None
    if "id" not in raw:
        f.report(
            "missing_field",
            "the annotation has no `id`",
            f"{pointer}/id",
            hint="Give `<number>-<uuid>`, e.g. `26-abd21cb9-cb89-4cf4-8de6-b0a6421024b3`.",
        )
    elif not isinstance(raw["id"], str):
        f.report(
            "wrong_type",
            f"`id` must be a string, not {jtype(raw['id'])}",
            f"{pointer}/id",
            value=shown(raw["id"]),
        )
    else:
        uid = raw["id"]
        if not _ID_RE.fullmatch(uid):
            f.report(
                "bad_annotation_id",
                f"annotation id `{uid}` is not `<number>-<uuid>`",
                f"{pointer}/id",
                annotation_id=uid,
                value=shown(uid),
                hint="e.g. `26-abd21cb9-cb89-4cf4-8de6-b0a6421024b3`.",
            )
    for key in raw:
        if key not in _ANN_KEYS:
            f.report(
                "unknown_field",
                f"unknown annotation field `{key}` is ignored",
                f"{pointer}/{esc(key)}",
                annotation_id=uid,
            )

    kind = raw.get("type")
    if "type" not in raw:
        f.report("missing_field", "the annotation has no `type`", f"{pointer}/type", annotation_id=uid)
        return None
    if not isinstance(kind, str):
        f.report(
            "wrong_type",
            f"`type` must be a string, not {jtype(kind)}",
            f"{pointer}/type",
            annotation_id=uid,
            value=shown(kind),
        )
        return None
    if kind not in _OBJECT_TYPES and kind != "classification":
        f.report(
            "unsupported_annotation",
            f"annotation type `{kind}` is not supported",
            f"{pointer}/type",
            annotation_id=uid,
            value=kind,
            hint="Use box, polygon, poly_seg, polyline, keypoint, cuboid or classification.",
        )
        return None

    label = raw.get("label")
    ok = True
    if "label" not in raw:
        f.report(
            "missing_field",
            "the annotation has no `label` (its class)",
            f"{pointer}/label",
            annotation_id=uid,
        )
        ok = False
    elif not isinstance(label, str):
        f.report(
            "wrong_type",
            f"`label` must be a string, not {jtype(label)}",
            f"{pointer}/label",
            annotation_id=uid,
            value=shown(label),
        )
        ok = False

    track_id: str | None = None
    raw_track = raw.get("track_id")
    if raw_track is not None:
        if isinstance(raw_track, str) or _is_int(raw_track):
            track_id = str(raw_track)
        else:
            f.report(
                "wrong_type",
                f"`track_id` must be an integer or a string, not {jtype(raw_track)}",
                f"{pointer}/track_id",
                annotation_id=uid,
                value=shown(raw_track),
            )
    frame: int | None = None
    raw_frame = raw.get("frame_number")
    if raw_frame is not None:
        if _is_int(raw_frame):
            frame = raw_frame
        else:
            f.report(
                "wrong_type",
                f"`frame_number` must be an integer, not {jtype(raw_frame)}",
                f"{pointer}/frame_number",
                annotation_id=uid,
                value=shown(raw_frame),
            )

    answers = _answers(raw.get("attributes"), f"{pointer}/attributes", f, uid)

    if kind == "classification":
        if not ok:
            return None
        assert isinstance(label, str)
        value: Choice | str = (
            Choice(name=label, classifications=answers, pointer=f"{pointer}/label") if answers else label
        )
        return Annotation(
            kind="classification",
            uid=uid,
            name=None,
            answer=Answer(value=value, loose=True, pointer=f"{pointer}/label"),
            frame=frame,
            track_id=track_id,
            pointer=pointer,
        )

    if "points" not in raw:
        f.report("missing_field", "the annotation has no `points`", f"{pointer}/points", annotation_id=uid)
        return None
    shape = _geometry(kind, raw["points"], f"{pointer}/points", f, uid)
    if shape is None or not ok:
        return None
    canonical, geometry = shape
    return Annotation(
        kind=canonical,
        uid=uid,
        name=label,
        geometry=geometry,
        classifications=answers,
        frame=frame,
        track_id=track_id,
        pointer=pointer,
        extra={"aimmo_type": "poly_seg"} if kind == "poly_seg" else None,
    )


def _pairs(points: Any, pointer: str, f: _File, uid: str | None) -> list[tuple[Any, Any]] | None:
    """``[[x, y], ...]`` with every coordinate a number; the first bad element is reported."""
    if not isinstance(points, list):
        f.report(
            "wrong_type",
            f"`points` must be an array of [x, y] pairs, not {jtype(points)}",
            pointer,
            annotation_id=uid,
            value=shown(points),
        )
        return None
    out: list[tuple[Any, Any]] = []
    for j, pt in enumerate(points):
        if not isinstance(pt, list) or len(pt) != 2:
            what = f"{len(pt)} numbers" if isinstance(pt, list) else jtype(pt)
            f.report(
                "wrong_type",
                f"point {j} must be [x, y], not {what}",
                f"{pointer}/{j}",
                annotation_id=uid,
                value=shown(pt),
            )
            return None
        for k, v in enumerate(pt):
            if not is_num(v):
                f.report(
                    "wrong_type",
                    f"coordinate must be a number, not {jtype(v)}",
                    f"{pointer}/{j}/{k}",
                    annotation_id=uid,
                    value=shown(v),
                )
                return None
        out.append((pt[0], pt[1]))
    return out


def _flat(pairs: list[tuple[Any, Any]]) -> list[Any]:
    return [c for pt in pairs for c in pt]


def _geometry(kind: str, points: Any, pointer: str, f: _File, uid: str | None) -> tuple[str, Any] | None:
    """AIMMO ``points`` of one type → (canonical kind, canonical geometry), exact numbers."""
    if kind == "cuboid":
        return _cuboid(points, pointer, f, uid)
    if kind == "keypoint" and isinstance(points, list) and len(points) == 2 and all(map(is_num, points)):
        return "point", [points[0], points[1]]
    pairs = _pairs(points, pointer, f, uid)
    if pairs is None:
        return None
    if kind == "box":
        if len(pairs) not in (2, 4):
            f.report(
                "wrong_type",
                f"a box takes 2 or 4 corners, not {len(pairs)}",
                pointer,
                annotation_id=uid,
                value=len(pairs),
            )
            return None
        xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
        x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
        if len(pairs) == 4 and set(pairs) != {(x0, y0), (x0, y1), (x1, y0), (x1, y1)}:
            f.report(
                "unsupported_annotation",
                "the 4 corners of the box are not an axis-aligned rectangle",
                pointer,
                annotation_id=uid,
                hint="Give a polygon for a rotated box.",
            )
            return None
        return "bbox", [x0, y0, x1 - x0, y1 - y0]
    if kind in ("polygon", "poly_seg"):
        return "polygon", [_flat(pairs)]
    if kind == "polyline":
        return "line", _flat(pairs)
    # keypoint
    if not pairs:
        f.report("wrong_type", "a keypoint needs at least one [x, y]", pointer, annotation_id=uid)
        return None
    if len(pairs) == 1:
        return "point", [pairs[0][0], pairs[0][1]]
    return "keypoints", [c for x, y in pairs for c in (x, y, 2)]


def _cuboid(points: Any, pointer: str, f: _File, uid: str | None) -> tuple[str, Any] | None:
    if isinstance(points, dict):
        values: list[Any] = []
        for key in points:
            if key not in _CUBOID_KEYS:
                f.report(
                    "unknown_field",
                    f"unknown cuboid field `{key}` is ignored",
                    f"{pointer}/{esc(key)}",
                    annotation_id=uid,
                )
        for key in _CUBOID_KEYS:
            if key not in points:
                f.report("missing_field", f"the cuboid has no `{key}`", f"{pointer}/{key}", annotation_id=uid)
                return None
            if not is_num(points[key]):
                f.report(
                    "wrong_type",
                    f"cuboid `{key}` must be a number, not {jtype(points[key])}",
                    f"{pointer}/{key}",
                    annotation_id=uid,
                    value=shown(points[key]),
                )
                return None
            values.append(points[key])
        return "cuboid", values
    if not isinstance(points, list) or len(points) != 7:
        what = f"{len(points)} values" if isinstance(points, list) else jtype(points)
        f.report(
            "wrong_type",
            f"a cuboid takes [cx, cy, cz, length, width, height, yaw], not {what}",
            pointer,
            annotation_id=uid,
            value=shown(points),
        )
        return None
    for j, v in enumerate(points):
        if not is_num(v):
            f.report(
                "wrong_type",
                f"cuboid value must be a number, not {jtype(v)}",
                f"{pointer}/{j}",
                annotation_id=uid,
                value=shown(v),
            )
            return None
    return "cuboid", list(points)


# --------------------------------------------------------------------------------------------------
# write


class _Out:
    """One row being written: collects what AIMMO cannot say, located at the row and annotation."""

    def __init__(self, summary: ExportSummary, row: ExportRow) -> None:
        self.summary = summary
        self.data_row = row.ref.global_key or str(row.ref)

    def lost(self, message: str, annotation_id: str | None, pointer: str | None = None) -> None:
        loc = Location(data_row=self.data_row, annotation_id=annotation_id, pointer=pointer)
        self.summary.not_expressible.append(issue("unsupported_annotation", message, loc))


def write(rows: Iterable[ExportRow], out: Path, ctx: ExportContext) -> ExportSummary:
    """Write one ``<parent_path>/<filename>.json`` per row under ``out`` (a new or empty folder)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} exists and is not an empty folder")
    out.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary()
    for row in rows:
        o = _Out(summary, row)
        for file_row in _files(row, o):
            doc, written = _row_doc(file_row, o)
            target = out.joinpath(*_rel_parts(file_row))
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("xb") as fh:  # two rows naming one file must not overwrite each other
                fh.write(to_json(doc, indent=True))
            summary.annotations += written
        summary.rows += 1
    return summary


def _files(row: ExportRow, o: _Out) -> Iterator[ExportRow]:
    """The GT files of one row: the row itself, or for a scene (an image sequence or a point-cloud
    folder) one file per frame, every frame of the scene, in the scene's folder: ``parent_path`` is
    the scene's path, ``filename`` the frame, ``scene_id`` the row's id and ``frame_number`` the
    1-based position that import reads back from the file name."""
    frames = row.metadata.get("frames") if row.media_type in _SCENE_MEDIA else None
    if not isinstance(frames, list):
        yield row
        return
    by_frame: dict[int, list[Annotation]] = {}
    for ann in row.annotations:
        if ann.frame is None or not 1 <= ann.frame <= len(frames):
            o.lost(f"a {ann.kind} on no frame of the scene (frame {ann.frame}) has no file to go in", ann.uid)
            continue
        by_frame.setdefault(ann.frame, []).append(ann)
    scene = f"{(row.ref.parent_path or '/').rstrip('/')}/{row.ref.filename}"
    fields = row.fields if isinstance(row.fields, LabelFields) else LabelFields()
    for i, frame in enumerate(frames, 1):
        yield ExportRow(
            ref=RowRef(
                global_key=row.ref.global_key,
                parent_path=scene,
                filename=frame["filename"],
                scene_id=row.ref.id,
            ),
            media_type=row.media_type,
            metadata=frame,
            annotations=by_frame.get(i, []),
            fields=msgspec.structs.replace(fields, extra={**(fields.extra or {}), "frame_number": i}),
        )


def _rel_parts(row: ExportRow) -> list[str]:
    """The mirrored path, refusing anything that would climb out of the export folder."""
    parent = row.ref.parent_path or ""
    filename = row.ref.filename
    if not filename:
        raise ValueError(f"row {row.ref} has no filename")
    parts = [p for p in parent.strip("/").split("/") if p] + filename.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"row {row.ref}: parent_path/filename do not make a safe relative path")
    parts[-1] += ".json"
    return parts


def _row_doc(row: ExportRow, o: _Out) -> tuple[dict[str, Any], int]:
    fields = row.fields if isinstance(row.fields, LabelFields) else None
    extra = (fields.extra if fields else None) or {}
    annotations: list[dict[str, Any]] = []
    attributes: dict[str, Any] = {}
    label: str | None = None
    written = 0
    for ann in row.annotations:
        if ann.kind in _CLASSIFICATION_KINDS:
            if _is_entry(ann):
                entry = _classification_entry(ann, o)
                if entry is not None:
                    annotations.append(entry)
                    written += 1
            elif ann.name is None:
                value = ann.answer.value if ann.answer else None
                if label is not None:
                    o.lost("a second file-level class; AIMMO has one `label`", ann.uid)
                elif isinstance(value, Choice) and value.name is not None:
                    if value.classifications:
                        o.lost("answers nested under the file's class cannot be written", ann.uid)
                    label = value.name
                    written += 1
                elif isinstance(value, str):
                    label = value
                    written += 1
                else:
                    o.lost("the file's class must be one option", ann.uid)
            else:
                if ann.name in attributes:
                    o.lost(f"attribute `{ann.name}` answered twice", ann.uid)
                    continue
                attr = _attr_value(ann.answer, o, ann.uid, ann.name) if ann.answer else None
                if attr is None:
                    o.lost(f"classification `{ann.name}` has no answer AIMMO can write", ann.uid)
                    continue
                attributes[ann.name] = attr
                written += 1
            continue
        entry = _object_entry(ann, o)
        if entry is not None:
            annotations.append(entry)
            written += 1

    doc: dict[str, Any] = {"annotations": annotations, "attributes": attributes}
    if label is not None:
        doc["label"] = label
    if row.ref.id is not None:
        doc["file_id"] = row.ref.id
    scene_id = row.ref.scene_id if row.ref.scene_id is not None else extra.get("scene_id")
    if scene_id is not None:
        doc["scene_id"] = scene_id
    if "frame_number" in extra:
        doc["frame_number"] = extra["frame_number"]
    doc["filename"] = row.ref.filename
    doc["parent_path"] = row.ref.parent_path or "/"
    doc["metadata"] = _metadata(row, extra)
    doc["last_modifier_id"] = fields.last_modifier if fields else None
    doc["last_workers"] = (
        fields.last_workers if fields and fields.last_workers is not None else dict.fromkeys(_STAGES)
    )
    if fields and fields.tags is not None:
        doc["tags"] = fields.tags
    if "parent_tags" in extra:
        doc["parent_tags"] = extra["parent_tags"]
    if fields and fields.overwrite:
        doc["overwrite"] = True
    return doc, written


def _metadata(row: ExportRow, extra: dict[str, Any]) -> Any:
    """The row's probed metadata wins; what the imported file said comes next; else ``{}``."""
    md = row.metadata or {}
    if row.media_type in ("image", "image_sequence") and "height" in md and "width" in md:
        return {"height": md["height"], "width": md["width"]}
    if "metadata" in extra:
        return extra["metadata"]
    if row.media_type == "video" and "fps" in md:
        return {"fps": md["fps"]}
    return {}


def _attr_value(answer: Answer, o: _Out, uid: str | None, name: str | None) -> Any:
    """A nested answer as an AIMMO attribute value (str or list of str); None when impossible."""
    value = answer.value
    if isinstance(value, str):
        return value
    if isinstance(value, Choice):
        return _choice_name(value, o, uid, name)
    if isinstance(value, list):
        names = [_choice_name(c, o, uid, name) for c in value]
        if any(n is None for n in names):
            return None
        return names
    return None


def _choice_name(choice: Choice, o: _Out, uid: str | None, name: str | None) -> str | None:
    if choice.frames is not None:
        o.lost(f"`{name}` holds over frames; an AIMMO attribute holds for the whole file", uid)
    if choice.classifications:
        o.lost(f"answers nested under option `{choice.name}` of `{name}` cannot be written in AIMMO", uid)
    if choice.name is None:
        o.lost(f"an option of `{name}` has no value, only a schema id", uid)
    return choice.name


def _nested(answers: list[Answer], o: _Out, uid: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for answer in answers:
        if answer.name is None:
            o.lost("a nested answer without a classification name cannot be written", uid)
            continue
        value = _attr_value(answer, o, uid, answer.name)
        if value is None:
            o.lost(f"attribute `{answer.name}` has no answer AIMMO can write", uid)
            continue
        out[answer.name] = value
    return out


def _is_entry(ann: Annotation) -> bool:
    """A classification that came from a `classification` entry of ``annotations`` (it has an
    AIMMO id; file attributes have none) goes back there, so its id survives the trip; so does a
    radio held on one video frame, which a file attribute cannot say."""
    if ann.kind not in ("classification", "radio"):
        return False
    if ann.name is None and ann.uid is not None:
        return True  # straight from the reader
    value = _timed_radio(ann)
    on_frames = isinstance(value, Choice) and value.frames is not None
    return on_frames or (ann.uid is not None and _ID_RE.fullmatch(ann.uid) is not None)


def _timed_radio(ann: Annotation) -> Choice | list[Choice] | str | None:
    """An answer's value; a radio over time is stored as the list of its answers, and one answer
    is what a `classification` entry can hold."""
    value = ann.answer.value if ann.answer is not None else None
    if ann.kind == "radio" and isinstance(value, list) and len(value) == 1 and value[0].frames is not None:
        return value[0]
    return value


def _classification_entry(ann: Annotation, o: _Out) -> dict[str, Any] | None:
    """A `classification` entry of ``annotations``: the label, with the choice's answers as attributes.
    A video answer over frames is written on its frame (``frame_number``) when it holds on one."""
    value = _timed_radio(ann)
    attributes: dict[str, Any] = {}
    frame = ann.frame
    if isinstance(value, Choice) and value.frames is not None:
        if len(value.frames) != 1 or value.frames[0][0] != value.frames[0][1]:
            spans = ", ".join(f"{a}-{b}" for a, b in value.frames)
            o.lost(f"an answer over frames {spans}: AIMMO writes a classification on one frame", ann.uid)
            return None
        frame = value.frames[0][0]
    if isinstance(value, Choice) and value.name is not None:
        label: str = value.name
        attributes = _nested(value.classifications, o, ann.uid)
    elif isinstance(value, str):
        label = value
    else:
        o.lost("a classification annotation must answer one option", ann.uid)
        return None
    entry: dict[str, Any] = {
        "id": ann.uid,
        "type": "classification",
        "attributes": attributes,
        "label": label,
    }
    _frame_track(entry, ann)
    if frame is not None:
        entry["frame_number"] = frame
    return entry


def _object_entry(ann: Annotation, o: _Out) -> dict[str, Any] | None:
    points = _points(ann, o)
    if points is None:
        return None
    extra = ann.extra or {}
    if extra.get("attributes"):
        o.lost(f"the format attributes {', '.join(extra['attributes'])} cannot be written in AIMMO", ann.uid)
    kind = _KIND_TO_TYPE[ann.kind]
    # The ontology's tool (or the type read from AIMMO) names the type, when it fits the geometry.
    for hinted in (_TOOL_TO_TYPE.get(str(extra.get("tool"))), extra.get("aimmo_type")):
        if hinted is not None and ann.kind in _TYPE_KINDS.get(hinted, ()):
            kind = hinted
            break
    entry: dict[str, Any] = {
        "id": ann.uid,
        "type": kind,
        "attributes": _nested(ann.classifications, o, ann.uid),
        "points": points,
        "label": ann.name,
    }
    _frame_track(entry, ann)
    return entry


def _frame_track(entry: dict[str, Any], ann: Annotation) -> None:
    if ann.track_id is not None:
        # AIMMO writes track ids as numbers; a string that is not one stays a string.
        t = ann.track_id
        entry["track_id"] = int(t) if t.isascii() and t.isdigit() and str(int(t)) == t else t
    if ann.frame is not None:
        entry["frame_number"] = ann.frame


def _points(ann: Annotation, o: _Out) -> Any:
    """Canonical geometry → AIMMO ``points``; None (reported) when AIMMO cannot carry it."""
    g = ann.geometry
    if ann.kind == "bbox":
        if len(g) == 5 and g[4] % 360:
            o.lost("a rotated box cannot be written in AIMMO", ann.uid)
            return None
        x, y, w, h = g[:4]
        return [[x, y], [x + w, y + h]]
    if ann.kind == "polygon":
        if len(g) != 1:
            o.lost(f"a polygon with {len(g)} rings (holes or parts) cannot be written in AIMMO", ann.uid)
            return None
        ring = g[0]
        return [[ring[i], ring[i + 1]] for i in range(0, len(ring) - 1, 2)]
    if ann.kind == "line":
        return [[g[i], g[i + 1]] for i in range(0, len(g) - 1, 2)]
    if ann.kind == "point":
        return [[g[0], g[1]]]
    if ann.kind == "keypoints":
        if any(g[i] != 2 for i in range(2, len(g), 3)):
            o.lost(
                "keypoint visibility (absent/hidden) cannot be written in AIMMO; "
                "the points are written as visible",
                ann.uid,
            )
        return [[g[i], g[i + 1]] for i in range(0, len(g) - 2, 3)]
    if ann.kind == "cuboid":
        return list(g)
    o.lost(f"`{ann.kind}` annotations cannot be written in AIMMO", ann.uid)
    return None


# --------------------------------------------------------------------------------------------------
# detect

_REQUIRED = ("annotations", "filename", "parent_path")


def detect(payload: Path) -> Detection:
    """A ``.json`` file, or a folder whose first JSON files, are AIMMO GT objects."""
    if payload.is_file():
        if payload.suffix.lower() in (".ndjson", ".jsonl"):
            return Detection(0.0, [f"{payload.name} is NDJSON, not AIMMO (one JSON object per file)"])
        if payload.suffix.lower() != ".json":
            return Detection(0.0, [f"{payload.name} is not a .json file"])
        problem = _detect_file(payload, payload.name)
        if problem:
            return Detection(0.0, [problem])
        return Detection(0.9, [f"found filename/parent_path/annotations in {payload.name}"])
    if not payload.is_dir():
        return Detection(0.0, [f"{payload} does not exist"])
    seen, problem = detect_json_tree(payload, _detect_file, ignore_case=False)
    if problem:
        return Detection(0.0, [problem])
    return Detection(0.9, [f"found filename/parent_path/annotations in {seen} of {seen} JSON files"])


def _detect_file(path: Path, name: str) -> str | None:
    """Why a file is not AIMMO GT, or None when it looks like one."""
    return sniff_json_object(
        path, name, _REQUIRED, "annotations", what="an object", not_json=_ndjson_hint(name)
    )


def _ndjson_hint(name: str) -> Callable[[bytes], str | None]:
    def hint(head: bytes) -> str | None:
        lines = [ln for ln in head.splitlines() if ln.strip()]
        if len(lines) > 1 and _all_objects(lines[:2]):
            return f"{name} holds one JSON object per line (NDJSON), not AIMMO"
        return None

    return hint


def _all_objects(lines: list[bytes]) -> bool:
    try:
        return all(isinstance(orjson.loads(ln), dict) for ln in lines)
    except orjson.JSONDecodeError:
        return False


SPEC = FormatSpec(
    name="aimmo",
    title="AIMMO GT JSON",
    carries="one JSON per resource file mirroring the resource tree (per frame for sequence images and "
    "point clouds, keyframes by frame_number for video): box, polygon, poly_seg, polyline, "
    "keypoint, cuboid, classification; class attributes, file attributes and label, track ids, "
    "frame numbers and the file envelope (workers, tags). Not masks, entities, relationships, "
    "multi-ring polygons or nested attributes.",
    read=read,
    write=write,
    detect=detect,
    media_types=("image", "video", "image_sequence", "point_cloud", "text"),
)
