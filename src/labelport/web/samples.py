"""Import examples written for one project: the SDK call, the CLI command, a ``curl`` upload and
one valid payload line per class of its ontology, in NDJSON and in AIMMO form.

A person writing a converter starts from a line that already imports into their own project
(their class names, their data row, coordinates inside the row's image) rather than from a generic
example they must adapt; a test imports every sample as a dry run to keep that promise.
"""

from __future__ import annotations

import base64
import io
import json
import shlex
import uuid
from typing import Any

import msgspec
from PIL import Image, ImageDraw

from labelport.model.catalog import DataRow, Project

PLACEHOLDER_KEY = "<global key of a data row>"


class SampleLine(msgspec.Struct, kw_only=True):
    name: str  # the class
    kind: str  # its tool or classification type
    text: str  # one NDJSON line, or one AIMMO GT file


class Samples(msgspec.Struct, kw_only=True):
    python: str
    cli: str
    curl: str
    ndjson: list[SampleLine]
    aimmo: list[SampleLine]
    data_row: str  # the row the samples are written for


def build(project: Project, spec: dict[str, Any], server: str, row: DataRow | None = None) -> Samples:
    """Every sample for ``project``; ``row`` is one of its data rows (a placeholder when it has none)."""
    key = row.global_key if row else PLACEHOLDER_KEY
    size = (
        (int(row.metadata.get("width", 0) or 0), int(row.metadata.get("height", 0) or 0)) if row else (0, 0)
    )
    name = project.name
    python = (
        "import labelport\n\n"
        f'client = labelport.Client("{server}", "<your token>")\n'
        f'job = client.import_labels({name!r}, "labels.ndjson", format="ndjson", dry_run=True)\n'
        "print(job.wait().counts)\n"
    )
    cli = f"labelport import {shlex.quote(name)} labels.ndjson --format ndjson --dry-run"
    curl = (
        'curl -H "Authorization: Bearer $LABELPORT_TOKEN" \\\n'
        "     --data-binary @labels.ndjson \\\n"
        f"     '{server}/imports?project={_q(name)}&format=ndjson&dry_run=true&filename=labels.ndjson'"
    )
    ndjson = [_ndjson_tool(t, key, size) for t in spec.get("tools", [])]
    ndjson += [_ndjson_classification(c, key) for c in spec.get("classifications", [])]
    aimmo = [_aimmo(t, row, size, tool=True) for t in spec.get("tools", [])]
    aimmo += [_aimmo(c, row, size, tool=False) for c in spec.get("classifications", [])]
    return Samples(
        python=python,
        cli=cli,
        curl=curl,
        ndjson=[s for s in ndjson if s is not None],
        aimmo=[s for s in aimmo if s is not None],
        data_row=key,
    )


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _uid(*parts: str) -> str:
    """Stable across page loads: the same sample line each time, so re-importing it replaces."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "labelport-sample/" + "/".join(parts)))


def _box(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """A box inside the row's image: a quarter of it, away from the edges."""
    w, h = size if size[0] and size[1] else (100, 100)
    return w // 4, h // 4, max(1, w // 2), max(1, h // 2)


def _answer(c: dict[str, Any]) -> Any:
    options = c.get("options") or []
    first = {"name": options[0]["value"]} if options else None
    if c.get("type") == "checklist":
        return [first] if first else []
    if c.get("type") == "text" or first is None:
        return "example text"
    return first


def _ndjson_geometry(tool: str, size: tuple[int, int]) -> dict[str, Any] | None:
    x, y, w, h = _box(size)
    if tool == "rectangle":
        return {"bbox": {"left": x, "top": y, "width": w, "height": h}}
    if tool in ("polygon", "poly_seg"):
        return {"polygon": [{"x": x, "y": y}, {"x": x + w, "y": y}, {"x": x + w // 2, "y": y + h}]}
    if tool == "line":
        return {"line": [{"x": x, "y": y}, {"x": x + w, "y": y + h}]}
    if tool == "point":
        return {"point": {"x": x + w // 2, "y": y + h // 2}}
    if tool == "named-entity":
        return {"location": {"start": 0, "end": 3}}
    if tool == "raster-segmentation" and size[0] and size[1]:
        return {"mask": {"png": _mask_png(size)}}
    return None


def _mask_png(size: tuple[int, int]) -> str:
    img = Image.new("L", size, 0)
    x, y, w, h = _box(size)
    ImageDraw.Draw(img).rectangle([x, y, x + w - 1, y + h - 1], fill=255)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _ndjson_tool(t: dict[str, Any], key: str, size: tuple[int, int]) -> SampleLine | None:
    geometry = _ndjson_geometry(t["tool"], size)
    if geometry is None:
        return None
    line: dict[str, Any] = {
        "uuid": _uid("ndjson", t["name"]),
        "dataRow": {"globalKey": key},
        "name": t["name"],
    }
    line.update(geometry)
    nested = [
        {"name": c["name"], "answer": _answer(c)} for c in t.get("classifications", []) if c.get("required")
    ]
    if nested:
        line["classifications"] = nested
    return SampleLine(name=t["name"], kind=t["tool"], text=json.dumps(line))


def _ndjson_classification(c: dict[str, Any], key: str) -> SampleLine:
    line = {
        "uuid": _uid("ndjson", c["name"]),
        "dataRow": {"globalKey": key},
        "name": c["name"],
        "answer": _answer(c),
    }
    return SampleLine(name=c["name"], kind=c.get("type", "radio"), text=json.dumps(line))


def _aimmo_points(tool: str, size: tuple[int, int]) -> tuple[str, Any] | None:
    x, y, w, h = _box(size)
    if tool == "rectangle":
        return "box", [[x, y], [x + w, y + h]]
    if tool in ("polygon", "poly_seg"):
        return ("poly_seg" if tool == "poly_seg" else "polygon"), [[x, y], [x + w, y], [x + w // 2, y + h]]
    if tool == "line":
        return "polyline", [[x, y], [x + w, y + h]]
    if tool == "point":
        return "keypoint", [[x + w // 2, y + h // 2]]
    return None


def _aimmo(c: dict[str, Any], row: DataRow | None, size: tuple[int, int], *, tool: bool) -> SampleLine | None:
    doc: dict[str, Any] = {
        "annotations": [],
        "attributes": {},
        "filename": row.filename if row else "<file name>",
        "parent_path": row.parent_path if row else "<folder>",
    }
    if size[0] and size[1]:
        doc["metadata"] = {"width": size[0], "height": size[1]}
    if tool:
        shape = _aimmo_points(c["tool"], size)
        if shape is None:
            return None
        kind, points = shape
        ann: dict[str, Any] = {
            "id": "1-" + _uid("aimmo", c["name"]),  # AIMMO ids are <number>-<uuid>
            "type": kind,
            "label": c["name"],
            "points": points,
        }
        required = {n["name"]: _aimmo_value(n) for n in c.get("classifications", []) if n.get("required")}
        ann["attributes"] = required
        doc["annotations"].append(ann)
        kind_name = c["tool"]
    else:
        doc["attributes"] = {c["name"]: _aimmo_value(c)}
        kind_name = c.get("type", "radio")
    return SampleLine(name=c["name"], kind=kind_name, text=json.dumps(doc))


def _aimmo_value(c: dict[str, Any]) -> Any:
    answer = _answer(c)
    if isinstance(answer, list):
        return [a["name"] for a in answer]
    if isinstance(answer, dict):
        return answer["name"]
    return answer
