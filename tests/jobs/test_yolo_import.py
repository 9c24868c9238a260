"""YOLO end to end, on SQLite and PostgreSQL: datasets written by Datumaro's and globox's own
exporters import with no false rejection, an import → export → import round trip keeps every
label, a broken copy changes nothing, and what YOLO cannot carry is listed by the export."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from labelport import Workspace
from labelport.model.errors import InvalidInputError
from labelport.model.jobs import JobState
from labelport.model.records import Annotation
from tests.helpers import make_images

# (width, height) of each image; sizes chosen so Datumaro's 6-decimal fractions are exact
IMAGES = {"train/a.jpg": (200, 100), "train/b.png": (400, 250), "val/c.jpg": (640, 480)}
# pixel boxes [x, y, w, h] per image and class
BOXES: dict[str, list[tuple[str, list[float]]]] = {
    "train/a.jpg": [("car", [10.0, 20.0, 30.0, 40.0]), ("bus", [100.5, 0.0, 99.5, 100.0])],
    "train/b.png": [("bus", [0.0, 0.0, 400.0, 250.0])],
    "val/c.jpg": [],
}
ONTOLOGY = {
    "tools": [
        {"name": "car", "tool": "rectangle"},
        {"name": "bus", "tool": "rectangle"},
        {"name": "lake", "tool": "polygon"},
        {"name": "person", "tool": "skeleton", "keypoints": ["head", "hand"], "edges": [[1, 2]]},
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
    job = ws.import_labels(project, payload, format="yolo", options=options or None)
    assert job.state is JobState.SUCCEEDED, [(i.code, i.message, i.location) for i in ws.job_issues(job.id)]
    assert [i.code for i in ws.job_issues(job.id) if i.severity.value != "info"] == []
    return ws.labels(project)


def assert_boxes(
    labels: dict[str, list[Annotation]], expected: dict[str, list[tuple[str, list[float]]]]
) -> None:
    for path, boxes in expected.items():
        got = sorted((a.name or "", a.geometry) for a in labels.get("/" + path, []))
        want = sorted(boxes)
        assert [n for n, _ in got] == [n for n, _ in want], path
        for (_, g), (_, w) in zip(got, want, strict=True):
            assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for a, b in zip(g, w, strict=True)), (
                g,
                w,
            )


# --- Datumaro --------------------------------------------------------------------------------------


def datumaro_export(tmp_path: Path, fmt: str) -> Path:
    import datumaro as dm
    from datumaro.components.annotation import Bbox
    from datumaro.components.media import Image

    src = make_images(tmp_path / "src", IMAGES)
    labels = ["car", "bus"]
    items = []
    for path, boxes in BOXES.items():
        subset, _, name = path.partition("/")
        items.append(
            dm.DatasetItem(
                id=name.rsplit(".", 1)[0],
                subset=subset,
                media=Image.from_file(str(src / path)),
                annotations=[Bbox(*g, label=labels.index(c)) for c, g in boxes],
            )
        )
    out = tmp_path / fmt
    dm.Dataset.from_iterable(items, categories=labels).export(str(out), fmt, save_media=True)
    return out


def test_datumaro_yolo_ultralytics(ws: Workspace, tmp_path: Path) -> None:
    out = datumaro_export(tmp_path, "yolo_ultralytics")
    setup(ws, out / "images", "p")
    labels = ok(ws, "p", out)
    assert_boxes(labels, BOXES)
    assert labels["/val/c.jpg"] == []  # an empty label file: the image has no objects


def test_datumaro_yolo_darknet(ws: Workspace, tmp_path: Path) -> None:
    out = datumaro_export(tmp_path, "yolo")
    images = tmp_path / "rows"
    for path in IMAGES:  # the rows are the images by name, as a CVAT task holds them
        subset, _, name = path.partition("/")
        make_images(images, {name: IMAGES[path]})
        assert (out / f"obj_{subset}_data" / name).is_file()
    setup(ws, images, "p")
    labels = ok(ws, "p", out)
    assert_boxes(labels, {p.partition("/")[2]: b for p, b in BOXES.items()})


# --- globox ----------------------------------------------------------------------------------------


def globox_set(images: Path, confidence: bool) -> Any:
    import globox

    annotations = []
    for path, boxes in BOXES.items():
        name = path.partition("/")[2]
        annotations.append(
            globox.Annotation(
                image_id=name,
                image_size=IMAGES[path],
                boxes=[
                    globox.BoundingBox.create(
                        label=c,
                        coords=(g[0], g[1], g[2], g[3]),
                        box_format=globox.BoxFormat.LTWH,
                        confidence=0.25 if confidence else None,
                    )
                    for c, g in boxes
                ],
            )
        )
    return globox.AnnotationSet(annotations)


@pytest.mark.parametrize("saver", ["save_yolo_darknet", "save_yolo_v5", "save_yolo_v7"])
def test_globox(ws: Workspace, tmp_path: Path, saver: str) -> None:
    images = make_images(tmp_path / "rows", {p.partition("/")[2]: s for p, s in IMAGES.items()})
    payload = tmp_path / "payload"
    payload.mkdir()
    ids = {"car": 0, "bus": 1}
    if saver == "save_yolo_darknet":  # darknet puts a prediction's confidence first: ground truth only
        globox_set(images, confidence=False).save_yolo_darknet(payload, label_to_id=ids)
        (payload / "obj.names").write_text("car\nbus\n", encoding="utf-8")
    else:
        getattr(globox_set(images, confidence=True), saver)(payload / "labels", label_to_id=ids)
        (payload / "data.yaml").write_text(yaml.safe_dump({"names": {0: "car", 1: "bus"}}), encoding="utf-8")
    setup(ws, images, "p")
    labels = ok(ws, "p", payload)
    assert_boxes(labels, {p.partition("/")[2]: b for p, b in BOXES.items()})
    confidences = {(a.extra or {}).get("confidence") for anns in labels.values() for a in anns}
    assert confidences == ({None} if saver == "save_yolo_darknet" else {0.25})


# --- round trip ------------------------------------------------------------------------------------


def write_payload(root: Path, files: dict[str, str], **doc: Any) -> Path:
    doc.setdefault("names", {0: "car", 1: "bus", 2: "lake", 3: "person"})
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    for rel, text in files.items():
        (root / "labels" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "labels" / rel).write_text(text, encoding="utf-8")
    return root


def assert_same(
    first: dict[str, list[Annotation]], second: dict[str, list[Annotation]], *, exact: bool = True
) -> None:
    """The same labels; bit-identical pixels unless ``exact=False`` (OBB: corners and back go
    through cos/sin, so a turned box comes back within float noise)."""
    assert sorted(first) == sorted(second)
    for key, anns in first.items():
        again = second[key]
        assert len(anns) == len(again), key

        def order(a: Annotation) -> Any:
            return (a.kind, a.name, str(a.geometry))

        for a, b in zip(sorted(anns, key=order), sorted(again, key=order), strict=True):
            assert (a.kind, a.name) == (b.kind, b.name)
            ga = a.geometry[0] if a.kind == "polygon" else a.geometry
            gb = b.geometry[0] if b.kind == "polygon" else b.geometry
            assert len(ga) == len(gb)
            ea, eb = a.extra or {}, b.extra or {}
            assert ea.get("confidence") == eb.get("confidence")
            if exact:
                assert (ga, ea.get("bbox")) == (gb, eb.get("bbox"))
                continue
            assert all(math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12) for x, y in zip(ga, gb, strict=True))


def test_round_trip_detect_segment(ws: Workspace, tmp_path: Path) -> None:
    images = make_images(tmp_path / "rows", IMAGES)
    setup(ws, images, "p", "q")
    payload = write_payload(
        tmp_path / "in",
        {
            "train/a.txt": "0 0.5 0.5 0.5 0.5\n1 0.1234567 0.25 0.2 0.3333333333333333 0.9\n"
            "2 0.1 0.1 0.9 0.1 0.9 0.9 0.3 0.7\n",
            "train/b.txt": "",
            # awkward values on 640x480: the review's line, 1/3, 0.1 + 0.2
            "val/c.txt": "0 0.497261 0.469695 0.133803 0.159857\n"
            "1 0.3333333333333333 0.6666666666666666 0.3333333333333333 0.30000000000000004\n"
            "2 0.30000000000000004 0.1 0.3333333333333333 0.9 0.497261 0.469695\n",
        },
    )
    first = ok(ws, "p", payload)
    car = next(a for a in first["/train/a.jpg"] if a.name == "car")
    assert car.geometry == [50.0, 25.0, 100.0, 50.0]  # exactly representable: exact
    out = tmp_path / "out"
    summary = ws.export("p", out, format="yolo", options={"task": "segment"})
    assert summary.not_expressible == [] and (summary.rows, summary.annotations) == (3, 6)
    assert (out / "labels/train/a.txt").read_text().splitlines()[0] == "0 0.5 0.5 0.5 0.5"
    assert (out / "labels/train/b.txt").read_text() == ""
    assert (out / "labels/val/c.txt").read_text().splitlines()[0] == "0 0.497261 0.469695 0.133803 0.159857"
    second = ok(ws, "q", out)
    assert_same(first, second)  # bit-identical pixels, the awkward ones included
    assert next(a for a in second["/train/a.jpg"] if a.name == "car").geometry == [50.0, 25.0, 100.0, 50.0]


def test_round_trip_pose(ws: Workspace, tmp_path: Path) -> None:
    images = make_images(tmp_path / "rows", IMAGES)
    setup(ws, images, "p", "q")
    payload = write_payload(
        tmp_path / "in",
        {"val/c.txt": "3 0.5 0.5 0.25 0.5 0.5 0.25 2 0.4375 0.7 1\n3 0.3 0.3 0.2 0.2 0.3 0.3 2 0 0 0\n"},
        kpt_shape=[2, 3],
    )
    first = ok(ws, "p", payload)
    person = first["/val/c.jpg"][0]
    assert person.kind == "keypoints" and person.geometry == [320.0, 120.0, 2, 280.0, 336.0, 1]
    assert person.extra == {"bbox": [240.0, 120.0, 160.0, 240.0], "tool": "skeleton"}  # pixels, as COCO
    out = tmp_path / "out"
    # boxes, polygons and a skeleton: three tasks, so the task must be named, before anything is written
    with pytest.raises(InvalidInputError) as exc:
        ws.export("p", out, format="yolo")
    assert (exc.value.code, exc.value.hint) == ("option_required", "--option task=detect|segment|pose|obb")
    assert "this ontology allows detect, segment, pose, obb" in exc.value.message and not out.exists()
    assert ws.export("p", out, format="yolo", options={"task": "pose"}).not_expressible == []
    assert yaml.safe_load((out / "data.yaml").read_text())["kpt_shape"] == [2, 3]
    assert_same(first, ok(ws, "q", out))
    # a used folder is refused, and nothing in it changes
    before = (out / "labels/val/c.txt").read_bytes()
    with pytest.raises(InvalidInputError) as exc:
        ws.export("p", out, format="yolo", options={"task": "pose"})
    assert exc.value.code == "output_exists" and (out / "labels/val/c.txt").read_bytes() == before


def test_round_trip_obb(ws: Workspace, tmp_path: Path) -> None:
    images = make_images(tmp_path / "rows", IMAGES)
    setup(ws, images, "p", "q")
    payload = write_payload(
        tmp_path / "in",
        {"train/a.txt": "0 0.25 0.25 0.75 0.25 0.75 0.75 0.25 0.75\n1 0.5 0.2 0.7 0.6 0.5 1 0.3 0.6\n"},
        task="obb",
    )
    shutil.copytree(images, payload / "images")  # OBB corners need the image's size
    first = ok(ws, "p", payload)
    straight = next(a for a in first["/train/a.jpg"] if a.name == "car")
    assert straight.geometry == [50.0, 25.0, 100.0, 50.0]
    turned = next(a for a in first["/train/a.jpg"] if a.name == "bus")
    assert len(turned.geometry) == 5 and math.isclose(turned.geometry[4], 45.0, rel_tol=1e-12)
    out = tmp_path / "out"
    assert ws.export("p", out, format="yolo", options={"task": "obb"}).not_expressible == []
    shutil.copytree(images, out / "images")
    assert_same(first, ok(ws, "q", out), exact=False)


# --- refusals and what export cannot carry ---------------------------------------------------------


def test_broken_copy_changes_nothing(ws: Workspace, tmp_path: Path) -> None:
    images = make_images(tmp_path / "rows", IMAGES)
    setup(ws, images, "p")
    payload = write_payload(
        tmp_path / "in",
        {"train/a.txt": "0 0.5 0.5 0.5 0.5\n7 0.5 0.5 0.5 0.5\n", "train/b.txt": "4 0.5 0.5 0.5 0.5\n"},
        names=["car", "bus", "lake", "person", "truck"],
    )
    job = ws.import_labels("p", payload, format="yolo")
    assert job.state is JobState.FAILED
    assert ws.labels("p") == {}
    found = [
        (i.code, i.location.file, i.location.line)
        for i in ws.job_issues(job.id)
        if i.severity.value == "error"
    ]
    assert found == [
        ("unknown_category", "labels/train/a.txt", 2),
        ("unknown_class", "labels/train/b.txt", 1),
    ]


def test_export_lists_what_yolo_cannot_carry(ws: Workspace, tmp_path: Path) -> None:
    images = make_images(tmp_path / "rows", IMAGES)
    setup(ws, images, "p")
    ok(
        ws,
        "p",
        write_payload(tmp_path / "in", {"train/a.txt": "0 0.5 0.5 0.5 0.5\n2 0.1 0.1 0.9 0.1 0.9 0.9\n"}),
    )
    summary = ws.export("p", tmp_path / "out", format="yolo", options={"task": "detect"})
    assert [i.code for i in summary.not_expressible] == ["unsupported_annotation"]
    assert "polygon of `lake` in a detect dataset" in summary.not_expressible[0].message
    assert summary.not_expressible[0].location.data_row == "/train/a.jpg"
    assert yaml.safe_load((tmp_path / "out/data.yaml").read_text())["names"] == {0: "car", 1: "bus"}


def test_six_decimal_rounding_on_the_edge_is_not_a_rejection(ws: Workspace, tmp_path: Path) -> None:
    """Exporters write fractions with 6 decimals: a box drawn against the edge of a 1920x1080 image
    then lies a thousandth of a pixel outside. That is the file's rounding: the box is imported on
    the edge with a warning. A box clearly outside is still refused."""
    images = make_images(tmp_path / "rows", {"wide.jpg": (1920, 1080)})
    ws.create_dataset("d")
    ws.add_rows("d", [images])
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="image")
    ws.create_batch("p", "b", dataset="d")
    # x = 1700.13, w = 219.87 (right edge at 1920) and y = 0.0, h = 95.38, rounded as Ultralytics does
    x, w, y, h = 1700.13, 219.87, 0.0, 95.38
    line = f"0 {(x + w / 2) / 1920:.6f} {(y + h / 2) / 1080:.6f} {w / 1920:.6f} {h / 1080:.6f}\n"
    payload = write_payload(tmp_path / "in", {"wide.txt": line})
    job = ws.import_labels("p", payload, format="yolo")
    assert job.state is JobState.SUCCEEDED
    codes = [i.code for i in ws.job_issues(job.id) if i.severity.value != "info"]
    assert codes == ["rounded_onto_edge"]
    (box,) = ws.labels("p")["/wide.jpg"]
    gx, gy, gw, gh = box.geometry
    assert gx + gw == 1920 and gy == 0 and gh > 0 and math.isclose(gx, x, abs_tol=2e-3)

    ws.create_project("q", ontology="o", media_type="image")
    ws.create_batch("q", "b2", dataset="d")
    far = write_payload(tmp_path / "far", {"wide.txt": "0 0.950000 0.5 0.100020 0.1\n"})  # 0.02 px out
    job = ws.import_labels("q", far, format="yolo")
    assert job.state is JobState.FAILED
    assert [i.code for i in ws.job_issues(job.id) if i.severity.value == "error"] == ["out_of_bounds"]
