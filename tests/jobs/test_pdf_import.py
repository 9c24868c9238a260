"""PDF rows: boxes on a page in any of the SDK's units (stored in points), text selections by the
ids of the document's real text layer, global classifications; from the real Labelbox SDK's
serializer, checked against the probed pages and tokens, exported and imported back exactly."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from labelport import Workspace
from labelport.model.jobs import JobState
from tests.jobs.conftest import uid, write_ndjson
from tests.jobs.documents import ONTOLOGY, issues_of, project, refused, refused_lines, round_trip, sdk_lines
from tests.media.assets import make_pdf, make_text_pdf

lb = pytest.importorskip("labelbox.types")

W, H = 612.0, 792.0  # US Letter, in points


@pytest.fixture
def proj(ws: Workspace, tmp_path: Path) -> Workspace:
    pdf = make_text_pdf(
        tmp_path / "invoice.pdf",
        [
            [(72, 720, "Invoice 2024-117 for Zoë Müller"), (72, 700, "Total due: 1 250,00 €")],
            [(72, 720, "Page two (terms)")],
        ],
    )
    project(ws, tmp_path, "pdf", {"pdf-1": pdf, "blank": make_pdf(tmp_path / "blank.pdf", [(W, H, 0)])})
    return ws


def _token(ws: Workspace, text: str) -> tuple[str, str, int]:
    """(token id, group id, page) of the word ``text`` in the row's stored text layer."""
    for page in ws.row("pdf-1").metadata["text_layer"]:
        for group in page["groups"]:
            for token in group["tokens"]:
                if token["text"] == text:
                    return token["id"], group["id"], page["page"]
    raise AssertionError(f"no token {text!r}")


def _selection(ws: Workspace, *words: str) -> Any:
    ids = [_token(ws, w) for w in words]
    return lb.DocumentTextSelection(token_ids=[i for i, _, _ in ids], group_id=ids[0][1], page=ids[0][2])


def _rect(x0: float, y0: float, x1: float, y1: float, page: int, unit: str) -> Any:
    t = lb
    return t.DocumentRectangle(
        start=t.Point(x=x0, y=y0), end=t.Point(x=x1, y=y1), page=page, unit=t.RectangleUnit[unit]
    )


def _label(ws: Workspace) -> Any:
    t = lb
    return t.Label(
        data={"global_key": "pdf-1"},
        annotations=[
            t.ObjectAnnotation(
                name="field", value=_rect(72, 60, 300, 80, 1, "POINTS"), extra={"uuid": uid(1)}
            ),
            t.ObjectAnnotation(name="field", value=_rect(1, 1, 2, 1.5, 2, "INCHES"), extra={"uuid": uid(2)}),
            t.ObjectAnnotation(
                name="field", value=_rect(10, 10, 20, 20, 1, "PERCENT"), extra={"uuid": uid(3)}
            ),
            t.ObjectAnnotation(
                name="field", value=_rect(0, 0, 612, 792, 2, "PIXELS"), extra={"uuid": uid(4)}
            ),
            t.ObjectAnnotation(
                name="person",
                extra={"uuid": uid(5)},
                value=t.DocumentEntity(text_selections=[_selection(ws, "Zoë", "Müller")]),
                classifications=[
                    t.ClassificationAnnotation(
                        name="confidence", value=t.Radio(answer=t.ClassificationAnswer(name="high"))
                    )
                ],
            ),
            # one entity over two lines and two pages: a selection per group
            t.ObjectAnnotation(
                name="place",
                extra={"uuid": uid(6)},
                value=t.DocumentEntity(
                    text_selections=[_selection(ws, "Total", "due:"), _selection(ws, "(terms)")]
                ),
            ),
            t.ClassificationAnnotation(
                name="topics", value=t.Checklist(answer=[t.ClassificationAnswer(name="food")])
            ),
            t.ClassificationAnnotation(name="summary", value=t.Text(answer="Rechnung für Zoë")),
        ],
    )


def _import(ws: Workspace, tmp_path: Path) -> None:
    job = ws.import_labels("p", write_ndjson(tmp_path / "pdf.ndjson", sdk_lines(_label(ws))), format="ndjson")
    assert job.state is JobState.SUCCEEDED, issues_of(ws, job.id)


def test_the_probe_found_the_text_layer(proj: Workspace) -> None:
    meta = proj.row("pdf-1").metadata
    assert meta["page_count"] == 2 and meta["pages"][0] == {"width": W, "height": H}
    assert [g["text"] for g in meta["text_layer"][0]["groups"]] == [
        "Invoice 2024-117 for Zoë Müller",
        "Total due: 1 250,00 €",
    ]


def test_sdk_payload_imports_boxes_in_points(proj: Workspace, tmp_path: Path) -> None:
    _import(proj, tmp_path)
    by_uid = {a.uid: a for a in proj.labels("p")["pdf-1"]}
    assert (by_uid[uid(1)].geometry, by_uid[uid(1)].page) == ([72, 60, 228, 20], 1)
    assert (by_uid[uid(2)].geometry, by_uid[uid(2)].page) == ([72.0, 72.0, 72.0, 36.0], 2)  # inches
    assert all(
        math.isclose(a, b) for a, b in zip(by_uid[uid(3)].geometry, [61.2, 79.2, 61.2, 79.2], strict=True)
    )  # percent of the page
    assert by_uid[uid(4)].geometry == [0, 0, W, H]  # pixels at 72 dpi: the whole page
    assert all(by_uid[uid(n)].extra in (None, {"tool": "rectangle"}) for n in (1, 2, 3, 4))  # no unit kept
    person = by_uid[uid(5)].geometry["selections"]
    assert person == [{"tokenIds": ["1-1-4", "1-1-5"], "groupId": "1-1", "page": 1}]
    assert [s["page"] for s in by_uid[uid(6)].geometry["selections"]] == [1, 2]


def test_export_and_import_again_is_exact(proj: Workspace, tmp_path: Path) -> None:
    _import(proj, tmp_path)
    first, again = round_trip(proj, tmp_path, "pdf")
    assert again == first and len(first["pdf-1"]) == 8
    written = (tmp_path / "export.ndjson").read_text(encoding="utf-8")
    assert '"unit":"POINTS"' in written and "INCHES" not in written


def _box(page: Any, unit: str = "POINTS", **box: float) -> dict[str, Any]:
    return {
        "uuid": uid(9),
        "dataRow": {"globalKey": "pdf-1"},
        "name": "field",
        "page": page,
        "unit": unit,
        "bbox": {"top": 10.0, "left": 10.0, "height": 20.0, "width": 20.0} | box,
    }


def _sel(tokens: list[str], group: str, page: int, row: str = "pdf-1") -> dict[str, Any]:
    return {
        "uuid": uid(9),
        "dataRow": {"globalKey": row},
        "name": "person",
        "textSelections": [{"tokenIds": tokens, "groupId": group, "page": page}],
    }


BROKEN: list[tuple[dict[str, Any], str, str]] = [
    (
        _box(0),
        "page_out_of_range",
        "page 0 is not a page of the document, which has 2 pages (pages are numbered from 1)",
    ),
    (_box(3), "page_out_of_range", "page 3 is not a page of the document, which has 2 pages"),
    (_box(None), "missing_field", "needs `page`"),
    (
        _box(1, width=650.0),
        "out_of_bounds",
        "the box [10.0, 10.0, 660.0, 30.0] leaves the 612x792 page 1",
    ),
    (_box(1, "PERCENT", left=50.0, width=60.0), "out_of_bounds", "page 1"),
    (_box(2, "INCHES", top=10.0, height=2.0), "out_of_bounds", "612x792 page 2"),
    (_box(1, height=0.0), "degenerate_geometry", "no area"),
    (_sel(["2-1-1"], "1-1", 1), "token_not_found", "group '1-1' on page 1 has no token '2-1-1'"),
    (
        _sel(["1-1-1", "1-2-1"], "1-1", 1),
        "token_not_found",
        "no token '1-2-1'; '1-2-1' is in group '1-2'",
    ),
    (
        _sel(["1-1-1"], "1-9", 1),
        "token_not_found",
        "page 1 has no group '1-9' (its groups are '1-1', '1-2')",
    ),
    (_sel(["1-1-1"], "1-1", 0), "page_out_of_range", "numbered from 1"),
    (
        _sel(["1-1-1"], "1-1", 1, row="blank"),
        "token_not_found",
        "page 1 has no group '1-1' (it has no text)",
    ),
    (
        {
            "uuid": uid(9),
            "dataRow": {"globalKey": "pdf-1"},
            "name": "person",
            "location": {"start": 0, "end": 3},
        },
        "wrong_media_type",
        "not a `location`",
    ),
    (
        {
            "uuid": uid(9),
            "dataRow": {"globalKey": "pdf-1"},
            "name": "sentiment",
            "answer": {"name": "positive"},
            "page": 1,
        },
        "unsupported_annotation",
        "global",
    ),
]


def test_broken_copies_are_refused(proj: Workspace, tmp_path: Path) -> None:
    refused_lines(proj, tmp_path, sdk_lines(_label(proj)), BROKEN)


def test_a_text_layer_given_in_the_manifest_is_used(ws: Workspace, tmp_path: Path) -> None:
    """Selections made against another platform's text layer keep their ids when the row is added
    with that layer as its metadata (the research sample's `tok-1`, `grp-1`)."""
    pdf = make_text_pdf(tmp_path / "doc.pdf", [[(72, 720, "Hello there")]])
    token = {"id": "tok-1", "text": "Hello", "box": [72.0, 60.0, 30.0, 12.0]}
    layer = [
        {"page": 1, "groups": [{"id": "grp-1", "text": "Hello", "box": token["box"], "tokens": [token]}]}
    ]
    meta = {"page_count": 1, "pages": [{"width": W, "height": H}], "text_layer": layer}
    manifest = tmp_path / "rows.json"
    entry = {"uri": str(pdf), "global_key": "pdf-1", "media_type": "pdf", "metadata": meta}
    manifest.write_text(json.dumps([entry]), encoding="utf-8")
    ws.create_dataset("d")
    ws.add_manifest("d", manifest)
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="pdf")
    ws.create_batch("p", "b", dataset="d")
    assert refused(ws, tmp_path, [_sel(["1-1-1"], "1-1", 1)]) == [
        ("token_not_found", "page 1 has no group '1-1' (its groups are 'grp-1')")
    ]
    line = _sel(["tok-1"], "grp-1", 1)
    job = ws.import_labels("p", write_ndjson(tmp_path / "x.ndjson", [line]), format="ndjson")
    assert job.state is JobState.SUCCEEDED, issues_of(ws, job.id)
