"""labelport's Python annotation types: build labels in code and pass them to ``import_labels``.

They mirror the seed platform's SDK types (``Label``, ``ObjectAnnotation``, ``Rectangle``…) so a
converter written for one ports to the other by changing imports. They are serialised to the
NDJSON wire form and go through the very same reader and checks as an NDJSON file.

    Label(global_key="img-1", annotations=[
        ObjectAnnotation(name="car", value=Rectangle(start=Point(x=10, y=20), end=Point(x=110, y=70)),
                         classifications=[ClassificationAnnotation(
                             name="color", value=Radio(answer=ClassificationAnswer(name="red")))]),
        ClassificationAnnotation(name="weather", value=Radio(answer=ClassificationAnswer(name="sunny"))),
    ])
"""

from __future__ import annotations

from typing import Any

import msgspec


class Point(msgspec.Struct, kw_only=True):
    x: float
    y: float


class Rectangle(msgspec.Struct, kw_only=True):
    """Two opposite corners, in any order."""

    start: Point
    end: Point

    @classmethod
    def from_xywh(cls, x: float, y: float, w: float, h: float) -> Rectangle:
        return cls(start=Point(x=x, y=y), end=Point(x=x + w, y=y + h))


class Polygon(msgspec.Struct, kw_only=True):
    points: list[Point]


class Line(msgspec.Struct, kw_only=True):
    points: list[Point]


class Mask(msgspec.Struct, kw_only=True):
    """A segmentation mask: a 2-D array (nonzero = in), a PNG, or a composite PNG by URL and colour."""

    array: Any = None
    png: bytes | None = None
    url: str | None = None
    color: tuple[int, int, int] | None = None


class TextEntity(msgspec.Struct, kw_only=True):
    """A character span; ``end`` is inclusive, as in the NDJSON ``location``."""

    start: int
    end: int


class ClassificationAnswer(msgspec.Struct, kw_only=True):
    name: str | None = None
    feature_schema_id: str | None = None
    classifications: list[ClassificationAnnotation] = msgspec.field(default_factory=list)


class Radio(msgspec.Struct, kw_only=True):
    answer: ClassificationAnswer


class Checklist(msgspec.Struct, kw_only=True):
    answer: list[ClassificationAnswer]


class Text(msgspec.Struct, kw_only=True):
    answer: str


class ClassificationAnnotation(msgspec.Struct, kw_only=True):
    value: Radio | Checklist | Text
    name: str | None = None
    feature_schema_id: str | None = None
    uuid: str | None = None
    message_id: str | None = None


class ObjectAnnotation(msgspec.Struct, kw_only=True):
    value: Rectangle | Polygon | Line | Point | Mask | TextEntity
    name: str | None = None
    feature_schema_id: str | None = None
    classifications: list[ClassificationAnnotation] = msgspec.field(default_factory=list)
    uuid: str | None = None
    message_id: str | None = None
    page: int | None = None


class Relationship(msgspec.Struct, kw_only=True):
    source: ObjectAnnotation
    target: ObjectAnnotation
    type: str = "unidirectional"


class RelationshipAnnotation(msgspec.Struct, kw_only=True):
    value: Relationship
    name: str | None = None
    feature_schema_id: str | None = None
    uuid: str | None = None


class Label(msgspec.Struct, kw_only=True):
    """One data row's annotations; name the row by ``global_key`` or by ``data_row_id``."""

    annotations: list[ObjectAnnotation | ClassificationAnnotation | RelationshipAnnotation]
    global_key: str | None = None
    data_row_id: str | None = None
