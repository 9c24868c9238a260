"""COCO end to end on both engines: files written by pycocotools, Datumaro and globox import with
no false rejections and the exact geometry; import → export → import gives the same labels; a
broken copy is refused whole; what COCO cannot carry is reported on export; rows are matched by
relative path or unique basename."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from labelport import Workspace
from labelport.formats import masks
from labelport.model.jobs import JobState
from labelport.model.records import Annotation, answer_to_json
from tests.helpers import make_images
from tests.jobs.conftest import uid, write_ndjson

W, H = 200, 100
ONTOLOGY = {
    "tools": [
        {
            "name": "car",
            "tool": "rectangle",
            "classifications": [
                {
                    "name": "color",
                    "type": "radio",
                    "options": [
                        {
                            "value": "red",
                            "options": [{"name": "shade", "type": "radio", "options": [{"value": "dark"}]}],
                        },
                        {"value": "blue"},
                    ],
                }
            ],
        },
        {"name": "lake", "tool": "polygon"},
        {"name": "seg", "tool": "raster-segmentation"},
        {"name": "person", "tool": "skeleton", "keypoints": ["nose", "l", "r"], "edges": [[1, 2], [2, 3]]},
        {"name": "road", "tool": "line"},
    ],
    "classifications": [{"name": "weather", "type": "radio", "options": [{"value": "sunny"}]}],
}
FILES = ["a.png", "train/b.png", "val/b.png", "val/c.png", "empty.png"]


@pytest.fixture
def coco(ws: Workspace, tmp_path: Path) -> Workspace:
    make_images(tmp_path / "imgs", dict.fromkeys(FILES, (W, H)))
    ws.create_dataset("d")
    ws.add_rows("d", [tmp_path / "imgs"])
    ws.create_ontology("o", ONTOLOGY)
    for p in ("p", "p2"):
        ws.create_project(p, ontology="o", media_type="image")
        ws.create_batch(p, f"b-{p}", dataset="d")
    return ws


def box_mask() -> np.ndarray:
    m = np.zeros((H, W), bool)
    m[10:30, 20:60] = True
    m[50:52, 0:3] = True
    return m


def uncompressed(mask: np.ndarray) -> dict[str, Any]:
    """Uncompressed COCO RLE worked out here with numpy: column-major runs, zeros first."""
    flat = mask.ravel(order="F").astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flat, [1 - flat[-1]])))) if flat.size else []
    counts = np.diff(np.concatenate(([0], edges))).tolist()
    return {"size": [H, W], "counts": [int(c) for c in counts]}


def save(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def ok(ws: Workspace, payload: Path, project: str = "p", **kw: Any) -> dict[str, list[Annotation]]:
    job = ws.import_labels(project, payload, **{"format": "coco", **kw})
    errors = [
        (i.code, i.message, str(i.location)) for i in ws.job_issues(job.id) if i.severity.value == "error"
    ]
    assert job.state is JobState.SUCCEEDED and errors == [], errors
    assert job.format == "coco"
    return ws.labels(project)


def by_name(anns: list[Annotation]) -> dict[str, Annotation]:
    return {a.name or "": a for a in anns}


# --- files written by third-party tools ------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_pycocotools_rle(coco: Workspace, tmp_path: Path) -> None:
    from pycocotools import mask as pcm

    mask = box_mask()
    rle = pcm.encode(np.asfortranarray(mask.astype(np.uint8)))
    counts = rle["counts"].decode("ascii")
    doc = {
        "images": [
            {"id": 1, "file_name": "a.png", "width": W, "height": H},
            {"id": 2, "file_name": "train/b.png", "width": W, "height": H},
        ],
        "categories": [{"id": 1, "name": "seg", "supercategory": "stuff"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "iscrowd": 1,
                "segmentation": {"size": [H, W], "counts": counts},
                "area": float(pcm.area(rle)),
                "bbox": pcm.toBbox(rle).tolist(),
            },
            {
                "id": 2,
                "image_id": 2,
                "category_id": 1,
                "iscrowd": 1,
                "segmentation": uncompressed(mask),
                "area": float(pcm.area(rle)),
                "bbox": pcm.toBbox(rle).tolist(),
            },
        ],
    }
    labels = ok(coco, save(tmp_path / "rle.json", doc))
    for key in ("/a.png", "/train/b.png"):
        (ann,) = labels[key]
        assert ann.kind == "mask" and ann.name == "seg"
        assert ann.geometry == {"size": [H, W], "counts": counts}  # pycocotools' own string
        assert np.array_equal(pcm.decode({"size": [H, W], "counts": ann.geometry["counts"].encode()}), mask)
    # the file's area and bbox are what the writer computes, so they are not kept apart
    assert labels["/a.png"][0].extra == {
        "id": 1,
        "iscrowd": 1,
        "supercategory": "stuff",
        "tool": "raster-segmentation",
    }


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_datumaro_instances_and_keypoints(coco: Workspace, tmp_path: Path) -> None:
    import datumaro as dm
    from datumaro.components.annotation import (
        AnnotationType,
        Bbox,
        LabelCategories,
        Mask,
        Points,
        PointsCategories,
        Polygon,
    )
    from datumaro.components.media import Image as DmImage

    labels_cat = LabelCategories.from_iterable(["car", "lake", "seg", "person"])
    imgs = tmp_path / "imgs"

    def item(name: str, anns: list[Any]) -> Any:
        return dm.DatasetItem(
            id=name, media=DmImage.from_file(path=str(imgs / f"{name}.png")), annotations=anns
        )

    instances = dm.Dataset.from_iterable(
        [
            item(
                "a",
                [
                    Bbox(10.5, 20, 30.25, 40, label=0, id=1, attributes={"color": "red", "occluded": False}),
                    Polygon([1, 1, 50, 1, 50, 50.5], label=1, id=2),
                ],
            ),
            item("train/b", [Mask(box_mask().astype(np.uint8), label=2, id=3)]),
        ],
        categories={AnnotationType.label: labels_cat},
    )
    instances.export(str(tmp_path / "dm"), "coco_instances", save_media=False)
    keypoints = dm.Dataset.from_iterable(
        [item("val/c", [Points([10, 10, 20.5, 20, 30, 30], [2, 2, 1], label=3, id=4)])],
        categories={
            AnnotationType.label: labels_cat,
            AnnotationType.points: PointsCategories.from_iterable(
                [(3, ["nose", "l", "r"], [[1, 2], [2, 3]])]
            ),
        },
    )
    keypoints.export(str(tmp_path / "dmkp"), "coco_person_keypoints", save_media=False)

    labels = ok(coco, tmp_path / "dm")  # the folder: its one annotations/*.json
    a = by_name(labels["/a.png"])
    assert a["car"].kind == "bbox" and a["car"].geometry == [10.5, 20, 30.25, 40]
    assert [answer_to_json(x)["value"]["name"] for x in a["car"].classifications] == ["red"]
    assert a["car"].extra is not None and a["car"].extra["attributes"] == {"occluded": False}
    assert a["lake"].kind == "polygon" and a["lake"].geometry == [[1, 1, 50, 1, 50, 50.5]]
    (seg,) = labels["/train/b.png"]
    assert seg.kind == "mask" and seg.geometry == masks.encode(box_mask())
    labels = ok(coco, tmp_path / "dmkp")
    (person,) = labels["/val/c.png"]
    assert person.kind == "keypoints" and person.name == "person"
    assert person.geometry == [10, 10, 2, 20.5, 20, 2, 30, 30, 1]


def test_globox_boxes(coco: Workspace, tmp_path: Path) -> None:
    from globox import Annotation as GAnnotation
    from globox import AnnotationSet, BoundingBox

    boxes = AnnotationSet(
        [
            GAnnotation(
                "a.png",
                image_size=(W, H),
                boxes=[
                    BoundingBox(label="car", xmin=10.5, ymin=20.25, xmax=40.75, ymax=60.0),
                    BoundingBox(label="car", xmin=0, ymin=0, xmax=W, ymax=H),
                ],
            ),
            GAnnotation(
                "val/c.png",
                image_size=(W, H),
                boxes=[BoundingBox(label="car", xmin=1, ymin=2, xmax=3, ymax=4)],
            ),
            GAnnotation("empty.png", image_size=(W, H), boxes=[]),
        ]
    )
    boxes.save_coco(tmp_path / "globox.json", auto_ids=True)
    labels = ok(coco, tmp_path / "globox.json")
    assert sorted(a.geometry for a in labels["/a.png"]) == [[0, 0, W, H], [10.5, 20.25, 30.25, 39.75]]
    assert [a.geometry for a in labels["/val/c.png"]] == [[1, 2, 2, 2]]
    assert labels["/empty.png"] == []  # labelled, no objects
    assert {a.extra["supercategory"] for a in labels["/a.png"] if a.extra} == {"none"}


# --- round trip ------------------------------------------------------------------------------------


def full_doc() -> dict[str, Any]:
    rle = masks.encode(box_mask())
    return {
        "images": [
            {"id": 7, "file_name": "a.png", "width": W, "height": H},
            {"id": 8, "file_name": "train/b.png", "width": W, "height": H},
            {"id": 9, "file_name": "c.png", "width": W, "height": H},  # a unique basename
            {"id": 10, "file_name": "empty.png", "width": W, "height": H},
        ],
        "categories": [
            {"id": 3, "name": "car", "supercategory": "vehicle"},
            {"id": 4, "name": "lake"},
            {"id": 5, "name": "seg"},
            {"id": 6, "name": "person", "keypoints": ["nose", "l", "r"], "skeleton": [[1, 2], [2, 3]]},
        ],
        "annotations": [
            {
                "id": 100,
                "image_id": 7,
                "category_id": 3,
                "bbox": [10.5, 20, 30.25, 40],
                "attributes": {"color": "blue", "rotation": 12.5, "truncated": True},
            },
            {
                "id": 101,
                "image_id": 7,
                "category_id": 4,
                "segmentation": [[1, 1, 5, 1, 5, 5], [6.5, 6, 10, 6, 10, 10]],
                "area": 30,
                "bbox": [1, 1, 9, 9],
            },
            {"id": 102, "image_id": 8, "category_id": 5, "segmentation": rle, "iscrowd": 1},
            {
                "id": 103,
                "image_id": 9,
                "category_id": 6,
                "keypoints": [10, 20, 2, 0, 0, 0, 30.25, 40, 1],
                "num_keypoints": 2,
                "bbox": [5, 5, 40, 40],
            },
        ],
    }


def snapshot(labels: dict[str, list[Annotation]]) -> dict[str, list[Any]]:
    return {
        key: sorted(
            json.dumps(
                [a.kind, a.name, a.geometry, [answer_to_json(x) for x in a.classifications]], sort_keys=True
            )
            for a in anns
        )
        for key, anns in labels.items()
    }


def test_round_trip(coco: Workspace, tmp_path: Path) -> None:
    first = ok(coco, save(tmp_path / "in.json", full_doc()), format="auto")
    assert set(first) == {"/a.png", "/train/b.png", "/val/c.png", "/empty.png"}
    car = by_name(first["/a.png"])["car"]
    assert car.geometry == [10.5, 20, 30.25, 40, 12.5]
    out = tmp_path / "out.json"
    summary = coco.export("p", out, format="coco")
    assert summary.rows == 4 and summary.annotations == 4 and summary.not_expressible == []
    written = json.loads(out.read_text())
    assert [i["file_name"] for i in written["images"]] == ["a.png", "empty.png", "train/b.png", "val/c.png"]
    assert [a["id"] for a in written["annotations"]] == [100, 101, 102, 103]
    assert written["categories"][0] == {"id": 1, "name": "car", "supercategory": "vehicle"}
    assert written["annotations"][0]["attributes"] == {"truncated": True, "color": "blue", "rotation": 12.5}
    second = ok(coco, out, project="p2")
    assert snapshot(second) == snapshot(first)
    kept = {a.name: a.extra for anns in second.values() for a in anns}
    assert kept["lake"] is not None and kept["lake"]["area"] == 30  # the file's own area survives
    assert kept["person"] is not None and kept["person"]["bbox"] == [5, 5, 40, 40]


def _apart(doc: dict[str, Any]) -> dict[str, Any]:
    """The file's annotations in another order: the two of ``a.png`` apart, with a box of it
    drawn twice, the copy after another image's annotation."""
    anns = doc["annotations"]
    twice = {"id": 104, "image_id": 7, "category_id": 3, "bbox": [1, 2, 3, 4]}
    again = {**twice, "id": 105}
    doc["annotations"] = [anns[0], twice, anns[2], anns[1], anns[3], again]
    return doc


def _stored(labels: dict[str, list[Annotation]]) -> dict[str, list[Any]]:
    return {
        key: sorted((a.uid, a.kind, a.name, json.dumps(a.geometry)) for a in anns)
        for key, anns in labels.items()
    }


def test_an_image_whose_annotations_are_apart_is_one_label(coco: Workspace, tmp_path: Path) -> None:
    """COCO's records follow the annotations (``formats.coco.read``): an image met again after
    another's continues its record, and the labels, ids and all, are the grouped file's."""
    grouped = full_doc()
    grouped["annotations"][1:1] = [_apart(full_doc())["annotations"][1], _apart(full_doc())["annotations"][5]]
    together = ok(coco, save(tmp_path / "grouped.json", grouped))
    apart = ok(coco, save(tmp_path / "apart.json", _apart(full_doc())), project="p2")
    assert _stored(apart) == _stored(together)
    first, second = (coco.jobs(p)[-1].counts for p in ("p", "p2"))
    assert first == second and first["lines"] == 4  # the file's images, each counted once
    boxes = [a for a in apart["/a.png"] if a.geometry == [1, 2, 3, 4]]
    assert len(boxes) == 2 and boxes[0].uid != boxes[1].uid  # the copy has an id of its own
    assert set(apart) == {"/a.png", "/train/b.png", "/val/c.png", "/empty.png"}


@pytest.mark.parametrize(
    ("change", "code"), [("width", "image_size_mismatch"), ("file_name", "data_row_not_found")]
)
def test_an_image_refused_with_its_annotations_apart_is_said_once(
    coco: Workspace, tmp_path: Path, change: str, code: str
) -> None:
    doc = _apart(full_doc())
    doc["images"][0][change] = 640 if change == "width" else "nowhere.png"
    job = coco.import_labels("p", save(tmp_path / "bad.json", doc), format="coco")
    assert job.state is JobState.FAILED and coco.labels("p") == {}
    errors = [i.code for i in coco.job_issues(job.id) if i.severity.value == "error"]
    assert errors == [code]
    assert job.counts["annotations"] == 6


def test_a_refused_image_refuses_none_of_another_images_annotations(coco: Workspace, tmp_path: Path) -> None:
    """Two images of one file name, the second refused for its size: the first's annotations
    after the second's are still checked, and the box outside the image is reported (a refusal
    is remembered by the image, not by the data row it names)."""
    doc = full_doc()
    doc["images"].append({"id": 11, "file_name": "a.png", "width": 640, "height": H})
    outside = {"id": 106, "image_id": 7, "category_id": 3, "bbox": [190, 10, 50, 20]}
    doc["annotations"] = [
        doc["annotations"][0],
        {"id": 105, "image_id": 11, "category_id": 3, "bbox": [1, 2, 3, 4]},
        outside,
    ]
    job = coco.import_labels("p", save(tmp_path / "two.json", doc), format="coco")
    assert job.state is JobState.FAILED
    errors = [(i.code, i.location.pointer) for i in coco.job_issues(job.id) if i.severity.value == "error"]
    assert sorted(errors, key=str) == sorted(
        [("image_size_mismatch", None), ("out_of_bounds", "/annotations/2/bbox")], key=str
    )


# --- refusals --------------------------------------------------------------------------------------


def _broken(change: str) -> Any:
    doc = full_doc()
    if change == "category":
        doc["annotations"][1]["category_id"] = 99
    elif change == "image":
        doc["annotations"][2]["image_id"] = 99
    elif change == "type":
        doc["annotations"][0]["bbox"][2] = "30"
    elif change == "size":
        doc["images"][0]["width"] = 640
    elif change == "class":
        doc["categories"][0]["name"] = "Car"
    elif change == "ambiguous":
        doc["images"][1]["file_name"] = "b.png"
    return doc


BROKEN = [
    ("category", "unknown_category", "/annotations/1/category_id"),
    ("image", "unknown_image", "/annotations/2/image_id"),
    ("type", "wrong_type", "/annotations/0/bbox/2"),
    ("size", "image_size_mismatch", None),
    ("class", "unknown_class", "/annotations/0/bbox"),
    ("ambiguous", "ambiguous_data_row", "/images/1"),
]


def test_a_broken_copy_changes_nothing(coco: Workspace, tmp_path: Path) -> None:
    for change, code, pointer in BROKEN:
        job = coco.import_labels("p", save(tmp_path / "bad.json", _broken(change)), format="coco")
        assert job.state is JobState.FAILED
        assert coco.labels("p") == {}
        assert {t.status.value for t in coco.tasks("p")} == {"not_started"}
        errors = [i for i in coco.job_issues(job.id) if i.severity.value == "error"]
        assert [(i.code, i.location.pointer) for i in errors] == [(code, pointer)], change
        assert errors[0].location.file == "bad.json"
    bad = tmp_path / "cut.json"
    bad.write_text(json.dumps(full_doc(), indent=1)[:-10], encoding="utf-8")
    job = coco.import_labels("p", bad, format="coco")
    assert job.state is JobState.FAILED and coco.labels("p") == {}
    assert [i.code for i in coco.job_issues(job.id)] == ["invalid_json"]


# --- export ----------------------------------------------------------------------------------------


def test_export_reports_what_coco_cannot_carry(coco: Workspace, tmp_path: Path) -> None:
    row = {"globalKey": "/a.png"}
    lines = [
        {"uuid": uid(1), "dataRow": row, "name": "road", "line": [{"x": 0, "y": 0}, {"x": 5, "y": 5}]},
        {"uuid": uid(2), "dataRow": row, "name": "weather", "answer": {"name": "sunny"}},
        {
            "uuid": uid(3),
            "dataRow": row,
            "name": "car",
            "bbox": {"top": 1, "left": 2, "height": 3, "width": 4},
            "classifications": [
                {
                    "name": "color",
                    "answer": {
                        "name": "red",
                        "classifications": [{"name": "shade", "answer": {"name": "dark"}}],
                    },
                }
            ],
        },
    ]
    job = coco.import_labels("p", write_ndjson(tmp_path / "x.ndjson", lines), format="ndjson")
    assert job.state is JobState.SUCCEEDED
    out = tmp_path / "out.json"
    summary = coco.export("p", out, format="coco")
    assert sorted(i.message for i in summary.not_expressible) == [
        "COCO cannot carry a line (`road`)",
        "COCO cannot carry the answers nested under `color` of `car` (written flat)",
        "COCO cannot carry the global classification `weather`",
    ]
    assert {i.location.data_row for i in summary.not_expressible} == {"/a.png"}
    (car,) = json.loads(out.read_text())["annotations"]
    assert car["bbox"] == [2, 1, 4, 3] and car["attributes"] == {"color": "red"}


def test_rows_by_relative_path_and_unique_basename(coco: Workspace, tmp_path: Path) -> None:
    doc = full_doc()
    doc["images"][1]["file_name"] = "val/b.png"  # the relative path picks one of the two b.png
    labels = ok(coco, save(tmp_path / "in.json", doc))
    assert "/val/b.png" in labels and "/train/b.png" not in labels
    assert "/val/c.png" in labels  # `c.png` is a unique basename


def test_keypoints_are_put_in_the_skeletons_order_by_name(ws: Workspace, tmp_path: Path) -> None:
    """A COCO category that lists the skeleton's points in another order is read by name, not by
    position; a category with other points is refused, never misassigned."""
    make_images(tmp_path / "imgs", {"a.png": (100, 100)})
    ws.create_dataset("kd")
    ws.add_rows("kd", [tmp_path / "imgs"])
    ontology = {
        "tools": [{"name": "person", "tool": "skeleton", "keypoints": ["nose", "eye"], "edges": [[1, 2]]}]
    }
    ws.create_ontology("ko", ontology)
    ws.create_project("kp", ontology="ko", media_type="image")
    ws.create_batch("kp", "b", dataset="kd")

    def coco(names: list[str]) -> Path:
        doc = {
            "images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 100}],
            "categories": [{"id": 1, "name": "person", "keypoints": names, "skeleton": [[1, 2]]}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "keypoints": [1, 2, 2, 3, 4, 1]}],
        }
        path = tmp_path / f"{'-'.join(names)}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        return path

    bad = ws.import_labels("kp", coco(["eye", "mouth"]), format="coco")
    assert bad.state is JobState.FAILED
    assert [i.code for i in ws.job_issues(bad.id) if i.severity.value == "error"] == ["skeleton_mismatch"]
    job = ws.import_labels("kp", coco(["eye", "nose"]), format="coco")
    assert job.state is JobState.SUCCEEDED, list(ws.job_issues(job.id))
    (person,) = ws.labels("kp")["/a.png"]
    assert person.geometry == [3, 4, 1, 1, 2, 2]  # nose first, as the ontology orders them


def test_a_rectangle_class_takes_the_box_and_keeps_the_segmentation(ws: Workspace, tmp_path: Path) -> None:
    """COCO instances carry a box and a polygon (val2017, pycocotools, Datumaro all write both): a
    class whose tool is a rectangle takes the box, keeps the polygon aside, and COCO gets it back."""
    make_images(tmp_path / "imgs", {"a.png": (100, 100)})
    ws.create_dataset("sd")
    ws.add_rows("sd", [tmp_path / "imgs"])
    ws.create_ontology("so", {"tools": [{"name": "car", "tool": "rectangle"}]})
    ws.create_project("sp", ontology="so", media_type="image")
    ws.create_batch("sp", "b", dataset="sd")
    ring = [10.0, 10.0, 50.0, 12.0, 30.0, 40.0]
    doc = {
        "images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 100}],
        "categories": [{"id": 3, "name": "car", "supercategory": "vehicle"}],
        "annotations": [
            {
                "id": 7,
                "image_id": 1,
                "category_id": 3,
                "bbox": [10, 10, 40, 30],
                "area": 640.0,
                "iscrowd": 0,
                "segmentation": [ring],
            },
        ],
    }
    payload = tmp_path / "val.json"
    payload.write_text(json.dumps(doc), encoding="utf-8")
    job = ws.import_labels("sp", payload, format="coco")
    assert job.state is JobState.SUCCEEDED, list(ws.job_issues(job.id))
    assert [i.code for i in ws.job_issues(job.id)] == ["segmentation_kept"]
    (car,) = ws.labels("sp")["/a.png"]
    assert car.kind == "bbox" and car.geometry == [10, 10, 40, 30]
    assert (car.extra or {})["segmentation"] == [ring]
    out = tmp_path / "out.json"
    ws.export("sp", out, format="coco")
    (back,) = json.loads(out.read_text(encoding="utf-8"))["annotations"]
    assert back["bbox"] == [10, 10, 40, 30] and back["segmentation"] == [ring]


@pytest.mark.parametrize(
    ("file_name", "matched"),
    [
        ("train/a.png", True),
        ("./train/a.png", True),
        ("train\\a.png", True),  # written on Windows
        ("images/train/a.png", True),  # named from a higher folder
        ("val/a.png", False),  # another folder: never the row at train/a.png
    ],
)
def test_file_names_are_paths_whatever_their_spelling(
    ws: Workspace, tmp_path: Path, file_name: str, matched: bool
) -> None:
    make_images(tmp_path / "imgs", {"train/a.png": (100, 100), "train/b.png": (100, 100)})
    ws.create_dataset("fd")
    ws.add_rows("fd", [tmp_path / "imgs"])
    ws.create_ontology("fo", {"tools": [{"name": "car", "tool": "rectangle"}]})
    ws.create_project("fp", ontology="fo", media_type="image")
    ws.create_batch("fp", "b", dataset="fd")
    doc = {
        "images": [{"id": 1, "file_name": file_name, "width": 100, "height": 100}],
        "categories": [{"id": 1, "name": "car"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5]}],
    }
    payload = tmp_path / "c.json"
    payload.write_text(json.dumps(doc), encoding="utf-8")
    job = ws.import_labels("fp", payload, format="coco")
    if matched:
        assert job.state is JobState.SUCCEEDED, list(ws.job_issues(job.id))
        assert list(ws.labels("fp")) == ["/train/a.png"]
    else:
        assert job.state is JobState.FAILED
        assert [i.code for i in ws.job_issues(job.id) if i.severity.value == "error"] == [
            "data_row_not_found"
        ]


def test_ids_beyond_64_bits_are_kept_exactly(coco: Workspace, tmp_path: Path) -> None:
    """JSON integers have no size limit and msgspec decodes them; msgpack (the spool) and orjson
    (which reads them back as floats) stop at 64 bits. Such an id used to fail the job."""
    big = 2**70 + 1
    doc = {
        "images": [{"id": 1, "file_name": "a.png", "width": W, "height": H}],
        "categories": [{"id": 3, "name": "car"}],
        "annotations": [
            {"id": big, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4]},
            {"id": 5, "image_id": 1, "category_id": 3, "bbox": [2, 2, 3, 4], "attributes": {"n": -big}},
        ],
    }
    labels = ok(coco, save(tmp_path / "big.json", doc))
    extras = sorted(((a.extra or {}).get("id"), (a.extra or {}).get("attributes")) for a in labels["/a.png"])
    assert extras == [(5, {"n": -big}), (big, None)]
    # and written back as they came (orjson, the writer's encoder, stops at 64 bits too)
    coco.export("p", tmp_path / "back.json", format="coco")
    back = msgspec.json.decode((tmp_path / "back.json").read_bytes())["annotations"]
    assert sorted((a["id"], a.get("attributes")) for a in back) == [(5, {"n": -big}), (big, None)]
