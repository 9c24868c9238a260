"""LabelMe JSON (the wkentaro/labelme tool, versions 3.x to 5.x): one JSON file per image.

Layout on disk: a folder searched recursively for ``*.json`` (hidden names skipped; none at all is
``unreadable_payload``), or a single ``.json`` file. One file, as labelme 5.x writes it::

    {"version": "5.4.1", "flags": {"indoor": false, "outdoor": true},
     "shapes": [{"label": "car", "points": [[x1, y1], [x2, y2]], "group_id": 3,
                 "description": "", "shape_type": "rectangle", "flags": {"occluded": true},
                 "mask": null}],
     "imagePath": "..\\\\images\\\\a.jpg", "imageData": "<base64 image or null>",
     "imageHeight": 480, "imageWidth": 640}

Mapping to the canonical records (``labelport.model.records``)::

    LabelMe                                    canonical
    shape_type rectangle  2 opposite corners   bbox     [min_x, min_y, max_x - min_x, max_y - min_y]
                          (any order; 4 axis-aligned corners are accepted too)
    polygon (or no shape_type: old files)      polygon  [[x0, y0, x1, y1, ...]]  (one ring)
    line (2 points), linestrip                 line     [x0, y0, x1, y1, ...]
                                               (a 2-point linestrip keeps extra["shape_type"])
    point                                      point    [x, y]
    circle  [centre, a point on the circle]    ellipse  [cx, cy, r, r], r the Euclidean distance
                                               (the point is kept in extra["circle_point"] when
                                               [cx + r, cy] would not read back as r exactly)
    mask    [top-left, bottom-right] pixels,   mask     COCO RLE of the whole image: the PNG is
            inclusive, + base64 PNG `mask`              placed at the top-left corner
    any other shape_type                       unsupported_annotation
    shape group_id                             extra["group_id"]
    shape flags {name: bool}                   extra["attributes"] (validation answers the
                                               tool's classifications of those names)
    shape description (non-empty)              extra["description"]
    image flags that are true                  top-level classifications: by default each is
                                               an option of the one top-level radio that has it
                                               (a loose answer, name None); with the option
                                               ``flags_checklist=<name>`` all of them are the
                                               answer of that checklist. False flags say nothing.
    imageWidth, imageHeight                    Record.image_size
    imagePath                                  RowRef(filename=...): see below
    version, imageData                         checked for type, otherwise ignored
    lineColor, fillColor, line_color, ...      labelme 3.x colours: ignored; other keys are
                                               reported (unknown_field, a warning) once a file

Coordinates are kept as parsed and never rounded; a computed box size or radius that is a whole
number is an int (``40``, not ``40.0``), as integral coordinates are.

``imagePath`` (backslashes read as ``/``) is resolved against the JSON file's folder, ``..``
normalised, and expressed relative to the payload root (the folder given, or a single file's
folder), or to ``<payload>/<image_root>`` with the ``image_root`` option (an absolute
``image_root`` is compared with absolute ``imagePath`` values). Validation matches that path
against the rows' paths relative to their dataset root, and accepts a bare basename when one row
has it. A path outside that root is reduced to its basename.

Export writes one file per labelled row at ``<row path with .json for its extension>`` (the
subfolders mirrored; ``<name with extension>.json`` when two images share a stem), labelme
5.4.1's key order, ``imageData: null``, the row's real width and height, and an ``imagePath``
relative to the JSON file's folder, assuming the images lie at their dataset paths under the
output folder (or under ``image_root``, relative to the output folder or absolute). The image
flags written are every option of every top-level radio (or of the ``flags_checklist``), in
ontology order, true where answered. LabelMe cannot carry (each one is reported in
``ExportSummary.not_expressible``): ellipses that are not circles or are rotated, rotated boxes,
polygons with several rings, keypoints, cuboids, entities, relationships, empty masks, answers on
objects that are not true/false, nested answers, and top-level answers that are not flags (text,
checklists, radios whose option another flag classification shares, answers nested under an
option).
"""

from __future__ import annotations

import base64
import math
import os
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

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
    cannot_carry,
    detect_json_tree,
    esc,
    flat_attributes,
    is_num,
    jtype,
    plain,
    prepare_output,
    read_json,
    safe_rel,
    shown,
    sniff_json_object,
    to_json,
    unwritten_fields,
    walk,
)
from labelport.model.errors import InvalidInputError
from labelport.model.issues import Location
from labelport.model.ontology import Classification, ClassificationType
from labelport.model.records import Annotation, Answer, Choice, Record, RowRef

NAME = "LabelMe"
VERSION = "5.4.1"
_TOP_KEYS = ("version", "flags", "shapes", "imagePath", "imageData", "imageHeight", "imageWidth")
_SHAPE_KEYS = ("label", "points", "group_id", "description", "shape_type", "flags", "mask")
# labelme 3.x wrote colours too; they are known and ignored without a warning
_OLD_TOP_KEYS = ("lineColor", "fillColor")
_OLD_SHAPE_KEYS = ("line_color", "fill_color")
_SHAPE_TYPES = ("polygon", "rectangle", "line", "linestrip", "point", "circle", "mask")
_DRIVE = re.compile(r"[A-Za-z]:/")
_CLASSIFICATION_KINDS = frozenset({"classification", "radio", "checklist", "text"})


# --------------------------------------------------------------------------------------------------
# image paths


def _is_abs(path: str) -> bool:
    """POSIX ``/x``, UNC ``//host/x`` or Windows ``C:/x`` (backslashes already turned to ``/``)."""
    return path.startswith("/") or bool(_DRIVE.match(path))


class _Paths:
    """Turns an ``imagePath`` into the path the rows are matched by (relative to the image root)."""

    def __init__(self, root: Path, image_root: str | None) -> None:
        self.root = os.path.abspath(root).replace(os.sep, "/")
        base = self.root
        if image_root:
            given = image_root.replace("\\", "/")
            base = given if _is_abs(given) else f"{self.root}/{given}"
        self.prefix = posixpath.normpath(base).rstrip("/") + "/"

    def row_name(self, json_dir: str, image_path: str) -> str:
        given = image_path.replace("\\", "/")
        full = given if _is_abs(given) else f"{self.root}/{json_dir}/{given}"
        full = posixpath.normpath(full)
        if full.startswith(self.prefix):
            return full[len(self.prefix) :]
        return posixpath.basename(posixpath.normpath(given))


# --------------------------------------------------------------------------------------------------
# read


class _File:
    """One LabelMe file being read: where issues go and what their locations share."""

    def __init__(self, sink: IssueSink, file: str) -> None:
        self.sink = sink
        self.file = file
        self.data_row: str | None = None
        self.unknown: set[str] = set()

    def report(
        self,
        code: str,
        message: str,
        pointer: str | None,
        *,
        value: Any = None,
        hint: str | None = None,
        line: int | None = None,
    ) -> None:
        loc = Location(file=self.file, line=line, pointer=pointer, data_row=self.data_row)
        self.sink(issue(code, message, loc, value=value, hint=hint))

    def wrong(self, what: str, value: Any, pointer: str) -> None:
        self.report("wrong_type", f"{what}, not {jtype(value)}", pointer, value=shown(value))


def read(payload: Path, sink: IssueSink, options: Mapping[str, str] | None = None) -> Iterator[Record]:
    """Stream one Record per LabelMe file of a folder (recursively) or of a single ``.json`` file."""
    opts = options or {}
    checklist = opts.get("flags_checklist") or None
    if payload.is_dir():
        paths = _Paths(payload, opts.get("image_root"))
        seen = False
        for path in walk(payload, ".json"):
            seen = True
            rel = path.relative_to(payload).as_posix()
            record = _read_file(path, _File(sink, rel), paths, checklist)
            if record is not None:
                yield record
        if not seen:
            sink(
                issue(
                    "unreadable_payload",
                    f"no LabelMe JSON files under {payload.name}",
                    Location(file="."),
                    hint="Give a folder holding LabelMe .json files (searched recursively), or one file.",
                )
            )
    elif payload.is_file():
        record = _read_file(
            payload, _File(sink, payload.name), _Paths(payload.parent, opts.get("image_root")), checklist
        )
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


def _read_file(path: Path, f: _File, paths: _Paths, checklist: str | None) -> Record | None:
    doc, problem = read_json(path)
    if problem is not None:
        f.report(problem.code, problem.message, None, line=problem.line, hint=problem.hint)
        return None
    if not isinstance(doc, dict):
        f.wrong("a LabelMe file holds one JSON object", doc, "")
        return None
    return _record(doc, f, paths, posixpath.dirname(f.file), checklist)


def _record(
    doc: dict[str, Any], f: _File, paths: _Paths, json_dir: str, checklist: str | None
) -> Record | None:
    """Check the file's fields, then its shapes; every problem is reported before giving up."""
    fatal = False
    row_name: str | None = None
    image_path = doc.get("imagePath")
    if "imagePath" not in doc:
        f.report("missing_field", "`imagePath` is required", "/imagePath", hint="Name the image file.")
        fatal = True
    elif not isinstance(image_path, str):
        f.wrong("`imagePath` must be a string", image_path, "/imagePath")
        fatal = True
    else:
        row_name = paths.row_name(json_dir, image_path)
        if row_name in ("", ".", ".."):
            f.report(
                "invalid_value",
                f"`imagePath` {image_path!r} names no file",
                "/imagePath",
                value=shown(image_path),
            )
            fatal = True
            row_name = None
        else:
            f.data_row = row_name

    shapes = doc.get("shapes")
    if "shapes" not in doc:
        f.report("missing_field", "`shapes` is required (an empty array when there are none)", "/shapes")
        fatal = True
    elif not isinstance(shapes, list):
        f.wrong("`shapes` must be an array", shapes, "/shapes")
        fatal = True

    for key in doc:
        if key not in _TOP_KEYS and key not in _OLD_TOP_KEYS:
            f.report("unknown_field", f"unknown field `{key}` is ignored", f"/{esc(key)}")
    if doc.get("version") is not None and not isinstance(doc["version"], str):
        f.wrong("`version` must be a string", doc["version"], "/version")
    image_data = doc.pop("imageData", None)  # its pixels are never used; free them now
    if image_data is not None and not isinstance(image_data, str):
        f.wrong("`imageData` must be base64 text or null", image_data, "/imageData")
    del image_data
    size = _image_size(doc, f)

    annotations: list[Annotation] = []
    if isinstance(shapes, list):
        for i, raw in enumerate(shapes):
            ann = _shape(raw, f"/shapes/{i}", f, size)
            if ann is not None:
                annotations.append(ann)
    annotations.extend(_image_flags(doc.get("flags"), f, checklist))

    if fatal or row_name is None:
        return None
    return Record(
        row=RowRef(filename=row_name),
        annotations=annotations,
        location=Location(file=f.file, data_row=row_name),
        image_size=size,
    )


def _image_size(doc: dict[str, Any], f: _File) -> tuple[int, int] | None:
    """``(imageWidth, imageHeight)`` when both are given as positive whole numbers."""
    values: dict[str, int] = {}
    for key in ("imageWidth", "imageHeight"):
        v = doc.get(key)
        if v is None:
            continue
        if not is_num(v):
            f.wrong(f"`{key}` must be a number", v, f"/{key}")
        elif not math.isfinite(v) or v <= 0 or v != int(v):
            f.report("invalid_value", f"`{key}` must be a positive whole number", f"/{key}", value=v)
        else:
            values[key] = int(v)
    missing = [k for k in ("imageWidth", "imageHeight") if doc.get(k) is None]
    if len(missing) == 1:
        f.report("missing_field", f"`{missing[0]}` is needed beside its pair", f"/{missing[0]}")
    if len(values) != 2:
        return None
    return values["imageWidth"], values["imageHeight"]


def _image_flags(raw: Any, f: _File, checklist: str | None) -> list[Annotation]:
    """True image flags as top-level classification answers (see the module docstring)."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        f.wrong("`flags` must be an object of name: true/false", raw, "/flags")
        return []
    true: list[tuple[str, str]] = []
    for name, value in raw.items():
        pointer = f"/flags/{esc(name)}"
        if not isinstance(value, bool):
            f.wrong(f"flag `{name}` must be true or false", value, pointer)
        elif value:
            true.append((name, pointer))
    if checklist is not None:
        if not true:
            return []
        choices = [Choice(name=name, pointer=pointer) for name, pointer in true]
        answer = Answer(name=checklist, value=choices, loose=True, pointer="/flags")
        return [Annotation(kind="classification", name=checklist, answer=answer, pointer="/flags")]
    return [
        Annotation(
            kind="classification",
            name=None,
            answer=Answer(value=name, loose=True, pointer=pointer),
            pointer=pointer,
        )
        for name, pointer in true
    ]


def _points(raw: Any, pointer: str, f: _File) -> list[tuple[Any, Any]] | None:
    """``[[x, y], ...]`` as pairs of numbers, or None after reporting the first bad one."""
    if not isinstance(raw, list):
        f.wrong("`points` must be an array of [x, y]", raw, pointer)
        return None
    out: list[tuple[Any, Any]] = []
    for j, p in enumerate(raw):
        if not isinstance(p, list) or len(p) != 2:
            what = f"{len(p)} values" if isinstance(p, list) else jtype(p)
            f.report("wrong_type", f"a point must be [x, y], not {what}", f"{pointer}/{j}", value=shown(p))
            return None
        for k, v in enumerate(p):
            if not is_num(v):
                f.wrong("a coordinate must be a number", v, f"{pointer}/{j}/{k}")
                return None
        out.append((p[0], p[1]))
    return out


def _shape(raw: Any, pointer: str, f: _File, size: tuple[int, int] | None) -> Annotation | None:
    """One entry of ``shapes``; None (after reporting) when it cannot be used."""
    if not isinstance(raw, dict):
        f.wrong("a shape must be an object", raw, pointer)
        return None
    for key in raw:
        if key not in _SHAPE_KEYS and key not in _OLD_SHAPE_KEYS and key not in f.unknown:
            f.unknown.add(key)  # once per file: a tool's own key is on every shape
            f.report("unknown_field", f"unknown shape field `{key}` is ignored", f"{pointer}/{esc(key)}")
    ok = True
    label = raw.get("label")
    if "label" not in raw:
        f.report("missing_field", "the shape has no `label`", f"{pointer}/label")
        ok = False
    elif not isinstance(label, str):
        f.wrong("`label` must be a string", label, f"{pointer}/label")
        ok = False
    shape_type = raw.get("shape_type")
    if shape_type is None:
        shape_type = "polygon"  # files of labelme 3 have no shape_type
    elif not isinstance(shape_type, str):
        f.wrong("`shape_type` must be a string", shape_type, f"{pointer}/shape_type")
        return None
    if shape_type not in _SHAPE_TYPES:
        f.report(
            "unsupported_annotation",
            f"shape_type `{shape_type}` is not one LabelMe import carries",
            f"{pointer}/shape_type",
            value=shown(shape_type),
            hint="Use " + ", ".join(_SHAPE_TYPES) + ".",
        )
        return None
    extra = _shape_extra(raw, pointer, f)
    if "points" not in raw:
        f.report("missing_field", "the shape has no `points`", f"{pointer}/points")
        return None
    points = _points(raw["points"], f"{pointer}/points", f)
    if points is None or extra is None or not ok:
        return None
    found = _geometry(shape_type, points, raw, pointer, f, size)
    if found is None:
        return None
    kind, geometry = found
    if shape_type == "linestrip" and len(points) == 2:
        extra["shape_type"] = "linestrip"  # else it would come back as a `line`
    if kind == "ellipse" and _radius(geometry[0], geometry[1], *_on_circle(geometry)) != geometry[2]:
        extra["circle_point"] = list(points[1])  # the radius alone would not give it back exactly
    return Annotation(kind=kind, name=label, geometry=geometry, extra=extra or None, pointer=pointer)


def _shape_extra(raw: dict[str, Any], pointer: str, f: _File) -> dict[str, Any] | None:
    """group_id, description and the shape's flags; None when one is of the wrong type."""
    extra: dict[str, Any] = {}
    ok = True
    group_id = raw.get("group_id")
    if group_id is not None:
        if isinstance(group_id, bool) or not isinstance(group_id, int | str):
            f.wrong("`group_id` must be an integer or null", group_id, f"{pointer}/group_id")
            ok = False
        else:
            extra["group_id"] = group_id
    description = raw.get("description")
    if description is not None:
        if not isinstance(description, str):
            f.wrong("`description` must be a string", description, f"{pointer}/description")
            ok = False
        elif description:
            extra["description"] = description
    flags = raw.get("flags")
    if flags is not None:
        if not isinstance(flags, dict):
            f.wrong("`flags` must be an object of name: true/false", flags, f"{pointer}/flags")
            ok = False
        else:
            for name, value in flags.items():
                if not isinstance(value, bool):
                    f.wrong(f"flag `{name}` must be true or false", value, f"{pointer}/flags/{esc(name)}")
                    ok = False
            if flags:
                extra["attributes"] = dict(flags)
    return extra if ok else None


def _count(
    shape_type: str, points: list[tuple[Any, Any]], allowed: tuple[int, ...], pointer: str, f: _File
) -> bool:
    if len(points) in allowed:
        return True
    want = " or ".join(str(n) for n in allowed)
    f.report(
        "invalid_value",
        f"a {shape_type} takes {want} point{'s' if allowed != (1,) else ''}, not {len(points)}",
        f"{pointer}/points",
        value=len(points),
    )
    return False


def _geometry(
    shape_type: str,
    points: list[tuple[Any, Any]],
    raw: dict[str, Any],
    pointer: str,
    f: _File,
    size: tuple[int, int] | None,
) -> tuple[str, Any] | None:
    flat = [v for p in points for v in p]
    if shape_type == "polygon":
        return "polygon", [flat]
    if shape_type in ("line", "linestrip"):
        return "line", flat
    if shape_type == "point":
        return ("point", flat) if _count(shape_type, points, (1,), pointer, f) else None
    if shape_type == "circle":
        if not _count(shape_type, points, (2,), pointer, f):
            return None
        (cx, cy), (px, py) = points
        r = _radius(cx, cy, px, py)
        return "ellipse", [cx, cy, r, r]
    if shape_type == "rectangle":
        if not _count(shape_type, points, (2, 4), pointer, f):
            return None
        xs = sorted({p[0] for p in points})
        ys = sorted({p[1] for p in points})
        if len(points) == 4 and (len(xs) > 2 or len(ys) > 2):
            f.report(
                "invalid_value",
                "the four corners of a rectangle must be axis-aligned",
                f"{pointer}/points",
            )
            return None
        x0, x1, y0, y1 = xs[0], xs[-1], ys[0], ys[-1]
        # a computed size is an int when whole, as the coordinates it came from would be
        return "bbox", [x0, y0, plain(x1 - x0), plain(y1 - y0)]
    return _mask(points, raw, pointer, f, size)


def _radius(cx: float, cy: float, px: float, py: float) -> float | int:
    return plain(math.hypot(px - cx, py - cy))


def _on_circle(g: list[Any]) -> list[Any]:
    """The point a circle is written with, right of its centre. ``cx + r`` does not always read
    back as exactly ``r``; a LabelMe file's own point is then kept in ``extra["circle_point"]``."""
    return [g[0] + g[2], g[1]]


def _mask(
    points: list[tuple[Any, Any]],
    raw: dict[str, Any],
    pointer: str,
    f: _File,
    size: tuple[int, int] | None,
) -> tuple[str, Any] | None:
    """A labelme >= 5.3 mask: a PNG of the region between two corner pixels (both inclusive)."""
    if not _count("mask", points, (2,), pointer, f):
        return None
    data = raw.get("mask")
    if data is None:
        f.report("missing_field", "a mask shape needs `mask` (a base64 PNG)", f"{pointer}/mask")
        return None
    if not isinstance(data, str):
        f.wrong("`mask` must be base64 PNG text", data, f"{pointer}/mask")
        return None
    if size is None:
        f.report(
            "missing_field",
            "a mask shape needs the file's `imageWidth` and `imageHeight` to be placed",
            "/imageHeight",
        )
        return None
    coords = [v for p in points for v in p]
    if any(not math.isfinite(v) or v < 0 or v != int(v) for v in coords):
        f.report(
            "invalid_value",
            "the corners of a mask must be whole, non-negative pixel coordinates",
            f"{pointer}/points",
        )
        return None
    x0, x1 = sorted((int(coords[0]), int(coords[2])))
    y0, y1 = sorted((int(coords[1]), int(coords[3])))
    try:
        region = masks.from_png_base64(data)
    except masks.MaskError as exc:
        f.report("mask_invalid", f"the mask cannot be decoded: {exc}", f"{pointer}/mask")
        return None
    h, w = region.shape
    if (w, h) != (x1 - x0 + 1, y1 - y0 + 1):
        f.report(
            "mask_invalid",
            f"the mask PNG is {w}x{h} but its corners span {x1 - x0 + 1}x{y1 - y0 + 1} pixels",
            f"{pointer}/mask",
            value=[w, h],
        )
        return None
    width, height = size
    if x1 >= width or y1 >= height:
        f.report(
            "mask_invalid",
            f"the mask's region ends at ({x1}, {y1}), outside the {width}x{height} image",
            f"{pointer}/points",
        )
        return None
    full = np.zeros((height, width), dtype=np.bool_)
    full[y0 : y1 + 1, x0 : x1 + 1] = region
    return "mask", masks.encode(full)


# --------------------------------------------------------------------------------------------------
# write


class _Out:
    """One row being written: collects what LabelMe cannot say."""

    def __init__(self, summary: ExportSummary, row: ExportRow) -> None:
        self.summary = summary
        self.row = row

    def lost(self, what: str, ann: Annotation | None) -> None:
        self.summary.not_expressible.append(cannot_carry(NAME, what, self.row, ann))


class _Flags:
    """The image flags export writes: every option of the classifications that flags stand for."""

    def __init__(self, ctx: ExportContext) -> None:
        self.checklist = ctx.options.get("flags_checklist") or None
        wanted = ClassificationType.CHECKLIST if self.checklist else ClassificationType.RADIO
        self.sources: list[Classification] = [
            c
            for c in ctx.ontology.classifications
            if c.type is wanted and (self.checklist is None or c.name == self.checklist)
        ]
        if self.checklist and not self.sources:
            raise InvalidInputError(
                f"the ontology has no top-level checklist {self.checklist!r} for the image flags",
                code="invalid_option",
                hint="Name a top-level checklist classification, or leave flags_checklist out.",
            )
        self.owners: dict[str, int] = {}
        for c in self.sources:
            for o in c.options:
                self.owners[o.value] = self.owners.get(o.value, 0) + 1

    def empty(self) -> dict[str, bool]:
        return dict.fromkeys(self.owners, False)

    def mark(self, flags: dict[str, bool], ann: Annotation, o: _Out) -> int:
        """Set the flags one top-level answer stands for; returns 1 when it was written."""
        name = ann.name or (ann.answer.name if ann.answer else None)
        value = ann.answer.value if ann.answer else None
        if not any(c.name == name for c in self.sources):
            mode = f"the checklist `{self.checklist}`" if self.checklist else "top-level radios"
            o.lost(f"the {ann.kind} answer `{name}`: image flags stand for {mode} only", ann)
            return 0
        choices = value if isinstance(value, list) else [value] if isinstance(value, Choice) else []
        if not choices:
            o.lost(f"the answer to `{name}`: it names no option", ann)
            return 0
        for c in choices:
            if c.name is None:
                o.lost(f"an answer to `{name}` without an option name", ann)
                return 0
            if self.owners.get(c.name, 0) > 1:
                o.lost(f"the answer `{name}={c.name}`: another classification has the flag `{c.name}`", ann)
                return 0
        for c in choices:
            flags[c.name or ""] = True
            if c.classifications or c.frames:
                o.lost(f"answers nested under `{name}={c.name}`", ann)
        return 1


def write(rows: Iterable[ExportRow], out: Path, ctx: ExportContext) -> ExportSummary:
    """Write one LabelMe JSON per labelled row under ``out`` (a new or empty folder)."""
    flags = _Flags(ctx)
    image_root = (ctx.options.get("image_root") or "").replace("\\", "/")
    prepare_output(out, kind="dir")
    summary = ExportSummary()
    taken: set[str] = set()
    for row in rows:
        rel = safe_rel(row)
        target = _target(rel, taken)
        if target is None:
            _Out(summary, row).lost(
                f"a second image whose file would be {rel}.json (names differing only in case)", None
            )
            continue
        json_dir = posixpath.dirname(target)
        doc, written = _row_doc(row, _Out(summary, row), flags, _image_path(rel, json_dir, image_root))
        path = out.joinpath(*target.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as fh:
            fh.write(to_json(doc, indent=True))
        summary.rows += 1
        summary.annotations += written
    return summary


def _target(rel: str, taken: set[str]) -> str | None:
    """``train/a.json`` for ``train/a.jpg``; ``train/a.png.json`` when ``a.json`` is taken; None
    when both are (``A.jpg``, ``a.jpg``, ``a.JPG``: file systems that ignore case would mix them)."""
    p = PurePosixPath(rel)
    for candidate in (p.with_name(p.stem + ".json").as_posix(), rel + ".json"):
        if candidate.lower() not in taken:
            taken.add(candidate.lower())
            return candidate
    return None


def _image_path(rel: str, json_dir: str, image_root: str) -> str:
    """The image's path as seen from the JSON file's folder (``/`` separators)."""
    if image_root and _is_abs(image_root):
        return posixpath.normpath(f"{image_root}/{rel}")
    image = [
        p for p in posixpath.normpath(f"{image_root}/{rel}" if image_root else rel).split("/") if p != "."
    ]
    start = [p for p in json_dir.split("/") if p]
    common = 0
    while common < min(len(start), len(image) - 1) and start[common] == image[common]:
        common += 1
    return "/".join([".."] * (len(start) - common) + image[common:])


def _row_doc(row: ExportRow, o: _Out, flags: _Flags, image_path: str) -> tuple[dict[str, Any], int]:
    image_flags = flags.empty()
    shapes: list[dict[str, Any]] = []
    written = 0
    for ann in row.annotations:
        if ann.kind in _CLASSIFICATION_KINDS:
            written += flags.mark(image_flags, ann, o)
            continue
        shape = _shape_out(ann, o)
        if shape is not None:
            shapes.append(shape)
            written += 1
    doc: dict[str, Any] = {
        "version": VERSION,
        "flags": image_flags,
        "shapes": shapes,
        "imagePath": image_path,
        "imageData": None,
    }
    md = row.metadata or {}
    if isinstance(md.get("height"), int) and isinstance(md.get("width"), int):
        doc["imageHeight"] = md["height"]
        doc["imageWidth"] = md["width"]
    return doc, written


def _shape_out(ann: Annotation, o: _Out) -> dict[str, Any] | None:
    found = _points_out(ann, o)
    if found is None:
        return None
    shape_type, points, mask = found
    extra = ann.extra or {}
    written = ("group_id", "description", "shape_type", "circle_point", "attributes")
    o.summary.not_expressible += unwritten_fields(NAME, o.row, ann, written)
    return {
        "label": ann.name,
        "points": points,
        "group_id": extra.get("group_id"),
        "description": extra.get("description") or "",
        "shape_type": shape_type,
        "flags": _shape_flags(ann, o),
        "mask": mask,
    }


def _shape_flags(ann: Annotation, o: _Out) -> dict[str, bool]:
    attrs, lost = flat_attributes(ann)
    for name in lost:
        o.lost(f"answers nested under `{name}`", ann)
    out: dict[str, bool] = {}
    for name, value in attrs.items():
        if isinstance(value, bool):
            out[name] = value
        elif value in ("true", "false"):
            out[name] = value == "true"
        else:
            o.lost(f"`{name}` = {value!r}: shape flags are true or false", ann)
    return out


def _pt(x: float, y: float) -> list[float | int]:
    return [plain(x), plain(y)]


def _points_out(ann: Annotation, o: _Out) -> tuple[str, list[list[float | int]], str | None] | None:
    """Canonical geometry → (shape_type, points, mask); None (reported) when LabelMe cannot say it."""
    g = ann.geometry
    if ann.kind == "bbox":
        if len(g) > 4 and g[4] % 360:
            o.lost("a rotated box", ann)
            return None
        x, y, w, h = g[:4]
        return "rectangle", [_pt(x, y), _pt(x + w, y + h)], None
    if ann.kind == "polygon":
        if len(g) != 1:
            o.lost(f"a polygon with {len(g)} rings", ann)
            return None
        ring = g[0]
        return "polygon", [_pt(ring[i], ring[i + 1]) for i in range(0, len(ring) - 1, 2)], None
    if ann.kind == "line":
        pts = [_pt(g[i], g[i + 1]) for i in range(0, len(g) - 1, 2)]
        linestrip = len(pts) != 2 or (ann.extra or {}).get("shape_type") == "linestrip"
        return ("linestrip" if linestrip else "line"), pts, None
    if ann.kind == "point":
        return "point", [_pt(g[0], g[1])], None
    if ann.kind == "ellipse":
        if g[2] != g[3] or (len(g) > 4 and g[4] % 360):
            o.lost("an ellipse that is not an unrotated circle", ann)
            return None
        kept = (ann.extra or {}).get("circle_point")
        if not (isinstance(kept, list) and len(kept) == 2 and _radius(g[0], g[1], *kept) == g[2]):
            kept = _on_circle(g)
        return "circle", [_pt(g[0], g[1]), _pt(*kept)], None
    if ann.kind == "mask":
        return _mask_out(ann, o)
    o.lost(f"`{ann.kind}` annotations", ann)
    return None


def _mask_out(ann: Annotation, o: _Out) -> tuple[str, list[list[float | int]], str | None] | None:
    full = masks.decode(ann.geometry)
    rows = np.flatnonzero(full.any(axis=1))
    cols = np.flatnonzero(full.any(axis=0))
    if rows.size == 0:
        o.lost("an empty mask", ann)
        return None
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    png = masks.to_png(full[y0 : y1 + 1, x0 : x1 + 1])
    return "mask", [[x0, y0], [x1, y1]], base64.b64encode(png).decode("ascii")


# --------------------------------------------------------------------------------------------------
# detect


def detect(payload: Path) -> Detection:
    """A ``.json`` file, or a folder whose first JSON files, are LabelMe files."""
    if payload.is_file():
        if payload.suffix.lower() != ".json":
            return Detection(0.0, [f"{payload.name} is not a .json file"])
        problem = _detect_file(payload, payload.name)
        if problem:
            return Detection(0.0, [problem])
        return Detection(0.95, [f"found `shapes` and `imagePath` in {payload.name}"])
    if not payload.is_dir():
        return Detection(0.0, [f"{payload} does not exist"])
    seen, problem = detect_json_tree(payload, _detect_file)
    if problem:
        return Detection(0.0, [problem])
    return Detection(0.95, [f"found `shapes` and `imagePath` in the first {seen} JSON files"])


def _detect_file(path: Path, name: str) -> str | None:
    """Why a file is not LabelMe, or None when it looks like one."""
    return sniff_json_object(path, name, ("shapes", "imagePath"), "shapes", what="a LabelMe object")


SPEC = FormatSpec(
    name="labelme",
    title="LabelMe JSON",
    carries="one JSON per image (labelme 3.x-5.x): rectangle, polygon, line, linestrip, point, circle, "
    "mask; group_id, description, shape flags as attributes, image flags as top-level radio (or one "
    "checklist) answers. Not rotated boxes, non-circle ellipses, keypoints, multi-ring polygons, "
    "text answers or nested answers.",
    read=read,
    write=write,
    detect=detect,
    options={
        "image_root": "where the dataset root's images are, relative to the payload/output folder "
        "(or absolute); imagePath is resolved against / written towards it (default: that folder)",
        "flags_checklist": "a top-level checklist whose options are the image flags (default: each "
        "flag is an option of a top-level radio)",
    },
)
