"""What the file-per-image and class-list formats (COCO, YOLO, VOC, CVAT, Label Studio, LabelMe)
share, so each module holds only what is its own.

Readers name a row by the image path the file gives (``RowRef(filename=...)``: a path relative to
the dataset root, or a basename that validation accepts only when it is unique), put a format's
per-object attributes, typed as the file gave them, in ``Annotation.extra["attributes"]``, and
state the image size the file claims in ``Record.image_size``. Writers use the helpers below to
name rows, spell numbers and flatten answers back into attributes, and report through
:func:`cannot_carry` whatever their format cannot express.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from labelport.formats.base import ExportContext, ExportRow, issue
from labelport.model.issues import Issue, Location, Severity
from labelport.model.ontology import Tool, ToolKind
from labelport.model.records import Annotation, answer_attribute


def row_path(row: ExportRow) -> str:
    """The row's path relative to its dataset root (``train/0001.jpg``): what import matches first."""
    parent = (row.ref.parent_path or "").strip("/")
    name = row.ref.filename or (row.ref.global_key or "").rsplit("/", 1)[-1]
    return f"{parent}/{name}" if parent else name


def number(v: float) -> str:
    """The shortest text that reads back as the same float (``320``, ``0.1``, ``12.345678901234567``)."""
    if isinstance(v, int) or (isinstance(v, float) and math.isfinite(v) and v.is_integer()):
        return str(int(v))
    return repr(float(v))


def plain(v: float) -> float | int:
    """A number for a JSON writer: integral floats as ints, so files read like the tools' own."""
    return int(v) if isinstance(v, float) and math.isfinite(v) and v.is_integer() else v


def tools_of(ctx: ExportContext, kinds: Iterable[ToolKind]) -> list[Tool]:
    """The ontology's tools of the given kinds, in ontology order (class ids follow this order)."""
    wanted = set(kinds)
    return [t for t in ctx.ontology.tools if t.kind in wanted]


def flat_attributes(ann: Annotation) -> tuple[dict[str, Any], list[str]]:
    """An object's answers and kept attributes as one flat ``name -> value`` map, and the names of
    answers a flat map loses something of (nested answers, frame ranges)."""
    attrs: dict[str, Any] = dict((ann.extra or {}).get("attributes", {}))
    lost: list[str] = []
    for a in ann.classifications:
        value, lossy = answer_attribute(a)
        attrs[a.name or ""] = value
        if lossy:
            lost.append(a.name or "")
    return attrs, lost


def cannot_carry(
    fmt: str,
    what: str,
    row: ExportRow | None,
    ann: Annotation | None = None,
    *,
    severity: Severity | None = None,
) -> Issue:
    """The export summary's entry for something a format cannot express; never dropped unsaid.

    ``severity=Severity.INFO`` is for a source file's bookkeeping that is not a label (its own ids,
    ``source``, ``area``): reported, but an export losing only that still succeeds (exit 0).
    """
    return issue(
        "unsupported_annotation",
        f"{fmt} cannot carry {what}",
        Location(
            data_row=row.ref.global_key if row is not None else None,
            annotation_id=ann.uid if ann is not None else None,
        ),
        severity=severity,
    )
