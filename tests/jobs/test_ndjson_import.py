from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from labelport import Workspace
from labelport.model.jobs import JobState
from tests.jobs.conftest import H, W, sample_lines, uid, write_ndjson


def test_every_image_shape_imports(proj: Workspace, tmp_path: Path) -> None:
    job = proj.import_labels("p", write_ndjson(tmp_path / "p.ndjson", sample_lines()), format="ndjson")
    assert job.state is JobState.SUCCEEDED, list(proj.job_issues(job.id))
    assert job.counts["annotations_imported"] == 12 and job.counts["data_rows_done"] == 2
    labels = proj.labels("p")
    kinds = sorted(a.kind for a in labels["img-1"])
    assert kinds == sorted(
        [
            "relationship",
            "bbox",
            "polygon",
            "line",
            "point",
            "mask",
            "radio",
            "checklist",
            "text",
            "point",
            "point",
        ]
    )
    car = next(a for a in labels["img-1"] if a.uid == uid(1))
    assert car.geometry == [10.0, 20.0, 100.0, 50.0]
    assert car.classifications[0].value.name == "red"  # type: ignore[union-attr]
    assert car.classifications[0].value.classifications[0].value.name == "dark"  # type: ignore[union-attr]
    assert [t.status.value for t in proj.tasks("p")] == ["done", "done", "not_started"]


def _one(proj: Workspace, tmp_path: Path, line: Any, **kw: Any) -> list[str]:
    job = proj.import_labels("p", write_ndjson(tmp_path / "x.ndjson", [line]), format="ndjson", **kw)
    assert job.state is JobState.FAILED
    assert proj.labels("p") == {}, "a failed job must change nothing"
    return [i.code for i in proj.job_issues(job.id)]


BASE = {
    "uuid": uid(1),
    "dataRow": {"globalKey": "img-1"},
    "name": "car",
    "bbox": {"top": 1, "left": 1, "height": 5, "width": 5},
}


def _with(**changes: Any) -> dict[str, Any]:
    d = copy.deepcopy(BASE)
    for k, v in changes.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("{not json", "invalid_json"),
        (_with(dataRow=None), "missing_field"),
        (_with(bbox={"top": "1", "left": 1, "height": 5, "width": 5}), "wrong_type"),
        (_with(dataRow={"globalKey": "img-9"}), "data_row_not_found"),
        (_with(name="Car"), "unknown_class"),
        (
            _with(
                name="car ",
            ),
            "unknown_class",
        ),
        (_with(name="lake"), "tool_type_mismatch"),
        (_with(classifications=[{"name": "colour", "answer": {"name": "red"}}]), "unknown_attribute"),
        (
            _with(classifications=[{"name": "color", "answer": {"name": "Red"}}]),
            "attribute_value_not_allowed",
        ),
        (_with(classifications=[{"name": "color", "answer": [{"name": "red"}]}]), "answer_type_mismatch"),
        (_with(bbox={"top": 1, "left": 150, "height": 5, "width": 60}), "out_of_bounds"),
        (_with(bbox={"top": -1, "left": 1, "height": 5, "width": 5}), "out_of_bounds"),
        (_with(bbox={"top": 1, "left": 1, "height": 0, "width": 5}), "degenerate_geometry"),
        (
            '{"uuid": "UID", "dataRow": {"globalKey": "img-1"}, "name": "eye", '
            '"point": {"x": NaN, "y": 1}}'.replace("UID", uid(1)),
            "non_finite_coordinate",
        ),
        (_with(uuid="not-a-uuid"), "bad_annotation_id"),
        (
            {
                "uuid": uid(3),
                "dataRow": {"globalKey": "img-1"},
                "name": "follows",
                "relationship": {"source": uid(1), "target": uid(2)},
            },
            "relationship_endpoint_missing",
        ),
        (
            {
                "uuid": uid(3),
                "dataRow": {"globalKey": "img-1"},
                "name": "lake",
                "polygon": [{"x": 1, "y": 1}, {"x": 2, "y": 2}],
            },
            "degenerate_geometry",
        ),
        (
            {
                "uuid": uid(3),
                "dataRow": {"globalKey": "img-1"},
                "name": "tags",
                "answer": [{"name": "a"}, {"name": "a"}],
            },
            "duplicate_answer",
        ),
    ],
)
def test_each_problem_has_its_code(proj: Workspace, tmp_path: Path, line: Any, code: str) -> None:
    assert code in _one(proj, tmp_path, line)


def test_duplicate_ids_and_not_in_project(proj: Workspace, tmp_path: Path) -> None:
    proj.create_dataset("other")
    extra = tmp_path / "extra.json"
    extra.write_text(
        json.dumps(
            [
                {
                    "uri": "s3://b/x.png",
                    "global_key": "outside",
                    "media_type": "image",
                    "metadata": {"width": W, "height": H},
                }
            ]
        ),
        encoding="utf-8",
    )
    proj.add_manifest("other", extra)
    lines = [BASE, BASE, _with(dataRow={"globalKey": "outside"})]
    job = proj.import_labels("p", write_ndjson(tmp_path / "x.ndjson", lines), format="ndjson")
    issues = list(proj.job_issues(job.id))
    assert [(i.code, i.location.line) for i in issues] == [
        ("duplicate_annotation_id", 2),
        ("data_row_not_in_project", 3),
    ]
    assert "first at line 1" in issues[0].message


def test_never_stops_at_the_first_problem(proj: Workspace, tmp_path: Path) -> None:
    bad = [_with(uuid=uid(i), name="Car") for i in range(1, 1001)]
    job = proj.import_labels("p", write_ndjson(tmp_path / "x.ndjson", bad), format="ndjson")
    assert job.counts["errors"] == 1000
    page = list(proj.job_issues(job.id, offset=990, limit=20))
    assert [i.location.line for i in page] == list(range(991, 1001))
    assert page[0].hint == "did you mean `car`?"


def test_class_map_renames(proj: Workspace, tmp_path: Path) -> None:
    cmap = tmp_path / "map.json"
    cmap.write_text('{"Car": "car"}', encoding="utf-8")
    job = proj.import_labels(
        "p", write_ndjson(tmp_path / "x.ndjson", [_with(name="Car")]), format="ndjson", class_map=cmap
    )
    assert job.state is JobState.SUCCEEDED
    assert proj.labels("p")["img-1"][0].name == "car"


def test_dry_run_reports_and_writes_nothing(proj: Workspace, tmp_path: Path) -> None:
    payload = write_ndjson(tmp_path / "p.ndjson", sample_lines())
    job = proj.import_labels("p", payload, format="ndjson", dry_run=True)
    assert job.state is JobState.SUCCEEDED and job.dry_run
    assert job.counts["annotations_imported"] == 12
    assert proj.labels("p") == {}
    assert {t.status.value for t in proj.tasks("p")} == {"not_started"}
    real = proj.import_labels("p", payload, format="ndjson")
    assert real.duplicate_of is None and real.counts["annotations_imported"] == 12


def test_same_payload_twice_creates_nothing(proj: Workspace, tmp_path: Path) -> None:
    payload = write_ndjson(tmp_path / "p.ndjson", sample_lines())
    first = proj.import_labels("p", payload, format="ndjson")
    again = proj.import_labels("p", payload, format="ndjson")
    assert again.state is JobState.SUCCEEDED and again.duplicate_of == first.id
    assert sum(len(v) for v in proj.labels("p").values()) == 12


def test_existing_labels_policies(proj: Workspace, tmp_path: Path) -> None:
    proj.import_labels("p", write_ndjson(tmp_path / "a.ndjson", [BASE]), format="ndjson")
    moved = _with(bbox={"top": 2, "left": 2, "height": 5, "width": 5})
    second = [moved, _with(uuid=uid(2))]
    payload = write_ndjson(tmp_path / "b.ndjson", second)
    failed = proj.import_labels("p", payload, format="ndjson")
    assert [i.code for i in proj.job_issues(failed.id)] == ["existing_labels"]
    skipped = proj.import_labels("p", payload, format="ndjson", on_existing="skip")
    assert skipped.state is JobState.SUCCEEDED and skipped.counts["data_rows_skipped"] == 1
    assert [a.geometry for a in proj.labels("p")["img-1"]] == [[1, 1, 5, 5]]
    replaced = proj.import_labels("p", payload, format="ndjson", on_existing="replace")
    assert replaced.counts["annotations_replaced"] == 1 and replaced.counts["annotations_imported"] == 2
    assert sorted((a.uid, tuple(a.geometry)) for a in proj.labels("p")["img-1"]) == [
        (uid(1), (2, 2, 5, 5)),
        (uid(2), (1, 1, 5, 5)),
    ]


def test_started_task_is_a_conflict(proj: Workspace, tmp_path: Path) -> None:
    proj.set_task_status("p", "img-1", "in_review")
    job = proj.import_labels("p", write_ndjson(tmp_path / "a.ndjson", [BASE]), format="ndjson")
    assert [i.code for i in proj.job_issues(job.id)] == ["task_already_started"]


def test_prelabels_leave_tasks_alone(proj: Workspace, tmp_path: Path) -> None:
    job = proj.import_labels(
        "p", write_ndjson(tmp_path / "a.ndjson", [BASE]), format="ndjson", mode="prelabel"
    )
    assert job.state is JobState.SUCCEEDED
    assert proj.labels("p") == {} and len(proj.labels("p", mode="prelabel")["img-1"]) == 1
    assert {t.status.value for t in proj.tasks("p")} == {"not_started"}


def test_undo_restores_and_is_refused_when_later_jobs_touched_the_rows(
    proj: Workspace, tmp_path: Path
) -> None:
    a = proj.import_labels("p", write_ndjson(tmp_path / "a.ndjson", [BASE]), format="ndjson")
    moved = _with(bbox={"top": 2, "left": 2, "height": 5, "width": 5})
    b = proj.import_labels(
        "p", write_ndjson(tmp_path / "b.ndjson", [moved]), format="ndjson", on_existing="replace"
    )
    with pytest.raises(Exception, match=f"later jobs {b.id}"):
        proj.undo_job(a.id)
    proj.undo_job(b.id)
    assert [a.geometry for a in proj.labels("p")["img-1"]] == [[1, 1, 5, 5]]
    assert proj.tasks("p")[0].status.value == "done"
    proj.undo_job(a.id)
    assert proj.labels("p") == {}
    assert proj.tasks("p")[0].status.value == "not_started"
    with pytest.raises(Exception, match="already undone"):
        proj.undo_job(a.id)


def test_export_round_trip_reproduces_labels(proj: Workspace, tmp_path: Path) -> None:
    proj.import_labels("p", write_ndjson(tmp_path / "p.ndjson", sample_lines()), format="ndjson")
    out = tmp_path / "out.ndjson"
    summary = proj.export("p", out, format="ndjson")
    assert summary.annotations == 12 and summary.not_expressible == []
    proj.create_project("p2", ontology="o", media_type="image")
    proj.create_batch("p2", "b", dataset="d")
    job = proj.import_labels("p2", out, format="ndjson")
    assert job.state is JobState.SUCCEEDED
    assert _canon(proj.labels("p2")) == _canon(proj.labels("p"))


def _canon(labels: dict[str, list[Any]]) -> dict[str, list[Any]]:
    import msgspec

    return {k: sorted((msgspec.to_builtins(a) for a in v), key=lambda d: d["uid"]) for k, v in labels.items()}


def test_rows_by_id_and_classes_by_schema_id(proj: Workspace, tmp_path: Path) -> None:
    spec = proj.ontology("o").spec
    car_id = spec["tools"][0]["featureSchemaId"]
    red_id = spec["tools"][0]["classifications"][0]["options"][0]["featureSchemaId"]
    color_id = spec["tools"][0]["classifications"][0]["featureSchemaId"]
    row_id = proj.row("img-1").id
    line = {
        "uuid": uid(1),
        "dataRow": {"id": row_id},
        "schemaId": car_id,
        "classifications": [{"schemaId": color_id, "answer": {"schemaId": red_id}}],
        "bbox": {"top": 1, "left": 1, "height": 5, "width": 5},
    }
    job = proj.import_labels("p", write_ndjson(tmp_path / "x.ndjson", [line]), format="ndjson")
    assert job.state is JobState.SUCCEEDED, [i.message for i in proj.job_issues(job.id)]
    ann = proj.labels("p")["img-1"][0]
    assert (ann.name, ann.schema_id, ann.classifications[0].value.name) == ("car", car_id, "red")  # type: ignore[union-attr]


def test_composite_mask_by_uri(proj: Workspace, tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    composite = np.zeros((H, W, 3), np.uint8)
    composite[10:20, 10:30] = (255, 0, 0)
    composite[50:60, 100:150] = (0, 255, 0)
    Image.fromarray(composite).save(tmp_path / "composite.png")
    lines = [
        {
            "uuid": uid(i),
            "dataRow": {"globalKey": "img-1"},
            "name": "seg",
            "mask": {"instanceURI": "composite.png", "colorRGB": c},
        }
        for i, c in ((1, [255, 0, 0]), (2, [0, 255, 0]))
    ]
    job = proj.import_labels("p", write_ndjson(tmp_path / "m.ndjson", lines), format="ndjson")
    assert job.state is JobState.SUCCEEDED, [i.message for i in proj.job_issues(job.id)]
    from labelport.formats import masks

    got = {a.uid: masks.area(a.geometry) for a in proj.labels("p")["img-1"]}
    assert got == {uid(1): 200, uid(2): 500}
    bad = [{**lines[0], "mask": {"instanceURI": "composite.png", "colorRGB": [0, 0, 255]}}]
    job = proj.import_labels(
        "p", write_ndjson(tmp_path / "b.ndjson", bad), format="ndjson", on_existing="replace"
    )
    assert [i.code for i in proj.job_issues(job.id)] == ["mask_color_not_found"]


def test_required_classification(ws: Workspace, tmp_path: Path) -> None:
    from tests.helpers import make_images

    make_images(tmp_path, {"a.png": (10, 10)})
    ws.create_dataset("d")
    ws.add_rows("d", [tmp_path / "a.png"])
    ws.create_ontology(
        "o",
        {
            "tools": [
                {
                    "name": "car",
                    "tool": "rectangle",
                    "classifications": [
                        {"name": "occluded", "type": "radio", "required": True, "options": ["yes", "no"]}
                    ],
                }
            ],
            "classifications": [{"name": "weather", "type": "text", "required": True}],
        },
    )
    ws.create_project("p", ontology="o", media_type="image")
    ws.create_batch("p", "b", dataset="d")
    line = {
        "uuid": uid(1),
        "dataRow": {"globalKey": "/a.png"},
        "name": "car",
        "bbox": {"top": 1, "left": 1, "height": 5, "width": 5},
    }
    job = ws.import_labels("p", write_ndjson(tmp_path / "x.ndjson", [line]), format="ndjson")
    assert sorted(i.code for i in ws.job_issues(job.id)) == ["missing_required_classification"] * 2


def test_every_line_has_an_outcome(proj: Workspace, tmp_path: Path) -> None:
    lines = [
        _with(uuid=uid(1)),
        "{broken",
        _with(uuid=uid(3)),
        _with(uuid=uid(4), name="Car"),
        _with(uuid=uid(5)),
        _with(uuid=uid(6)),
    ]
    failed = proj.import_labels("p", write_ndjson(tmp_path / "a.ndjson", lines), format="ndjson")
    assert [(x["first_line"], x["last_line"], x["outcome"]) for x in failed.lines] == [
        (1, 1, "not_imported"),
        (2, 2, "rejected"),
        (3, 3, "not_imported"),
        (4, 4, "rejected"),
        (5, 6, "not_imported"),
    ]
    good = [_with(uuid=uid(i)) for i in range(1, 6)] + [_with(uuid=uid(9), dataRow={"globalKey": "img-2"})]
    ok = proj.import_labels("p", write_ndjson(tmp_path / "b.ndjson", good), format="ndjson")
    assert [(x["file"], x["first_line"], x["last_line"], x["outcome"]) for x in ok.lines] == [
        ("b.ndjson", 1, 6, "imported")
    ]
    again = [_with(uuid=uid(20)), _with(uuid=uid(21), dataRow={"globalKey": "img-3"})]
    skip = proj.import_labels(
        "p", write_ndjson(tmp_path / "c.ndjson", again), format="ndjson", on_existing="skip"
    )
    assert [(x["first_line"], x["outcome"]) for x in skip.lines] == [(1, "skipped"), (2, "imported")]


def test_identical_shapes_without_ids_are_both_imported_with_stable_ids(
    proj: Workspace, tmp_path: Path
) -> None:
    line = {
        "dataRow": {"globalKey": "img-1"},
        "name": "lake",
        "polygon": [{"x": 1, "y": 1}, {"x": 9, "y": 1}, {"x": 5, "y": 8}],
    }
    payload = write_ndjson(tmp_path / "twice.ndjson", [line, line, line])
    job = proj.import_labels("p", payload, format="ndjson")
    assert job.state is JobState.SUCCEEDED
    codes = [i.code for i in proj.job_issues(job.id)]
    assert codes.count("identical_annotations") == 2
    first = sorted(a.uid or "" for a in proj.labels("p")["img-1"])
    assert len(set(first)) == 3
    again = proj.import_labels("p", payload, format="ndjson", on_existing="replace", name="again")
    assert again.state is JobState.SUCCEEDED and again.counts["annotations_replaced"] == 3
    assert sorted(a.uid or "" for a in proj.labels("p")["img-1"]) == first


def test_consecutive_lines_of_a_row_are_still_reported_line_by_line(proj: Workspace, tmp_path: Path) -> None:
    """The reader joins consecutive plain lines of one row into one record; the report still
    names each line: an unknown class rejects its own line only, and a row that does not exist
    is reported on each of its lines."""
    lines = [
        _with(uuid=uid(1)),
        _with(uuid=uid(2), name="Car"),
        _with(uuid=uid(3)),
        *(_with(uuid=uid(n), dataRow={"globalKey": "img-9"}) for n in (4, 5, 6)),
        _with(uuid=uid(7), dataRow={"globalKey": "img-2"}),
    ]
    job = proj.import_labels("p", write_ndjson(tmp_path / "p.ndjson", lines), format="ndjson")
    assert job.state is JobState.FAILED
    issues = [(i.code, i.location.line) for i in proj.job_issues(job.id)]
    assert issues == [("unknown_class", 2), *(("data_row_not_found", n) for n in (4, 5, 6))]
    runs = [(r["first_line"], r["last_line"], r["outcome"]) for r in proj.job(job.id).lines]
    assert runs == [
        (1, 1, "not_imported"),
        (2, 2, "rejected"),
        (3, 3, "not_imported"),
        (4, 6, "rejected"),
        (7, 7, "not_imported"),
    ]


def test_progress_counts_lines_when_records_join_many(proj: Workspace, tmp_path: Path) -> None:
    """Three rows of 700 lines are three records: progress is reported by lines, not records."""
    lines = [
        _with(
            uuid=uid(r * 1000 + k),
            dataRow={"globalKey": f"img-{r}"},
            bbox={"top": 1, "left": k % 90, "height": 5, "width": 5},
        )
        for r in (1, 2, 3)
        for k in range(700)
    ]
    seen: list[tuple[str, int]] = []
    job = proj.import_labels(
        "p",
        write_ndjson(tmp_path / "p.ndjson", lines),
        format="ndjson",
        progress=lambda phase, done, total: seen.append((phase, done)),
    )
    assert job.state is JobState.SUCCEEDED, [i.code for i in proj.job_issues(job.id)]
    assert job.counts["annotations_imported"] == 2100
    assert ("validating", 1400) in seen
