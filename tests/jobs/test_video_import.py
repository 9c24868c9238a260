"""Video through NDJSON, end to end on a real encoded clip (PyAV, 10 frames of 64x48): the real
Labelbox SDK's payload imports with nothing refused, a broken copy of each kind is refused with its
code and changes nothing, and export then import gives back exactly the stored labels."""

from __future__ import annotations

import copy
import io
import json
import warnings
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
from PIL import Image

from labelport import Workspace
from labelport.formats import masks
from labelport.jobs import reader
from tests.jobs.conftest import write_ndjson
from tests.jobs.temporal import add_project, canon, imported, one_row_project, refusals
from tests.media.assets import make_video

lb = pytest.importorskip("labelbox.types")
serialization = pytest.importorskip("labelbox.data.serialization")

W, H, FRAMES = 64, 48, 10
RED, GREEN = (255, 0, 0), (0, 255, 0)

ONTOLOGY: dict[str, Any] = {
    "tools": [
        {
            "name": "ball",
            "tool": "rectangle",
            "classifications": [
                {"name": "moving", "type": "radio", "options": [{"value": "yes"}, {"value": "no"}]}
            ],
        },
        {"name": "player", "tool": "rectangle"},
        {"name": "tip", "tool": "point"},
        {"name": "path", "tool": "line"},
        {"name": "seg", "tool": "raster-segmentation"},
        {"name": "sky", "tool": "raster-segmentation"},
    ],
    "classifications": [
        {"name": "overall", "type": "radio", "options": [{"value": "good"}, {"value": "bad"}]},
        {
            "name": "scene",
            "type": "radio",
            "scope": "index",
            "options": [
                {
                    "value": "day",
                    "options": [
                        {
                            "name": "light",
                            "type": "radio",
                            "options": [{"value": "sun"}, {"value": "cloud"}],
                        }
                    ],
                },
                {"value": "night"},
            ],
        },
        {"name": "flags", "type": "checklist", "scope": "index", "options": [{"value": "a"}, {"value": "b"}]},
        {"name": "note", "type": "text", "scope": "index"},
    ],
}


@pytest.fixture
def vproj(ws: Workspace, tmp_path: Path) -> Workspace:
    clip = make_video(tmp_path / "clip.mp4", frames=FRAMES, size=(W, H))
    return one_row_project(ws, tmp_path, clip, "vid-1", ONTOLOGY, "video", "v")


def composite(*boxes: tuple[tuple[int, int, int], slice, slice]) -> bytes:
    """A frame's composite mask PNG: each instance painted in its colour."""
    img = np.zeros((H, W, 3), np.uint8)
    for color, ys, xs in boxes:
        img[ys, xs] = color
    buf = io.BytesIO()
    Image.fromarray(img, mode="RGB").save(buf, format="PNG")
    return buf.getvalue()


def _box(x: float, y: float, w: float, h: float) -> Any:
    return lb.Rectangle(start=lb.Point(x=x, y=y), end=lb.Point(x=x + w, y=y + h))


def sdk_lines() -> list[dict[str, Any]]:
    """Every video annotation the SDK serializes, as it serializes them."""
    t = lb
    moving = t.ClassificationAnnotation(
        name="moving", value=t.Radio(answer=t.ClassificationAnswer(name="yes"))
    )
    anns: list[Any] = [
        t.ClassificationAnnotation(name="overall", value=t.Radio(answer=t.ClassificationAnswer(name="good"))),
        t.VideoObjectAnnotation(
            name="ball", frame=1, keyframe=True, segment_index=0, value=_box(1, 1, 10, 10)
        ),
        t.VideoObjectAnnotation(
            name="ball",
            frame=3,
            keyframe=True,
            segment_index=0,
            value=_box(2, 2, 10, 10),
            classifications=[moving],
        ),
        t.VideoObjectAnnotation(
            name="ball", frame=5, keyframe=True, segment_index=1, value=_box(3, 3, 10, 10)
        ),
        t.VideoObjectAnnotation(name="tip", frame=2, keyframe=True, value=t.Point(x=3, y=3)),
        t.VideoObjectAnnotation(name="tip", frame=3, keyframe=True, value=t.Point(x=4, y=3)),
        t.VideoObjectAnnotation(
            name="path", frame=4, keyframe=True, value=t.Line(points=[t.Point(x=0, y=0), t.Point(x=W, y=H)])
        ),
        *[
            t.VideoClassificationAnnotation(
                name="scene", frame=f, value=t.Radio(answer=t.ClassificationAnswer(name="day"))
            )
            for f in (1, 2, 3, 7, 8)
        ],
        *[
            t.VideoClassificationAnnotation(
                name="flags",
                frame=f,
                value=t.Checklist(
                    answer=[t.ClassificationAnswer(name="a"), t.ClassificationAnswer(name="b")]
                ),
            )
            for f in (2, 3)
        ],
        *[
            t.VideoClassificationAnnotation(name="note", frame=f, value=t.Text(answer=x))
            for f, x in ((1, "hi"), (2, "hi"), (FRAMES, "bye"))
        ],
        t.VideoMaskAnnotation(
            frames=[
                t.MaskFrame(
                    index=1,
                    im_bytes=composite(
                        (RED, slice(2, 10), slice(2, 10)), (GREEN, slice(20, 30), slice(20, 30))
                    ),
                ),
                t.MaskFrame(index=2, im_bytes=composite((RED, slice(5, 9), slice(5, 9)))),
            ],
            instances=[
                t.MaskInstance(color_rgb=RED, name="seg"),
                t.MaskInstance(color_rgb=GREEN, name="sky"),
            ],
        ),
    ]
    label = t.Label(data={"global_key": "vid-1"}, annotations=anns)
    with warnings.catch_warnings():
        # SDK 7.17 puts the base64 text of a mask frame back into its bytes field, and pydantic says so
        warnings.filterwarnings("ignore", "Pydantic serializer warnings", UserWarning)
        lines = list(serialization.NDJsonConverter.serialize([label]))
    return [msgspec.json.decode(msgspec.json.encode(x)) for x in lines]


def _import(ws: Workspace, path: Path, project: str = "v") -> Any:
    return imported(ws, project, path)


def test_sdk_payload_imports_with_every_video_annotation(vproj: Workspace, tmp_path: Path) -> None:
    lines = sdk_lines()
    assert not any("uuid" in x for x in lines if "segments" in x)  # the SDK names no video object
    job = _import(vproj, write_ndjson(tmp_path / "v.ndjson", lines))
    assert job.counts["annotations_imported"] == 1 + 3 + 2 + 1 + 3 + 3 and job.counts["warnings"] == 0
    anns = vproj.labels("v")["vid-1"]
    balls = sorted((a for a in anns if a.name == "ball"), key=lambda a: a.frame or 0)
    assert [(a.frame, (a.extra or {}).get("segment")) for a in balls] == [(1, 0), (3, 0), (5, 1)]
    assert len({a.track_id for a in balls}) == 1 and len({a.uid for a in balls}) == 3
    assert balls[1].classifications[0].value.name == "yes"  # type: ignore[union-attr]
    tips = [a for a in anns if a.name == "tip"]
    assert {a.track_id for a in tips} != {balls[0].track_id} and len({a.track_id for a in tips}) == 1
    masks = sorted(((a.frame, a.name) for a in anns if a.kind == "mask"), key=str)
    assert masks == [(1, "seg"), (1, "sky"), (2, "seg")]  # `sky` is not in frame 2's composite
    by_name = {a.name: a.answer for a in anns if a.answer is not None}
    scene = by_name["scene"]
    assert scene is not None and isinstance(scene.value, list)
    assert [(c.name, c.frames) for c in scene.value] == [("day", [(1, 3), (7, 8)])]
    flags = by_name["flags"]
    assert flags is not None and isinstance(flags.value, list)
    assert [(c.name, c.frames) for c in flags.value] == [("a", [(2, 3)]), ("b", [(2, 3)])]
    note = by_name["note"]
    assert note is not None and isinstance(note.value, list)
    assert [(c.text, c.frames) for c in note.value] == [("hi", [(1, 2)]), ("bye", [(FRAMES, FRAMES)])]
    overall = by_name["overall"]
    assert overall is not None and not isinstance(overall.value, list | str) and overall.value is not None
    assert overall.value.frames is None  # a global answer holds over the whole video


def test_importing_the_same_payload_again_gives_the_same_ids(vproj: Workspace, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "v.ndjson", sdk_lines())
    _import(vproj, path)
    first = canon(vproj.labels("v"))
    add_project(vproj, "v2", "video")
    _import(vproj, path, "v2")
    assert canon(vproj.labels("v2")) == first


def test_export_then_import_reproduces_the_labels(vproj: Workspace, tmp_path: Path) -> None:
    _import(vproj, write_ndjson(tmp_path / "v.ndjson", sdk_lines()))
    out = tmp_path / "out.ndjson"
    summary = vproj.export("v", out, format="ndjson")
    assert summary.not_expressible == [] and summary.annotations == 13
    written = [json.loads(x) for x in out.read_text().splitlines()]
    assert sum("segments" in x for x in written) == 3 and sum("masks" in x for x in written) == 1
    scene = next(x for x in written if x.get("name") == "scene")
    assert scene["answer"] == {"name": "day"} and scene["frames"] == [
        {"start": 1, "end": 3},
        {"start": 7, "end": 8},
    ]  # the SDK's own form
    add_project(vproj, "v2", "video")
    _import(vproj, out, "v2")
    assert canon(vproj.labels("v2")) == canon(vproj.labels("v"))


def test_frames_inside_answers_read_as_the_sdk_form(vproj: Workspace, tmp_path: Path) -> None:
    """The docs' form (ranges inside each answer, a radio as a list) stores what the SDK's does."""
    row = {"globalKey": "vid-1"}
    sdk = {
        "name": "scene",
        "answer": {"name": "day"},
        "frames": [{"start": 7, "end": 8}, {"start": 1, "end": 3}],
    }
    docs = {
        "name": "scene",
        "answer": [{"name": "day", "frames": [{"start": 1, "end": 3}, {"start": 7, "end": 8}]}],
    }
    stored = []
    for i, line in enumerate((sdk, docs)):
        project = f"p{i}"
        add_project(vproj, project, "video")
        _import(vproj, write_ndjson(tmp_path / f"{i}.ndjson", [{**line, "dataRow": row}]), project)
        stored.append([a.answer for a in vproj.labels(project)["vid-1"]])
    assert stored[0] == stored[1]


def test_nested_answers_over_time(vproj: Workspace, tmp_path: Path) -> None:
    line = {
        "dataRow": {"globalKey": "vid-1"},
        "name": "scene",
        "answer": [
            {
                "name": "day",
                "frames": [{"start": 1, "end": 3}, {"start": 4, "end": 6}],
                "classifications": [
                    {"name": "light", "answer": [{"name": "sun", "frames": [{"start": 2, "end": 5}]}]}
                ],
            },
            {"name": "night", "frames": [{"start": 8, "end": 10}]},
        ],
    }
    _import(vproj, write_ndjson(tmp_path / "n.ndjson", [line]))
    (ann,) = vproj.labels("v")["vid-1"]
    assert ann.answer is not None and isinstance(ann.answer.value, list)
    day, night = ann.answer.value
    assert (day.name, night.name, night.frames) == ("day", "night", [(8, 10)])
    light = day.classifications[0].value
    assert isinstance(light, list) and light[0].frames == [(2, 5)]


def _url_masks(uid_end: str) -> dict[str, Any]:
    """A line of masks by `instanceURI`: frames 1 and 4 from `f1.png` and `f4.png` beside the
    payload, RED for `seg` and GREEN for `sky`."""
    return {
        "uuid": f"00000000-0000-4000-8000-0000000000{uid_end}",
        "dataRow": {"globalKey": "vid-1"},
        "masks": {
            "frames": [{"index": 1, "instanceURI": "f1.png"}, {"index": 4, "instanceURI": "f4.png"}],
            "instances": [{"colorRGB": list(RED), "name": "seg"}, {"colorRGB": list(GREEN), "name": "sky"}],
        },
    }


def test_mask_frames_by_url_are_fetched_and_cut(vproj: Workspace, tmp_path: Path) -> None:
    """`instanceURI` composites (here files beside the payload) are fetched once by the job."""
    (tmp_path / "f1.png").write_bytes(
        composite((RED, slice(2, 10), slice(2, 10)), (GREEN, slice(20, 30), slice(20, 30)))
    )
    (tmp_path / "f4.png").write_bytes(
        composite((RED, slice(0, 4), slice(0, 4)), (GREEN, slice(5, 6), slice(5, 9)))
    )
    line = _url_masks("f1")
    _import(vproj, write_ndjson(tmp_path / "m.ndjson", [line]))
    got = sorted((a.frame, a.name, int(masks.decode(a.geometry).sum())) for a in vproj.labels("v")["vid-1"])
    assert got == [(1, "seg", 64), (1, "sky", 100), (4, "seg", 16), (4, "sky", 4)]


def _scene(**answer: Any) -> dict[str, Any]:
    return {"dataRow": {"globalKey": "vid-1"}, "name": "scene", "answer": [{"name": "day", **answer}]}


def _object(*keyframes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "dataRow": {"globalKey": "vid-1"},
        "name": "ball",
        "segments": [{"keyframes": list(keyframes)}],
        **extra,
    }


def _kf(frame: int, left: float = 1, top: float = 1, size: float = 5) -> dict[str, Any]:
    return {"frame": frame, "bbox": {"top": top, "left": left, "height": size, "width": size}}


def _masks(index: int, png: bytes, *instances: tuple[tuple[int, int, int], str]) -> dict[str, Any]:
    import base64

    return {
        "dataRow": {"globalKey": "vid-1"},
        "masks": {
            "frames": [{"index": index, "imBytes": base64.b64encode(png).decode()}],
            "instances": [{"colorRGB": list(c), "name": n} for c, n in instances],
        },
    }


_RED_BOX = (RED, slice(1, 5), slice(1, 5))

BROKEN: dict[str, tuple[list[dict[str, Any]], str]] = {
    "keyframe 0 (frames are 1-based)": ([_object(_kf(0))], "frame_out_of_range"),
    "keyframe after the last frame": ([_object(_kf(FRAMES + 1))], "frame_out_of_range"),
    "keyframes out of order": ([_object(_kf(5), _kf(3))], "segments_overlap"),
    "a keyframe twice": ([_object(_kf(3), _kf(3))], "segments_overlap"),
    "segments overlapping": (
        [
            {
                "dataRow": {"globalKey": "vid-1"},
                "name": "ball",
                "segments": [{"keyframes": [_kf(2), _kf(6)]}, {"keyframes": [_kf(4)]}],
            }
        ],
        "segments_overlap",
    ),
    "a box leaving the frame": ([_object(_kf(2, left=W - 2))], "out_of_bounds"),
    "a polygon keyframe": (
        [_object({"frame": 1, "polygon": [{"x": 1, "y": 1}, {"x": 5, "y": 1}, {"x": 5, "y": 5}]})],
        "unsupported_annotation",
    ),
    "object-level classifications": (
        [_object(_kf(1), classifications=[{"name": "moving", "answer": {"name": "yes"}}])],
        "unsupported_annotation",
    ),
    "an image-style box without a frame": (
        [
            {
                "dataRow": {"globalKey": "vid-1"},
                "name": "ball",
                "bbox": {"top": 1, "left": 1, "height": 4, "width": 4},
            }
        ],
        "missing_field",
    ),
    "one track, two classes": (
        [
            _object(_kf(1), uuid="00000000-0000-4000-8000-000000000001"),
            {**_object(_kf(2), uuid="00000000-0000-4000-8000-000000000001"), "name": "player"},
        ],
        "track_class_changed",
    ),
    "one track twice in a frame": (
        [
            _object(_kf(1), uuid="00000000-0000-4000-8000-000000000001"),
            _object(_kf(1, left=9), uuid="00000000-0000-4000-8000-000000000001"),
        ],
        "duplicate_annotation_id",
    ),
    "a range past the last frame": ([_scene(frames=[{"start": 9, "end": FRAMES + 2}])], "frame_out_of_range"),
    "a range from frame 0": ([_scene(frames=[{"start": 0, "end": 2}])], "frame_out_of_range"),
    "a range ending before it starts": ([_scene(frames=[{"start": 5, "end": 2}])], "range_reversed"),
    "two radio answers at once": (
        [
            {
                "dataRow": {"globalKey": "vid-1"},
                "name": "scene",
                "answer": [
                    {"name": "day", "frames": [{"start": 1, "end": 5}]},
                    {"name": "night", "frames": [{"start": 3, "end": 8}]},
                ],
            }
        ],
        "segments_overlap",
    ),
    "a nested answer outside its parent": (
        [
            _scene(
                frames=[{"start": 1, "end": 3}],
                classifications=[
                    {"name": "light", "answer": [{"name": "sun", "frames": [{"start": 2, "end": 6}]}]}
                ],
            )
        ],
        "child_outside_parent",
    ),
    "frames on the line and in the answer": (
        [{**_scene(frames=[{"start": 1, "end": 2}]), "frames": [{"start": 1, "end": 2}]}],
        "invalid_value",
    ),
    "a text item without frames": (
        [{"dataRow": {"globalKey": "vid-1"}, "name": "note", "answer": [{"value": "hi"}]}],
        "missing_field",
    ),
    "a text over time given to a radio": (
        [
            {
                "dataRow": {"globalKey": "vid-1"},
                "name": "scene",
                "answer": [{"value": "x", "frames": [{"start": 1, "end": 1}]}],
            }
        ],
        "answer_type_mismatch",
    ),
    "a message id on a video": (
        [
            {
                "dataRow": {"globalKey": "vid-1"},
                "name": "overall",
                "answer": {"name": "good"},
                "messageId": "m-1",
            }
        ],
        "wrong_media_type",
    ),
    "a mask colour in no frame": (
        [_masks(1, composite(_RED_BOX), (RED, "seg"), (GREEN, "sky"))],
        "mask_color_not_found",
    ),
    "a mask frame past the end": (
        [_masks(FRAMES + 1, composite(_RED_BOX), (RED, "seg"))],
        "frame_out_of_range",
    ),
    "a mask the wrong size": (
        [
            _masks(
                1,
                (lambda b: (Image.new("RGB", (8, 8), RED).save(b, format="PNG"), b.getvalue())[1])(
                    io.BytesIO()
                ),
                (RED, "seg"),
            )
        ],
        "mask_invalid",
    ),
    "a mask instance naming a box tool": (
        [_masks(1, composite(_RED_BOX), (RED, "ball"))],
        "tool_type_mismatch",
    ),
}


def test_broken_copies_are_refused_and_change_nothing(vproj: Workspace, tmp_path: Path) -> None:
    """Each broken line, added to the SDK's good payload, fails the whole job with its code. One
    workspace for every case (a refused job leaves it as it was), so the cases stay fast."""
    cases = {
        case: (write_ndjson(tmp_path / f"bad{n}.ndjson", [*sdk_lines(), *copy.deepcopy(lines)]), code)
        for n, (case, (lines, code)) in enumerate(BROKEN.items())
    }
    assert refusals(vproj, "v", cases) == {}


def test_an_instance_absent_from_one_url_frame_is_not_refused(vproj: Workspace, tmp_path: Path) -> None:
    """An object leaves the picture: its colour is in frame 1's composite and not in frame 4's. That
    frame simply has no mask of it, as with inline composites; the job says nothing about it."""
    (tmp_path / "f1.png").write_bytes(
        composite((RED, slice(2, 10), slice(2, 10)), (GREEN, slice(20, 30), slice(20, 30)))
    )
    (tmp_path / "f4.png").write_bytes(composite((GREEN, slice(5, 6), slice(5, 9))))
    line = _url_masks("f2")
    job = _import(vproj, write_ndjson(tmp_path / "m.ndjson", [line]))
    got = sorted((a.frame, a.name) for a in vproj.labels("v")["vid-1"])
    assert got == [(1, "seg"), (1, "sky"), (4, "sky")]
    assert job.counts["annotations"] == 3


@pytest.mark.parametrize("in_process", [True, False], ids=["in-process", "reader-process"])
def test_masks_left_after_an_absent_instance_keep_their_own_fields(
    vproj: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_process: bool
) -> None:
    """The masks after one taken out of a record (its colour absent from a frame) keep their own
    ``extra``, whether the record was read in the job's process or came packed from a reader
    process (whose packed parts follow the annotations by position)."""
    (tmp_path / "f1.png").write_bytes(composite((GREEN, slice(20, 30), slice(20, 30))))  # no RED
    (tmp_path / "f4.png").write_bytes(
        composite((RED, slice(2, 10), slice(2, 10)), (GREEN, slice(5, 6), slice(5, 9)))
    )
    line = _url_masks("f3")
    monkeypatch.setenv(reader.MIN_BYTES_ENV, str(1 << 60 if in_process else 0))
    _import(vproj, write_ndjson(tmp_path / "m.ndjson", [line]))
    got = sorted((a.frame, a.name, tuple(a.extra["color"])) for a in vproj.labels("v")["vid-1"])  # type: ignore[index]
    assert got == [(1, "sky", GREEN), (4, "seg", RED), (4, "sky", GREEN)]
