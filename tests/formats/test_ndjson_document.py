"""The NDJSON reader and writer for documents: PDF boxes with page and unit, text selections,
text and conversation entities. Structure only: what the asset allows is validation's
(``tests/jobs/test_{text,pdf,conversation}_import.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labelport.formats import ndjson
from labelport.model.issues import Issue
from labelport.model.records import Annotation, Record

ROW = {"globalKey": "pdf-1"}
UID = "00000000-0000-4000-8000-000000000018"


def _read(tmp_path: Path, *lines: dict[str, Any]) -> tuple[list[Record], list[Issue]]:
    path = tmp_path / "p.ndjson"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    issues: list[Issue] = []
    return list(ndjson.read(path, issues.append)), issues


def _one(tmp_path: Path, line: dict[str, Any]) -> Annotation:
    records, issues = _read(tmp_path, line)
    assert issues == []
    (ann,) = records[0].annotations
    return ann


def test_pdf_box_keeps_page_and_unit_for_validation(tmp_path: Path) -> None:
    # the SDK's DocumentRectangle line (research section 6)
    ann = _one(
        tmp_path,
        {
            "uuid": UID,
            "dataRow": ROW,
            "name": "field",
            "page": 1,
            "unit": "INCHES",
            "classifications": [],
            "bbox": {"top": 2.0, "left": 1.0, "height": 0.5, "width": 3.0},
        },
    )
    assert (ann.kind, ann.geometry, ann.page, ann.extra) == (
        "bbox",
        [1.0, 2.0, 3.0, 0.5],
        1,
        {"unit": "INCHES"},
    )


def test_text_selections_become_an_entity_with_selections(tmp_path: Path) -> None:
    sel = [
        {"tokenIds": ["1-1-1", "1-1-2"], "groupId": "1-1", "page": 1},
        {"tokenIds": ["2-3-1"], "groupId": "2-3", "page": 2},
    ]
    ann = _one(tmp_path, {"uuid": UID, "dataRow": ROW, "name": "entity", "textSelections": sel})
    assert ann.kind == "entity" and ann.geometry == {"selections": sel} and ann.page is None
    assert ann.pointer == "/textSelections"


@pytest.mark.parametrize(
    ("change", "code", "pointer"),
    [
        ({"unit": "CM"}, "invalid_value", "/unit"),
        ({"unit": None}, "invalid_value", "/unit"),
        ({"page": "1"}, "wrong_type", "/page"),
        ({"textSelections": []}, "wrong_type", "/textSelections"),
        ({"textSelections": [{"tokenIds": ["a"], "page": 1}]}, "missing_field", "/textSelections/0"),
        (
            {"textSelections": [{"tokenIds": [], "groupId": "g", "page": 1}]},
            "wrong_type",
            "/textSelections/0/tokenIds",
        ),
        (
            {"textSelections": [{"tokenIds": [3], "groupId": "g", "page": 1}]},
            "wrong_type",
            "/textSelections/0/tokenIds",
        ),
        (
            {"textSelections": [{"tokenIds": ["a"], "groupId": "", "page": 1}]},
            "wrong_type",
            "/textSelections/0/groupId",
        ),
        (
            {"textSelections": [{"tokenIds": ["a"], "groupId": "g", "page": 1.5}]},
            "wrong_type",
            "/textSelections/0/page",
        ),
    ],
)
def test_structural_faults_are_located(
    tmp_path: Path, change: dict[str, Any], code: str, pointer: str
) -> None:
    line: dict[str, Any] = {"uuid": UID, "dataRow": ROW, "name": "x"}
    if "textSelections" not in change:
        line["bbox"] = {"top": 0, "left": 0, "height": 1, "width": 1}
    line.update(change)
    records, issues = _read(tmp_path, line)
    assert records == []
    assert [(i.code, i.location.pointer, i.location.line) for i in issues] == [(code, pointer, 1)]


def test_a_selection_and_a_box_on_one_line_is_refused(tmp_path: Path) -> None:
    line = {
        "uuid": UID,
        "dataRow": ROW,
        "name": "x",
        "bbox": {"top": 0, "left": 0, "height": 1, "width": 1},
        "textSelections": [{"tokenIds": ["a"], "groupId": "g", "page": 1}],
    }
    records, issues = _read(tmp_path, line)
    assert records == [] and [i.code for i in issues] == ["unsupported_annotation"]


def test_conversation_entity_and_message_classification(tmp_path: Path) -> None:
    records, issues = _read(
        tmp_path,
        {
            "uuid": UID,
            "dataRow": ROW,
            "name": "ner",
            "messageId": "msg-1",
            "location": {"start": 0, "end": 5},
        },
        {"name": "intent", "answer": {"name": "greeting"}, "uuid": UID, "dataRow": ROW, "messageId": "msg-1"},
    )
    assert issues == []
    entity, answer = (r.annotations[0] for r in records)
    assert (entity.kind, entity.geometry, entity.message_id) == ("entity", [0, 6], "msg-1")
    assert (answer.kind, answer.message_id) == ("radio", "msg-1")


def test_writer_gives_back_the_lines() -> None:
    row = {"globalKey": "pdf-1"}
    box = Annotation(kind="bbox", uid=UID, name="field", geometry=[72.0, 144.0, 216.0, 36.0], page=2)
    sel = {"selections": [{"tokenIds": ["1-1-1"], "groupId": "1-1", "page": 1}]}
    entity = Annotation(kind="entity", uid=UID, name="entity", geometry=sel)
    span = Annotation(kind="entity", uid=UID, name="ner", geometry=[3, 8], message_id="m")
    assert ndjson.annotation_to_line(box, row) == {
        "uuid": UID,
        "dataRow": row,
        "name": "field",
        "page": 2,
        "unit": "POINTS",
        "classifications": [],
        "bbox": {"top": 144.0, "left": 72.0, "height": 36.0, "width": 216.0},
    }
    line = ndjson.annotation_to_line(entity, row)
    assert line is not None and line["textSelections"] == sel["selections"] and "location" not in line
    line = ndjson.annotation_to_line(span, row)
    assert line is not None and line["location"] == {"start": 3, "end": 7} and line["messageId"] == "m"
