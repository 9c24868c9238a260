"""labelport's Python annotation types to NDJSON lines (the wire form the NDJSON reader takes).

Ids: an annotation without a ``uuid`` gets one derived from its label and position, so building
the same objects twice gives the same payload and the second import is recognised as the same.
"""

from __future__ import annotations

import base64
import uuid as uuidlib
from collections.abc import Iterator, Sequence
from typing import Any

from labelport.formats import masks
from labelport.model.annotation_types import (
    Checklist,
    ClassificationAnnotation,
    ClassificationAnswer,
    Label,
    Line,
    Mask,
    ObjectAnnotation,
    Point,
    Polygon,
    Radio,
    Rectangle,
    RelationshipAnnotation,
    Text,
    TextEntity,
)
from labelport.model.errors import InvalidInputError

_NS = uuidlib.UUID("1b0b7b4e-4a5e-4d3b-9a57-5b6f1f3f0c21")


def _names(a: Any) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if a.name is not None:
        d["name"] = a.name
    if a.feature_schema_id is not None:
        d["schemaId"] = a.feature_schema_id
    return d


def _answer(a: ClassificationAnswer) -> dict[str, Any]:
    d = _names(a)
    if a.classifications:
        d["classifications"] = [_classification(c) for c in a.classifications]
    return d


def _classification(c: ClassificationAnnotation) -> dict[str, Any]:
    d = _names(c)
    v = c.value
    if isinstance(v, Radio):
        d["answer"] = _answer(v.answer)
    elif isinstance(v, Checklist):
        d["answer"] = [_answer(x) for x in v.answer]
    elif isinstance(v, Text):
        d["answer"] = v.answer
    return d


def _pts(points: Sequence[Point]) -> list[dict[str, float]]:
    return [{"x": p.x, "y": p.y} for p in points]


def _geometry(v: Any) -> dict[str, Any]:
    if isinstance(v, Rectangle):
        x0, x1 = sorted((v.start.x, v.end.x))
        y0, y1 = sorted((v.start.y, v.end.y))
        return {"bbox": {"top": y0, "left": x0, "height": y1 - y0, "width": x1 - x0}}
    if isinstance(v, Polygon):
        return {"polygon": _pts(v.points)}
    if isinstance(v, Line):
        return {"line": _pts(v.points)}
    if isinstance(v, Point):
        return {"point": {"x": v.x, "y": v.y}}
    if isinstance(v, TextEntity):
        return {"location": {"start": v.start, "end": v.end}}
    if isinstance(v, Mask):
        if v.url is not None:
            return {"mask": {"instanceURI": v.url, "colorRGB": list(v.color or (255, 255, 255))}}
        png = v.png if v.png is not None else masks.to_png(v.array)
        if v.color is not None:
            return {"mask": {"imBytes": base64.b64encode(png).decode(), "colorRGB": list(v.color)}}
        return {"mask": {"png": base64.b64encode(png).decode()}}
    raise InvalidInputError(f"not an annotation geometry: {type(v).__name__}", code="wrong_type")


def to_ndjson_lines(labels: Sequence[Label]) -> Iterator[dict[str, Any]]:
    for li, label in enumerate(labels):
        if not isinstance(label, Label):
            raise InvalidInputError(
                f"item {li} is a {type(label).__name__}, not a labelport Label", code="wrong_type"
            )
        if (label.global_key is None) == (label.data_row_id is None):
            raise InvalidInputError(
                f"label {li} needs exactly one of global_key and data_row_id", code="missing_field"
            )
        row = {"globalKey": label.global_key} if label.global_key is not None else {"id": label.data_row_id}
        ids: dict[int, str] = {}
        for ai, ann in enumerate(label.annotations):
            ids[id(ann)] = ann.uuid or str(uuidlib.uuid5(_NS, f"{row}:{ai}"))
        for ann in label.annotations:
            line: dict[str, Any] = {"uuid": ids[id(ann)], "dataRow": row, **_names(ann)}
            if isinstance(ann, ClassificationAnnotation):
                line.update(_classification(ann))
                if ann.message_id is not None:
                    line["messageId"] = ann.message_id
            elif isinstance(ann, RelationshipAnnotation):
                rel = ann.value
                missing = [e for e in (rel.source, rel.target) if id(e) not in ids]
                if missing:
                    raise InvalidInputError(
                        f"label {li}: a relationship names an annotation that is not in the same label",
                        code="relationship_endpoint_missing",
                    )
                line["relationship"] = {
                    "source": ids[id(rel.source)],
                    "target": ids[id(rel.target)],
                    "type": rel.type,
                }
            elif isinstance(ann, ObjectAnnotation):
                line.update(_geometry(ann.value))
                line["classifications"] = [_classification(c) for c in ann.classifications]
                if ann.message_id is not None:
                    line["messageId"] = ann.message_id
                if ann.page is not None:
                    line["page"] = ann.page
            else:
                raise InvalidInputError(
                    f"label {li}: not an annotation: {type(ann).__name__}", code="wrong_type"
                )
            yield line
