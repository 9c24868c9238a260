"""The document media rules on their own: unit conversion, and rows whose metadata came from a
manifest rather than the probe (so it may lack what the probe always writes)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from labelport.model.records import Annotation
from labelport.validate.document import check_pdf
from labelport.validate.text import check_conversation, check_text

PAGES = {"page_count": 1, "pages": [{"width": 600.0, "height": 800.0}]}


@pytest.mark.parametrize(
    ("unit", "given", "points"),
    [
        ("POINTS", [10, 20, 30, 40], [10, 20, 30, 40]),
        ("PIXELS", [10, 20, 30, 40], [10, 20, 30, 40]),  # 72 dpi: a pixel is a point
        ("INCHES", [1, 2, 0.5, 0.25], [72, 144, 36, 18]),
        ("PERCENT", [10, 25, 50, 50], [60, 200, 300, 400]),
    ],
)
def test_box_units_become_points(unit: str, given: list[float], points: list[float]) -> None:
    ann = Annotation(kind="bbox", geometry=given, page=1, extra={"unit": unit})
    assert check_pdf(ann, PAGES) == []
    assert all(math.isclose(a, b) for a, b in zip(ann.geometry, points, strict=True))
    assert ann.extra is None


def test_a_box_without_unit_is_in_points() -> None:
    ann = Annotation(kind="bbox", geometry=[1, 2, 3, 4], page=1)
    assert check_pdf(ann, PAGES) == [] and ann.geometry == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("meta", "code"),
    [
        ({}, "missing_dimensions"),
        ({"pages": [{"width": 600.0}]}, "missing_dimensions"),
        ({"pages": ["?"]}, "missing_dimensions"),
    ],
)
def test_rows_without_page_sizes(meta: dict[str, Any], code: str) -> None:
    ann = Annotation(kind="bbox", geometry=[1, 2, 3, 4], page=1, extra={"unit": "POINTS"})
    assert [p[0] for p in check_pdf(ann, meta)] == [code]


@pytest.mark.parametrize(
    "layer",
    [
        None,
        [{"page": 1, "groups": [{"id": "g", "tokens": [{"text": "no id"}]}]}],
        [{"page": 1}],
        [],
        "not a list",
    ],
)
def test_selections_on_a_missing_or_foreign_text_layer(layer: Any) -> None:
    sel = {"selections": [{"tokenIds": ["t"], "groupId": "g", "page": 1}]}
    ann = Annotation(kind="entity", geometry=sel)
    problems = check_pdf(ann, {**PAGES, "text_layer": layer})
    assert [p[0] for p in problems] == ["token_not_found"]


def test_text_without_a_probed_length() -> None:
    ann = Annotation(kind="entity", geometry=[0, 3])
    assert [p[0] for p in check_text(ann, {})] == ["missing_dimensions"]


@pytest.mark.parametrize("messages", [None, [], ["junk"], [{"id": "m-2", "length": 4}]])
def test_conversation_rows_without_that_message(messages: Any) -> None:
    ann = Annotation(kind="entity", geometry=[0, 3], message_id="m-1")
    assert [p[0] for p in check_conversation(ann, {"messages": messages})] == ["message_not_found"]


def test_message_without_a_length() -> None:
    ann = Annotation(kind="entity", geometry=[0, 3], message_id="m-1")
    assert [p[0] for p in check_conversation(ann, {"messages": [{"id": "m-1"}]})] == ["missing_dimensions"]
