"""Import examples written for one project: the SDK call, the CLI command, a ``curl`` upload and
one valid payload sample per class of its ontology, in NDJSON and in AIMMO form.

A person writing a converter starts from a sample that already imports into their own project
(their class names, their data row, coordinates inside that row's image, frames, pages, messages,
time or map bounds) rather than from a generic example they must adapt; a test imports every
sample of every media type to keep that promise, with no error and no warning.

Each sample is shaped by the project's media type, as the readers take it:

=============== ======================================= =========================================
media           NDJSON                                  AIMMO
=============== ======================================= =========================================
image           bbox, polygon, line, point, mask,       box, polygon, poly_seg, polyline,
                relationship (with its two endpoints)   keypoint (one point, or a skeleton's all)
video           ``segments`` of ``keyframes``; masks    keyframes: ``frame_number``, ``track_id``
                per frame; answers over ``frames``      (``classification`` for a frame's answer)
image_sequence  (not read)                              a frame's file in the scene's folder
point_cloud     (not read)                              cuboid ``[cx, cy, cz, l, w, h, yaw]``
text            ``location`` (end inclusive)            classifications only
conversation    ``location`` + ``messageId``            (not read)
pdf             bbox + ``page`` + ``unit``;             (not read)
                ``textSelections`` of the text layer
geospatial      x = longitude, y = latitude             (not read)
audio           answers over ``frames`` in ms           (not read)
html            classifications                         (not read)
=============== ======================================= =========================================

Where a format has no form for a class (AIMMO has no masks or relationships, NDJSON no skeletons
or cuboids) or the media type takes no such tool, the sample says so in ``note`` and carries no
text: an invented form would fail on import, which is worse than none.
"""

from __future__ import annotations

import base64
import io
import json
import shlex
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import msgspec
from PIL import Image, ImageDraw

from labelport.model.catalog import DataRow, Project
from labelport.model.ontology import TOOL_ALIASES, ToolKind

PLACEHOLDER_KEY = "<global key of a data row>"
NDJSON_MEDIA = ("image", "text", "conversation", "html", "pdf", "geospatial", "video", "audio")
AIMMO_MEDIA = ("image", "video", "image_sequence", "point_cloud", "text")
NDJSON_LACKS = {
    ToolKind.SKELETON: "NDJSON has no skeleton form: use the AIMMO sample, or COCO keypoints",
    ToolKind.ELLIPSE: "NDJSON has no ellipse form: import ellipses as CVAT XML",
}
# what an endpoint of a sample relationship may be, most familiar first
ENDPOINT_TOOLS = (
    ToolKind.RECTANGLE,
    ToolKind.POLYGON,
    ToolKind.POINT,
    ToolKind.LINE,
    ToolKind.NAMED_ENTITY,
    ToolKind.POLY_SEG,
)


class SampleLine(msgspec.Struct, kw_only=True):
    name: str  # the class
    kind: str  # its tool or classification type
    text: str  # NDJSON line(s), or one AIMMO GT file; empty when `note` says there is none
    note: str = ""  # what the sample needs, or why the format has no form for this class


class Samples(msgspec.Struct, kw_only=True):
    python: str
    cli: str
    curl: str
    ndjson: list[SampleLine]
    aimmo: list[SampleLine]
    data_row: str  # the row the samples are written for


@dataclass(frozen=True)
class _Row:
    """What a sample needs of its project and row: media type, key, probed metadata, and the
    region (x, y, w, h) in the units shapes take there (pixels, PDF points or degrees)."""

    media: str
    key: str
    meta: dict[str, Any]
    row: DataRow | None
    region: tuple[float, float, float, float]
    tools: list[dict[str, Any]]
    classes: list[dict[str, Any]]
    takes: Callable[[ToolKind, str], bool]


def build(
    project: Project,
    spec: dict[str, Any],
    server: str,
    row: DataRow | None = None,
    *,
    takes: Callable[[ToolKind, str], bool],
) -> Samples:
    """Every sample for ``project``; ``row`` is one of its data rows (a placeholder when it has
    none). ``takes(tool, media)`` says whether a media type takes a tool at all: the validator's
    rule, handed in by the API so this page code does not reach into validation."""
    media = str(getattr(project.media_type, "value", project.media_type))
    meta = dict(row.metadata) if row else {}
    ctx = _Row(
        media=media,
        key=row.global_key if row else PLACEHOLDER_KEY,
        meta=meta,
        row=row,
        region=_region(media, meta),
        tools=list(spec.get("tools", [])),
        classes=list(spec.get("classifications", [])),
        takes=takes,
    )
    name = project.name
    # a media type NDJSON does not read (scenes) is imported as an AIMMO tree, zipped for upload
    fmt, payload, upload = (
        ("ndjson", "labels.ndjson", "labels.ndjson") if media in NDJSON_MEDIA else ("aimmo", "gt/", "gt.zip")
    )
    python = (
        "import labelport\n\n"
        f'client = labelport.Client("{server}", "<your token>")\n'
        f'job = client.import_labels({name!r}, "{payload}", format="{fmt}", dry_run=True)\n'
        "print(job.wait().counts)\n"
    )
    cli = f"labelport import {shlex.quote(name)} {payload} --format {fmt} --dry-run"
    curl = (
        'curl -H "Authorization: Bearer $LABELPORT_TOKEN" \\\n'
        f"     --data-binary @{upload} \\\n"
        f"     '{server}/imports?project={quote(name, safe='')}"
        f"&format={fmt}&dry_run=true&filename={upload}'"
    )
    classes = ctx.classes
    return Samples(
        python=python,
        cli=cli,
        curl=curl,
        ndjson=[_ndjson_tool(t, ctx) for t in ctx.tools] + [_ndjson_classification(c, ctx) for c in classes],
        aimmo=[_aimmo(t, ctx, tool=True) for t in ctx.tools] + [_aimmo(c, ctx, tool=False) for c in classes],
        data_row=ctx.key,
    )


# --- shared ground --------------------------------------------------------------------------------


def _uid(*parts: str) -> str:
    """Stable across page loads: the same sample line each time, so re-importing it replaces."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "labelport-sample/" + "/".join(parts)))


def _kind(t: dict[str, Any]) -> ToolKind | None:
    raw = str(t.get("tool", ""))
    if raw in TOOL_ALIASES:
        return TOOL_ALIASES[raw]
    try:
        return ToolKind(raw)
    except ValueError:
        return None


def _num(v: float) -> float | int:
    """Whole numbers stay integers (pixels); others keep six decimals (degrees, PDF points)."""
    return int(v) if float(v).is_integer() else round(v, 6)


def _size(meta: dict[str, Any]) -> tuple[int, int]:
    w, h = meta.get("width"), meta.get("height")
    return (
        (int(w), int(h)) if isinstance(w, int | float) and isinstance(h, int | float) and w and h else (0, 0)
    )


def _frames(meta: dict[str, Any]) -> list[dict[str, Any]]:
    frames = meta.get("frames")
    return [f for f in frames if isinstance(f, dict)] if isinstance(frames, list) else []


def _region(media: str, meta: dict[str, Any]) -> tuple[float, float, float, float]:
    """A rectangle well inside the row: the middle quarter of its image, first frame or first
    page, or of its map bounds; 100x100 units for a row not known yet."""
    if media == "geospatial" and isinstance(meta.get("bounds"), list):
        (x0, y0), (x1, y1) = meta["bounds"]
        return x0 + (x1 - x0) / 4, y0 + (y1 - y0) / 4, (x1 - x0) / 2, (y1 - y0) / 2
    if media == "pdf" and isinstance(meta.get("pages"), list) and meta["pages"]:
        w, h = _size(meta["pages"][0]) if isinstance(meta["pages"][0], dict) else (0, 0)
    elif media in ("image_sequence", "point_cloud") and _frames(meta):
        w, h = _size(_frames(meta)[0])
    else:
        w, h = _size(meta)
    w, h = (w, h) if w and h else (100, 100)
    return w // 4, h // 4, max(1, w // 2), max(1, h // 2)


def _shifted(ctx: _Row, i: int) -> tuple[float, float, float, float]:
    """The region, moved and shrunk for the ``i``-th shape of a sample, so two endpoints differ."""
    x, y, w, h = ctx.region
    if i == 0:
        return ctx.region
    geo = ctx.media == "geospatial"
    half_w, half_h = (w / 2, h / 2) if geo else (max(1, int(w) // 2), max(1, int(h) // 2))
    return x + w - half_w, y + h - half_h, half_w, half_h


def _answer(c: dict[str, Any]) -> Any:
    options = c.get("options") or []
    first = {"name": options[0]["value"]} if options else None
    if c.get("type") == "checklist":
        return [first] if first else []
    if c.get("type") == "text" or first is None:
        return "example text"
    return first


def _required(t: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": c["name"], "answer": _answer(c)} for c in t.get("classifications", []) if c.get("required")
    ]


def _no(name: str, kind: str, note: str) -> SampleLine:
    return SampleLine(name=name, kind=kind, text="", note=note)


# --- NDJSON ---------------------------------------------------------------------------------------


def _ndjson_tool(t: dict[str, Any], ctx: _Row) -> SampleLine:
    name, raw = t["name"], str(t.get("tool", ""))
    kind = _kind(t)
    if ctx.media not in NDJSON_MEDIA:
        return _no(name, raw, f"NDJSON does not import into {ctx.media} projects: use the AIMMO form")
    if kind is None or not ctx.takes(kind, ctx.media):
        return _no(name, raw, f"{ctx.media} projects take no {raw} annotations")
    if kind is ToolKind.EDGE:
        return _relationship(t, ctx)
    shape = _ndjson_shape(kind, t, ctx, 0)
    if isinstance(shape, str):
        return _no(name, raw, shape)
    line = {"uuid": _uid("ndjson", name), "dataRow": {"globalKey": ctx.key}, "name": name, **shape}
    note = ""
    if kind is ToolKind.NAMED_ENTITY and ctx.media in ("text", "conversation"):
        note = "`location.end` is the last character (inclusive), counted in characters from 0"
    return SampleLine(name=name, kind=raw, text=json.dumps(line), note=note)


def _ndjson_shape(kind: ToolKind, t: dict[str, Any], ctx: _Row, i: int) -> dict[str, Any] | str:
    """The shape keys of one NDJSON object line of tool ``t`` (its ``i``-th copy), or why none."""
    nested = _required(t)
    with_nested: dict[str, Any] = {"classifications": nested} if nested else {}
    if ctx.media == "video":
        return _video_object(kind, t, ctx, i)
    if kind is ToolKind.NAMED_ENTITY:
        span = _entity(ctx, i)
        return span if isinstance(span, str) else {**span, **with_nested}
    if kind is ToolKind.RASTER_SEGMENTATION:
        size = _size(ctx.meta)
        if not size[0]:
            return "a mask sample needs the row's size: add a probed row to the project"
        return {"mask": {"png": _mask_png(size, ctx.region)}, **with_nested}
    shape = _flat_shape(kind, _shifted(ctx, i))
    if shape is None:
        return NDJSON_LACKS.get(kind, f"NDJSON has no form for {t.get('tool')}")
    if ctx.media == "pdf":
        shape = {**shape, "page": 1, "unit": "POINTS"}
    return {**shape, **with_nested}


def _flat_shape(kind: ToolKind, region: tuple[float, float, float, float]) -> dict[str, Any] | None:
    x0, y0, w0, h0 = region
    x, y, w, h = _num(x0), _num(y0), _num(w0), _num(h0)
    x2, y2 = _num(x0 + w0), _num(y0 + h0)
    xm, ym = _num(x0 + _half(w0)), _num(y0 + _half(h0))
    if kind is ToolKind.RECTANGLE:
        return {"bbox": {"left": x, "top": y, "width": w, "height": h}}
    if kind in (ToolKind.POLYGON, ToolKind.POLY_SEG):
        return {"polygon": [{"x": x, "y": y}, {"x": x2, "y": y}, {"x": xm, "y": y2}]}
    if kind is ToolKind.LINE:
        return {"line": [{"x": x, "y": y}, {"x": x2, "y": y2}]}
    if kind is ToolKind.POINT:
        return {"point": {"x": xm, "y": ym}}
    return None


def _half(v: float) -> float:
    """Half a length: whole pixels stay whole (a point at a pixel), degrees and points halve."""
    return v // 2 if float(v).is_integer() else v / 2


def _entity(ctx: _Row, i: int) -> dict[str, Any] | str:
    """A text span (text: ``location``; conversation: in its first message) or a PDF selection of
    the text layer's first tokens; ``i`` picks another span for a relationship's second end."""
    if ctx.media == "pdf":
        tokens = [
            (t["id"], g["id"], p.get("page", n + 1))
            for n, p in enumerate(ctx.meta.get("text_layer") or [])
            for g in p.get("groups", [])
            for t in g.get("tokens", [])
        ]
        if len(tokens) <= i:
            return "a PDF entity selects tokens of the text layer, and this row has none"
        token, group, page = tokens[i]
        return {"textSelections": [{"tokenIds": [token], "groupId": group, "page": page}]}
    if ctx.media == "conversation":
        messages = [m for m in ctx.meta.get("messages") or [] if isinstance(m, dict) and m.get("length")]
        if not messages:
            return "a conversation entity sits in a message, and this row has no message with text"
        m = messages[0]
        start, end = _span(int(m["length"]), i)
        return {"messageId": m["id"], "location": {"start": start, "end": end}}
    length = int(ctx.meta.get("length") or (10 if ctx.row is None else 0))
    if not length:
        return "this text row is empty: a span needs a character"
    start, end = _span(length, i)
    return {"location": {"start": start, "end": end}}


def _span(length: int, i: int) -> tuple[int, int]:
    """The ``i``-th of two short spans inside ``length`` characters, end inclusive."""
    if i == 0 or length < 2:
        return 0, min(length, 3) - 1
    start = max(1, length // 2)
    return start, min(length, start + 3) - 1


def _mask_png(size: tuple[int, int], region: tuple[float, float, float, float], rgb: bool = False) -> str:
    img = Image.new("RGB" if rgb else "L", size, 0)
    x, y, w, h = (int(v) for v in region)
    ImageDraw.Draw(img).rectangle([x, y, x + w - 1, y + h - 1], fill=(255, 0, 0) if rgb else 255)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _video_frames(ctx: _Row) -> tuple[int, int]:
    """Two keyframes inside the video (the first and the fifth, or its last)."""
    count = int(ctx.meta.get("frame_count") or (5 if ctx.row is None else 1))
    return 1, max(1, min(count, 5))


def _video_object(kind: ToolKind, t: dict[str, Any], ctx: _Row, i: int) -> dict[str, Any] | str:
    first, last = _video_frames(ctx)
    if kind is ToolKind.RASTER_SEGMENTATION:
        size = _size(ctx.meta)
        if not size[0]:
            return "a mask sample needs the video's size: add a probed row to the project"
        return {
            "masks": {
                "frames": [{"index": first, "imBytes": _mask_png(size, ctx.region, rgb=True)}],
                "instances": [{"colorRGB": [255, 0, 0], "name": t["name"]}],
            }
        }
    nested = _required(t)
    keyframes = []
    for n, frame in enumerate(sorted({first, last})):
        shape = _flat_shape(kind, _shifted(ctx, i + n))
        if shape is None:
            return f"video keyframes are boxes, points or lines, not {t.get('tool')}"
        keyframes.append({"frame": frame, **shape, **({"classifications": nested} if nested else {})})
    return {"segments": [{"keyframes": keyframes}]}


def _relationship(t: dict[str, Any], ctx: _Row) -> SampleLine:
    """Two endpoint objects and the relationship between them: its ``source`` and ``target`` are
    uuids of annotations in the same payload, so the sample is three lines."""
    name, raw = t["name"], str(t.get("tool", ""))
    ends = [
        (e, k)
        for e in ctx.tools
        if (k := _kind(e)) in ENDPOINT_TOOLS and k is not None and ctx.takes(k, ctx.media)
    ]
    if not ends:
        return _no(
            name, raw, "a relationship joins two annotations: the ontology has no tool to draw them with here"
        )
    end, kind = ends[0]
    lines = []
    for i in (0, 1):
        shape = _ndjson_shape(kind, end, ctx, i)
        if isinstance(shape, str):
            return _no(name, raw, shape)
        ident = _uid("ndjson", name, "end", str(i))
        lines.append({"uuid": ident, "dataRow": {"globalKey": ctx.key}, "name": end["name"], **shape})
    rel = {"source": lines[0]["uuid"], "target": lines[1]["uuid"], "type": "unidirectional"}
    lines.append(
        {"uuid": _uid("ndjson", name), "dataRow": {"globalKey": ctx.key}, "name": name, "relationship": rel}
    )
    note = f"its source and target are the uuids of two {end['name']} annotations of the same payload"
    return SampleLine(name=name, kind=raw, text="\n".join(json.dumps(x) for x in lines), note=note)


def _ndjson_classification(c: dict[str, Any], ctx: _Row) -> SampleLine:
    name, kind = c["name"], c.get("type", "radio")
    if ctx.media not in NDJSON_MEDIA:
        return _no(name, kind, f"NDJSON does not import into {ctx.media} projects: use the AIMMO form")
    line: dict[str, Any] = {"uuid": _uid("ndjson", name), "dataRow": {"globalKey": ctx.key}, "name": name}
    over_time = c.get("scope") == "index"
    note = ""
    if over_time and ctx.media in ("video", "audio"):
        if ctx.media == "video":
            first, last = _video_frames(ctx)
            span, unit = {"start": first, "end": last}, "frames (1-based, both ends included)"
        else:
            duration = int(ctx.meta.get("duration_ms") or (1000 if ctx.row is None else 0))
            span, unit = {"start": 0, "end": max(0, min(duration, 1000))}, "milliseconds"
        answer = _answer(c)
        if isinstance(answer, str):
            line["answer"] = [{"value": answer, "frames": [span]}]
        else:
            line["answer"] = [
                {**a, "frames": [span]} for a in (answer if isinstance(answer, list) else [answer])
            ]
        note = f"answered over time: each answer's `frames` are ranges in {unit}"
    else:
        line["answer"] = _answer(c)
        if over_time and ctx.media == "conversation":
            messages = [m for m in ctx.meta.get("messages") or [] if isinstance(m, dict)]
            if messages:
                line["messageId"] = messages[0]["id"]
                note = "answered for one message (`messageId`); without it, for the whole conversation"
    return SampleLine(name=name, kind=kind, text=json.dumps(line), note=note)


# --- AIMMO ----------------------------------------------------------------------------------------


def _aimmo_file(ctx: _Row) -> dict[str, Any]:
    """A GT file's envelope: the row's own file, or a scene's first frame in the scene's folder."""
    row = ctx.row
    doc: dict[str, Any] = {"annotations": [], "attributes": {}}
    frames = _frames(ctx.meta)
    if ctx.media in ("image_sequence", "point_cloud") and frames:
        folder = f"{row.parent_path.rstrip('/')}/{row.filename}" if row else "<scene folder>"
        doc.update(filename=str(frames[0].get("filename")), parent_path=folder, metadata={})
        if ctx.media == "image_sequence":
            doc["metadata"] = dict(zip(("width", "height"), _size(frames[0]), strict=True))
        return doc
    doc["filename"] = row.filename if row else "<file name>"
    doc["parent_path"] = row.parent_path if row else "<folder>"
    size = _size(ctx.meta)
    if ctx.media == "image" and size[0]:
        doc["metadata"] = {"width": size[0], "height": size[1]}
    elif ctx.media == "video" and ctx.meta.get("fps"):
        doc["metadata"] = {"fps": ctx.meta["fps"]}
    return doc


def _aimmo_points(kind: ToolKind, t: dict[str, Any], ctx: _Row) -> tuple[str, Any] | str:
    x, y, w, h = ctx.region
    if kind is ToolKind.RECTANGLE:
        return "box", [[x, y], [x + w, y + h]]
    if kind in (ToolKind.POLYGON, ToolKind.POLY_SEG):
        return ("poly_seg" if kind is ToolKind.POLY_SEG else "polygon"), [
            [x, y],
            [x + w, y],
            [x + w // 2, y + h],
        ]
    if kind is ToolKind.LINE:
        return "polyline", [[x, y], [x + w, y + h]]
    if kind is ToolKind.POINT:
        return "keypoint", [[x + w // 2, y + h // 2]]
    if kind is ToolKind.SKELETON:
        names = t.get("keypoints") or []
        if not names:
            return "the skeleton names no keypoints in the ontology"
        n = len(names)
        return "keypoint", [
            [x + (w * k) // max(1, n - 1) if n > 1 else x + w // 2, y + h // 2] for k in range(n)
        ]
    if kind is ToolKind.CUBOID:
        return _cuboid(ctx)
    return f"AIMMO has no form for {t.get('tool')}"


def _cuboid(ctx: _Row) -> tuple[str, Any] | str:
    """A cuboid ``[cx, cy, cz, length, width, height, yaw]`` centred in the first frame's points."""
    frames = _frames(ctx.meta)
    bounds = (frames[0] if frames else ctx.meta).get("bounds")
    if not (isinstance(bounds, list) and len(bounds) == 6):
        if ctx.row is not None:
            return "the point cloud has no probed bounds to put a cuboid in"
        bounds = [-1, -1, -1, 1, 1, 1]
    centre = [_num((lo + hi) / 2) for lo, hi in zip(bounds[:3], bounds[3:], strict=True)]
    size = [_num(max(0.1, round((hi - lo) / 4, 3))) for lo, hi in zip(bounds[:3], bounds[3:], strict=True)]
    return "cuboid", [*centre, *size, 0]


def _aimmo(c: dict[str, Any], ctx: _Row, *, tool: bool) -> SampleLine:
    name = c["name"]
    raw = str(c.get("tool", "")) if tool else c.get("type", "radio")
    if ctx.media not in AIMMO_MEDIA:
        return _no(name, raw, f"AIMMO has no form for {ctx.media} projects: use the NDJSON sample")
    doc = _aimmo_file(ctx)
    note = ""
    if tool:
        kind = _kind(c)
        if kind is None or not ctx.takes(kind, ctx.media):
            return _no(name, raw, f"{ctx.media} projects take no {raw} annotations")
        if kind in (ToolKind.RASTER_SEGMENTATION, ToolKind.EDGE, ToolKind.NAMED_ENTITY, ToolKind.ELLIPSE):
            what = {
                ToolKind.RASTER_SEGMENTATION: "raster masks",
                ToolKind.EDGE: "relationships",
                ToolKind.NAMED_ENTITY: "text entities",
                ToolKind.ELLIPSE: "ellipses",
            }[kind]
            return _no(name, raw, f"AIMMO has no form for {what}: use the NDJSON sample")
        shape = _aimmo_points(kind, c, ctx)
        if isinstance(shape, str):
            return _no(name, raw, shape)
        kind_name, points = shape
        ann: dict[str, Any] = {
            "id": "1-" + _uid("aimmo", name),  # AIMMO ids are <number>-<uuid>
            "type": kind_name,
            "label": name,
            "attributes": {
                n["name"]: _aimmo_value(n) for n in c.get("classifications", []) if n.get("required")
            },
            "points": points,
        }
        if ctx.media == "video":
            ann.update(frame_number=1, track_id=1)
            note = "one keyframe: `frame_number` is 1-based, `track_id` joins an object's keyframes"
        elif ctx.media in ("image_sequence", "point_cloud"):
            ann["track_id"] = 1
            note = "one file per frame, in the scene's folder; `track_id` joins an object across frames"
        if kind is ToolKind.SKELETON:
            note = "one point per keypoint of the skeleton, in the ontology's order: " + ", ".join(
                c.get("keypoints") or []
            )
        doc["annotations"].append(ann)
    elif c.get("scope") == "index" and ctx.media == "video" and c.get("type") == "radio" and c.get("options"):
        value = c["options"][0]["value"]
        others = [
            o["name"]
            for o in ctx.classes
            if o is not c
            and o.get("type") == "radio"
            and value in {x.get("value") for x in o.get("options") or []}
        ]
        if others:
            return _no(
                name,
                raw,
                f"AIMMO names a frame's answer by its option alone, and {value!r} is an option of "
                f"{', '.join(others)} too: use the NDJSON sample, or give the options distinct names",
            )
        doc["annotations"].append(
            {
                "id": "1-" + _uid("aimmo", name),
                "type": "classification",
                "label": value,
                "attributes": {},
                "frame_number": 1,
            }
        )
        note = "a frame's answer: a `classification` entry whose label is the option, on its `frame_number`"
    else:
        doc["attributes"] = {name: _aimmo_value(c)}
    return SampleLine(name=name, kind=raw, text=json.dumps(doc), note=note)


def _aimmo_value(c: dict[str, Any]) -> Any:
    answer = _answer(c)
    if isinstance(answer, list):
        return [a["name"] for a in answer]
    if isinstance(answer, dict):
        return answer["name"]
    return answer
