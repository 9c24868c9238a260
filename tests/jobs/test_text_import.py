"""Text and HTML rows: entities by character offsets and global classifications, from the real
Labelbox SDK's serializer, checked against the probed text, exported and imported back exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labelport import Workspace
from labelport.model.jobs import JobState
from tests.jobs.conftest import uid, write_ndjson
from tests.jobs.documents import issues_of, project, refused, refused_lines, round_trip, sdk_lines
from tests.media.assets import make_text

lb = pytest.importorskip("labelbox.types")

# non-ASCII on purpose: offsets count characters (code points), not UTF-8 bytes
TEXT = "Zoë met Ada in Zürich.\r\nÇa va? 日本語も話せる 🙂 — bien sûr."


def _span(word: str) -> tuple[int, int]:
    """NDJSON's start and inclusive end of ``word`` in TEXT."""
    start = TEXT.index(word)
    return start, start + len(word) - 1


@pytest.fixture
def proj(ws: Workspace, tmp_path: Path) -> Workspace:
    rows = {
        "txt-1": make_text(tmp_path / "a.txt", TEXT),
        "txt-bom": make_text(tmp_path / "b.txt", TEXT, bom=True),  # what Windows editors write
    }
    project(ws, tmp_path, "text", rows)
    return ws


def _label(key: str) -> Any:
    t = lb
    zoe, zurich, nihongo = _span("Zoë"), _span("Zürich"), _span("日本語")
    return t.Label(
        data={"global_key": key},
        annotations=[
            t.ObjectAnnotation(
                name="person",
                value=t.TextEntity(start=zoe[0], end=zoe[1]),
                classifications=[
                    t.ClassificationAnnotation(
                        name="confidence", value=t.Radio(answer=t.ClassificationAnswer(name="high"))
                    )
                ],
            ),
            t.ObjectAnnotation(name="place", value=t.TextEntity(start=zurich[0], end=zurich[1])),
            t.ObjectAnnotation(name="place", value=t.TextEntity(start=nihongo[0], end=nihongo[1])),
            # the last character of the text: inside by code points, far outside by bytes
            t.ObjectAnnotation(name="place", value=t.TextEntity(start=len(TEXT) - 1, end=len(TEXT) - 1)),
            t.ClassificationAnnotation(
                name="sentiment", value=t.Radio(answer=t.ClassificationAnswer(name="positive"))
            ),
            t.ClassificationAnnotation(
                name="topics",
                value=t.Checklist(
                    answer=[t.ClassificationAnswer(name="travel"), t.ClassificationAnswer(name="food")]
                ),
            ),
            t.ClassificationAnnotation(name="summary", value=t.Text(answer="Zoë trifft Ada — 🙂")),
        ],
    )


def test_sdk_payload_imports_spans_in_characters(proj: Workspace, tmp_path: Path) -> None:
    payload = write_ndjson(tmp_path / "sdk.ndjson", sdk_lines(_label("txt-1"), _label("txt-bom")))
    job = proj.import_labels("p", payload, format="ndjson")
    assert job.state is JobState.SUCCEEDED, issues_of(proj, job.id)
    assert job.counts["annotations_imported"] == 14
    for key in ("txt-1", "txt-bom"):
        spans = sorted(
            TEXT[a.geometry[0] : a.geometry[1]] for a in proj.labels("p")[key] if a.kind == "entity"
        )
        assert spans == sorted(["Zoë", "Zürich", "日本語", "."])
    assert {t.status.value for t in proj.tasks("p")} == {"done"}


def test_export_and_import_again_is_exact(proj: Workspace, tmp_path: Path) -> None:
    payload = write_ndjson(tmp_path / "sdk.ndjson", sdk_lines(_label("txt-1"), _label("txt-bom")))
    assert proj.import_labels("p", payload, format="ndjson").state is JobState.SUCCEEDED
    first, again = round_trip(proj, tmp_path, "text")
    assert again == first and len(first["txt-1"]) == 7


def _entity(start: int, end: int, **extra: Any) -> dict[str, Any]:
    line = {
        "uuid": uid(1),
        "dataRow": {"globalKey": "txt-1"},
        "name": "place",
        "location": {"start": start, "end": end},
    }
    return line | extra


BROKEN: list[tuple[dict[str, Any], str, str]] = [
    # one past the last character: NDJSON's end is the last character itself
    (_entity(0, len(TEXT)), "span_out_of_range", f"has {len(TEXT)} characters"),
    # what a byte-counting tool would write for the final "." (UTF-8 is longer than the text)
    (_entity(len(TEXT.encode()) - 1, len(TEXT.encode()) - 1), "span_out_of_range", "not all inside"),
    (_entity(-1, 3), "span_out_of_range", "characters -1 to 3"),
    (_entity(5, 3), "degenerate_geometry", "ends (at 3) before it starts (at 5)"),
    (_entity(0, 3, messageId="m-1"), "wrong_media_type", "`messageId`"),
    (_entity(0, 3, page=1), "wrong_media_type", "`page`"),
    (
        {
            "uuid": uid(1),
            "dataRow": {"globalKey": "txt-1"},
            "name": "place",
            "textSelections": [{"tokenIds": ["1-1-1"], "groupId": "1-1", "page": 1}],
        },
        "wrong_media_type",
        "PDF documents",
    ),
]


def test_broken_copies_are_refused(proj: Workspace, tmp_path: Path) -> None:
    refused_lines(proj, tmp_path, sdk_lines(_label("txt-bom")), BROKEN)


def test_a_bom_is_not_a_character(proj: Workspace, tmp_path: Path) -> None:
    # the BOM row has the same length as the plain one: the last character is len(TEXT) - 1
    last = _entity(len(TEXT) - 1, len(TEXT) - 1) | {"dataRow": {"globalKey": "txt-bom"}}
    job = proj.import_labels("p", write_ndjson(tmp_path / "x.ndjson", [last]), format="ndjson")
    assert job.state is JobState.SUCCEEDED, issues_of(proj, job.id)
    (ann,) = proj.labels("p")["txt-bom"]
    assert TEXT[ann.geometry[0] : ann.geometry[1]] == "."


# --- HTML: classifications only -------------------------------------------------------------


@pytest.fixture
def html(ws: Workspace, tmp_path: Path) -> Workspace:
    page = "<!doctype html><html><body><p>Zoë’s page</p></body></html>"
    project(ws, tmp_path, "html", {"html-1": make_text(tmp_path / "a.html", page)})
    return ws


def _html_label() -> Any:
    t = lb
    return t.Label(
        data={"global_key": "html-1"},
        annotations=[
            t.ClassificationAnnotation(
                name="sentiment", value=t.Radio(answer=t.ClassificationAnswer(name="negative"))
            ),
            t.ClassificationAnnotation(
                name="topics", value=t.Checklist(answer=[t.ClassificationAnswer(name="food")])
            ),
            t.ClassificationAnnotation(name="summary", value=t.Text(answer="a page about Zoë")),
        ],
    )


def test_html_classifications_import_and_round_trip(html: Workspace, tmp_path: Path) -> None:
    job = html.import_labels(
        "p", write_ndjson(tmp_path / "h.ndjson", sdk_lines(_html_label())), format="ndjson"
    )
    assert job.state is JobState.SUCCEEDED, issues_of(html, job.id)
    assert sorted(a.kind for a in html.labels("p")["html-1"]) == ["checklist", "radio", "text"]
    first, again = round_trip(html, tmp_path, "html")
    assert again == first


def test_html_takes_no_tools(html: Workspace, tmp_path: Path) -> None:
    entity = {
        "uuid": uid(1),
        "dataRow": {"globalKey": "html-1"},
        "name": "place",
        "location": {"start": 0, "end": 3},
    }
    problems = refused(html, tmp_path, [*sdk_lines(_html_label()), entity])
    assert problems == [
        (
            "wrong_media_type",
            "an entity cannot be imported into an html project: it takes classifications only",
        )
    ]
