"""Pascal VOC end to end, on SQLite and PostgreSQL: folders written by Datumaro's VOC exporters
(both of its coordinate modes) and by globox's ``save_pascal_voc`` import with no false rejection
and every box where the tool meant it; import → export → import keeps every label exactly;
Datumaro reads labelport's export back; a broken copy changes nothing; what VOC cannot carry is
listed by the export.

Conventions of the tools, read from their code (datumaro 1.13 ``voc/exporter.py``, globox 2.9
``BoundingBox.to_xml``):

- Datumaro's default ``coordinate_mode="dm-zero-based"`` writes ``x, y, x + w, y + h`` as they are:
  0-based corners, imported with ``--option origin=0``.
- Datumaro's ``coordinate_mode="voc-one-based"`` writes ``floor(x) + 1, floor(y) + 1, ceil(x + w),
  ceil(y + h)``: the 1-based inclusive pixels covering the box (snapped outwards), imported with the
  default origin 1.
- globox writes its ``ltrb`` corners as they are: 0-based, imported with ``--option origin=0``.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import msgspec
import pytest

from labelport import Workspace
from labelport.formats import voc
from labelport.model.jobs import JobState
from labelport.model.records import Annotation, Choice
from tests.helpers import make_images

IMAGES = {"a.jpg": (200, 100), "sub/b.png": (400, 250), "c.jpg": (64, 48)}
# [x, y, w, h] in pixels, with the attributes Datumaro is given; binary-exact fractions, so that
# Datumaro's own float sums (x + w) are exact too
BOXES: dict[str, list[tuple[str, list[float], dict[str, Any]]]] = {
    "a.jpg": [
        (
            "car",
            [10.5, 20.25, 30.0, 40.0],
            {"difficult": True, "occluded": True, "pose": "Left", "color": "red"},
        ),
        ("person", [0.0, 0.0, 200.0, 100.0], {}),
    ],
    "sub/b.png": [("car", [100.0, 50.0, 299.75, 199.5], {"color": "blue"})],
    "c.jpg": [],
}
ONTOLOGY = {
    "tools": [
        {
            "name": "car",
            "tool": "rectangle",
            "color": "#ff0000",
            "classifications": [
                {"name": "difficult", "type": "radio", "options": [{"value": "true"}, {"value": "false"}]},
                {"name": "color", "type": "radio", "options": [{"value": "red"}, {"value": "blue"}]},
            ],
        },
        {"name": "person", "tool": "rectangle"},
        {"name": "lake", "tool": "polygon"},
    ],
    "classifications": [{"name": "weather", "type": "radio", "options": [{"value": "sunny"}]}],
}


def setup(ws: Workspace, images: Path, *projects: str) -> None:
    ws.create_dataset("d")
    ws.add_rows("d", [images])
    ws.create_ontology("o", ONTOLOGY)
    for p in projects:
        ws.create_project(p, ontology="o", media_type="image")
        ws.create_batch(p, f"b-{p}", dataset="d")


def ok(ws: Workspace, project: str, payload: Path, **options: str) -> dict[str, list[Annotation]]:
    job = ws.import_labels(project, payload, format="voc", options=options or None)
    issues = list(ws.job_issues(job.id))
    assert job.state is JobState.SUCCEEDED, [(i.code, i.message, i.location) for i in issues]
    assert [i for i in issues if i.severity.value == "error"] == []
    return ws.labels(project)


def answers(a: Annotation) -> dict[str, Any]:
    return {c.name or "": c.value.name if isinstance(c.value, Choice) else c.value for c in a.classifications}


def boxes_of(labels: dict[str, list[Annotation]]) -> dict[str, list[tuple[str, list[float]]]]:
    return {k.lstrip("/"): sorted((a.name or "", a.geometry) for a in v) for k, v in labels.items()}


def snapped(g: list[float]) -> list[float]:
    """The box Datumaro's voc-one-based mode means: the whole pixels covering ``g``."""
    x, y = math.floor(g[0]), math.floor(g[1])
    return [x, y, math.ceil(g[0] + g[2]) - x, math.ceil(g[1] + g[3]) - y]


# --- Datumaro --------------------------------------------------------------------------------------


def datumaro_export(tmp_path: Path, fmt: str, mode: str) -> Path:
    import datumaro as dm
    from datumaro.components.annotation import Bbox
    from datumaro.components.media import Image

    src = make_images(tmp_path / "src", IMAGES)
    labels = ["car", "person"]
    items = [
        dm.DatasetItem(
            id=path.rsplit(".", 1)[0],
            media=Image.from_file(str(src / path), size=(IMAGES[path][1], IMAGES[path][0])),
            annotations=[Bbox(*g, label=labels.index(c), attributes=attrs) for c, g, attrs in boxes],
        )
        for path, boxes in BOXES.items()
    ]
    out = tmp_path / f"{fmt}-{mode}"
    dm.Dataset.from_iterable(items, categories=labels).export(
        str(out), fmt, save_media=False, coordinate_mode=mode
    )
    return out


@pytest.mark.parametrize("fmt", ["voc_detection", "voc"])
def test_datumaro_zero_based(ws: Workspace, tmp_path: Path, fmt: str) -> None:
    out = datumaro_export(tmp_path, fmt, "dm-zero-based")
    assert (out / "Annotations/sub/b.xml").is_file() and not (out / "Annotations/c.xml").exists()
    setup(ws, make_images(tmp_path / "rows", IMAGES), "p")
    # read as 1-based (the default), the impossible 0 is named with the option that fixes it
    job = ws.import_labels("p", out, format="voc")
    assert job.state is JobState.FAILED and ws.labels("p") == {}
    [bad] = [i for i in ws.job_issues(job.id) if i.severity.value == "error"]
    assert (bad.code, bad.location.file, bad.location.pointer) == (
        "invalid_value",
        "Annotations/a.xml",
        "/annotation/object[2]/bndbox/xmin",
    )
    assert bad.hint == "this file looks 0-based: pass --option origin=0"
    labels = ok(ws, "p", out, origin="0", subset="default")
    assert boxes_of(labels) == {k: sorted((c, g) for c, g, _ in v) for k, v in BOXES.items()}
    assert labels["/c.jpg"] == []  # listed in ImageSets/Main/default.txt, no XML: no objects
    car = next(a for a in labels["/a.jpg"] if a.name == "car")
    assert answers(car) == {"difficult": "true", "color": "red"}
    assert car.extra is not None and car.extra["attributes"] == {
        "pose": "Left",
        "truncated": False,
        "occluded": True,
    }
    blue = labels["/sub/b.png"][0]
    assert answers(blue) == {"difficult": "false", "color": "blue"}


def test_datumaro_one_based(ws: Workspace, tmp_path: Path) -> None:
    out = datumaro_export(tmp_path, "voc_detection", "voc-one-based")
    b = (out / "Annotations/sub/b.xml").read_text()
    assert "<xmin>101</xmin>" in b and "<xmax>400</xmax>" in b  # 1-based: the box's first pixel is 101
    # integers only, yet detection names the writer and its two conventions
    assert voc.detect(out).reasons[-1].startswith("Annotations/a.xml: <source> as Datumaro/CVAT write it")
    setup(ws, make_images(tmp_path / "rows", IMAGES), "p")
    labels = ok(ws, "p", out)  # the default origin 1
    assert boxes_of(labels) == {k: sorted((c, snapped(g)) for c, g, _ in v) for k, v in BOXES.items() if v}
    person = next(a for a in labels["/a.jpg"] if a.name == "person")
    assert person.geometry == [0, 0, 200, 100]  # the whole image, exactly


# --- globox ----------------------------------------------------------------------------------------


def test_globox(ws: Workspace, tmp_path: Path) -> None:
    import globox

    annotations = [
        globox.Annotation(
            image_id=path,
            image_size=IMAGES[path],
            boxes=[
                globox.BoundingBox.create(
                    label=c, coords=(g[0], g[1], g[2], g[3]), box_format=globox.BoxFormat.LTWH
                )
                for c, g, _ in boxes
            ],
        )
        for path, boxes in BOXES.items()
    ]
    out = tmp_path / "globox"
    (out / "sub").mkdir(parents=True)  # globox writes <image_id>.xml but makes no folders
    globox.AnnotationSet(annotations).save_pascal_voc(out)
    assert "globox's layout" in voc.detect(out).reasons[-1]
    setup(ws, make_images(tmp_path / "rows", IMAGES), "p")
    labels = ok(ws, "p", out, origin="0")
    assert boxes_of(labels) == {k: sorted((c, g) for c, g, _ in v) for k, v in BOXES.items()}
    assert all(a.extra is None or "attributes" not in a.extra for v in labels.values() for a in v)


# --- round trip ------------------------------------------------------------------------------------


def stripped(labels: dict[str, list[Annotation]]) -> dict[str, list[Any]]:
    def key(d: dict[str, Any]) -> str:
        return str((d["name"], d["geometry"]))

    out = {}
    for k, anns in labels.items():
        docs = [msgspec.to_builtins(a) for a in anns]
        for d in docs:
            d.pop("uid", None)  # derived from content: the same content, the same uid
        out[k] = sorted(docs, key=key)
    return out


@pytest.mark.parametrize("origin", ["1", "0"])
def test_round_trip(ws: Workspace, tmp_path: Path, origin: str) -> None:
    src = datumaro_export(tmp_path, "voc_detection", "dm-zero-based")
    setup(ws, make_images(tmp_path / "rows", IMAGES), "p", "q")
    first = ok(ws, "p", src, origin="0", subset="default")
    out = tmp_path / "out"
    summary = ws.export("p", out, format="voc", options={"origin": origin})
    assert summary.not_expressible == [] and (summary.rows, summary.annotations) == (3, 3)
    text = (out / "Annotations/sub/b.xml").read_text()
    if origin == "1":  # x = 100 is the 101st pixel; x + w = 399.75 is inside pixel 400
        assert "<xmin>101</xmin>" in text and "<xmax>399.75</xmax>" in text
    assert "<filename>b.png</filename>" in text and "<folder>sub</folder>" in text
    assert (out / "labelmap.txt").read_text().splitlines()[1:] == ["car:255,0,0::", "person:::"]
    second = ok(ws, "q", out, origin=origin)
    assert stripped(second) == stripped(first)
    a = next(x for x in second["/a.jpg"] if x.name == "car")
    assert a.geometry == [10.5, 20.25, 30, 40]
    if origin == "1":
        assert datumaro_boxes(out) == {
            k.rsplit(".", 1)[0]: sorted((c, g) for c, g, _ in v) for k, v in BOXES.items()
        }


def datumaro_boxes(out: Path) -> dict[str, list[tuple[str, list[float]]]]:
    """What Datumaro reads from labelport's export: the same boxes, in the same place."""
    import datumaro as dm

    ds = dm.Dataset.import_from(str(out), "voc_detection", coordinate_mode="voc-one-based")
    names = ds.categories()[dm.AnnotationType.label]
    return {
        item.id: sorted((names[b.label].name, [b.x, b.y, b.w, b.h]) for b in item.annotations) for item in ds
    }


# --- refusals and what export cannot carry ---------------------------------------------------------


def test_broken_copy_changes_nothing(ws: Workspace, tmp_path: Path) -> None:
    src = datumaro_export(tmp_path, "voc_detection", "voc-one-based")
    broken = tmp_path / "broken"
    shutil.copytree(src, broken)
    a = broken / "Annotations/a.xml"
    a.write_text(a.read_text().replace("<name>person</name>", "<name>Person</name>"))
    b = broken / "Annotations/sub/b.xml"
    b.write_text(b.read_text().replace("</bndbox>", "</bndbx>"))
    (broken / "Annotations/evil.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE annotation [\n<!ENTITY name "car">\n]>\n'
        "<annotation><filename>c.jpg</filename><object><name>&name;</name>"
        "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>\n"
    )
    setup(ws, make_images(tmp_path / "rows", IMAGES), "p")
    job = ws.import_labels("p", broken, format="voc")
    assert job.state is JobState.FAILED
    assert ws.labels("p") == {}
    found = [
        (i.code, i.location.file, i.location.line, i.location.pointer)
        for i in ws.job_issues(job.id)
        if i.severity.value == "error"
    ]
    assert found[0][:2] == ("unknown_class", "Annotations/a.xml")
    assert found[0][3] == "/annotation/object[2]"
    assert found[1] == ("invalid_xml", "Annotations/evil.xml", 2, None)  # entities are refused
    assert found[2][:2] == ("invalid_xml", "Annotations/sub/b.xml")
    assert isinstance(found[2][2], int) and found[2][2] > 1
    assert len(found) == 3


def test_export_lists_what_voc_cannot_carry(ws: Workspace, tmp_path: Path) -> None:
    setup(ws, make_images(tmp_path / "rows", IMAGES), "p")
    lines = tmp_path / "extra.ndjson"
    lines.write_text(
        '{"dataRow": {"globalKey": "/a.jpg"}, "name": "lake", '
        '"polygon": [{"x": 1, "y": 1}, {"x": 9, "y": 1}, {"x": 9, "y": 9}]}\n'
        '{"dataRow": {"globalKey": "/a.jpg"}, "name": "weather", "answer": {"name": "sunny"}}\n'
        '{"dataRow": {"globalKey": "/a.jpg"}, "name": "car", '
        '"bbox": {"top": 1, "left": 2, "height": 3, "width": 4}}\n'
    )
    job = ws.import_labels("p", lines, format="ndjson")
    assert job.state is JobState.SUCCEEDED, [i.message for i in ws.job_issues(job.id)]
    out = tmp_path / "out"
    summary = ws.export("p", out, format="voc")
    assert (summary.rows, summary.annotations) == (1, 1)
    assert sorted(i.message for i in summary.not_expressible) == [
        "VOC cannot carry a polygon (`lake`): VOC carries boxes only",
        "VOC cannot carry the image-level classification `weather`",
    ]
    assert {i.location.data_row for i in summary.not_expressible} == {"/a.jpg"}
    assert "<xmin>3</xmin>" in (out / "Annotations/a.xml").read_text()  # left 2, 1-based


def test_empty_folder_fails_and_a_used_output_is_refused(ws: Workspace, tmp_path: Path) -> None:
    from labelport.model.errors import InvalidInputError

    setup(ws, make_images(tmp_path / "rows", IMAGES), "p")
    empty = tmp_path / "empty"
    empty.mkdir()
    job = ws.import_labels("p", empty, format="voc")
    assert job.state is JobState.FAILED and ws.labels("p") == {}
    assert [(i.code, i.message) for i in ws.job_issues(job.id)] == [
        ("unreadable_payload", "no VOC XML files under empty")
    ]
    out = tmp_path / "out"
    ws.export("p", out, format="voc")
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    with pytest.raises(InvalidInputError) as exc:
        ws.export("p", out, format="voc")
    assert exc.value.code == "output_exists"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before
