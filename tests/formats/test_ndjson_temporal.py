"""The NDJSON reader and writer for video and audio lines, without a workspace: what canonical
annotations a line becomes (ids, tracks, segments, ranges) and how the writer groups them back."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from labelport.formats import masks
from labelport.formats import ndjson as nd
from labelport.formats.base import ExportContext, ExportRow
from labelport.formats.ndjson import temporal
from labelport.model.issues import Issue
from labelport.model.ontology import parse_ontology
from labelport.model.records import Annotation, Answer, Choice, Record, RowRef

ROW = {"globalKey": "vid-1"}
TRACK = "00000000-0000-4000-8000-0000000000aa"


def read(tmp_path: Path, *lines: dict[str, Any]) -> tuple[list[Record], list[Issue]]:
    path = tmp_path / "p.ndjson"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    issues: list[Issue] = []
    return list(nd.read(path, issues.append)), issues


def box(frame: int, left: float = 1.0) -> dict[str, Any]:
    return {"frame": frame, "bbox": {"top": 2.0, "left": left, "height": 4.0, "width": 5.0}}


def obj(*segments: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {"dataRow": ROW, "name": "ball", "segments": [{"keyframes": s} for s in segments], **more}


def png(img: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(img, mode="RGB").save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_an_object_becomes_one_annotation_per_keyframe_of_its_track(tmp_path: Path) -> None:
    (rec,), issues = read(tmp_path, obj([box(1), box(4)], [box(9)], uuid=TRACK))
    assert issues == []
    assert [(a.kind, a.frame, a.track_id, a.extra) for a in rec.annotations] == [
        ("bbox", 1, TRACK, {"segment": 0}),
        ("bbox", 4, TRACK, {"segment": 0}),
        ("bbox", 9, TRACK, {"segment": 1}),
    ]
    assert [a.uid for a in rec.annotations] == [temporal.keyframe_uid(TRACK, f) for f in (1, 4, 9)]
    assert rec.annotations[0].geometry == [1.0, 2.0, 5.0, 4.0]
    assert rec.annotations[1].pointer == "/segments/0/keyframes/1"


def test_an_object_without_uuid_gets_a_track_from_its_content(tmp_path: Path) -> None:
    (a,), _ = read(tmp_path, obj([box(1)]))
    (b,), _ = read(tmp_path, obj([box(1)]))
    (c,), _ = read(tmp_path, obj([box(1, left=2.0)]))
    assert a.annotations[0].track_id == b.annotations[0].track_id != c.annotations[0].track_id
    assert a.annotations[0].uid == b.annotations[0].uid


def test_video_keys_are_not_unknown_fields(tmp_path: Path) -> None:
    _, issues = read(
        tmp_path,
        obj([box(1)]),
        {"dataRow": ROW, "name": "scene", "answer": {"name": "day"}, "frames": [{"start": 1, "end": 2}]},
    )
    assert issues == []


def test_broken_structure_is_located(tmp_path: Path) -> None:
    cases = [
        (obj([box(3), box(2)]), "segments_overlap", "/segments/0/keyframes/1/frame"),
        (obj([box(3)], [box(3)]), "segments_overlap", "/segments/1/keyframes/0/frame"),
        (obj([]), "missing_field", "/segments/0/keyframes"),
        (obj([{"bbox": box(1)["bbox"]}]), "missing_field", "/segments/0/keyframes/0"),
        (obj([{**box(1), "point": {"x": 1, "y": 1}}]), "unsupported_annotation", "/segments/0/keyframes/0"),
        ({**obj([box(1)]), "bbox": box(1)["bbox"]}, "unsupported_annotation", "/"),
        (
            {"dataRow": ROW, "name": "scene", "answer": {"name": "day"}, "frames": [{"start": 1}]},
            "missing_field",
            "/frames/0",
        ),
        (
            {"dataRow": ROW, "name": "note", "answer": [{"value": 3, "frames": [{"start": 1, "end": 1}]}]},
            "wrong_type",
            "/answer/0/value",
        ),
    ]
    for line, code, pointer in cases:
        records, issues = read(tmp_path, line)
        assert records == [], line
        assert [(i.code, i.location.pointer) for i in issues] == [(code, pointer)], line


def test_both_placements_of_frames_read_alike(tmp_path: Path) -> None:
    sdk = {
        "dataRow": ROW,
        "name": "flags",
        "answer": [{"name": "a"}, {"name": "b"}],
        "frames": [{"start": 2, "end": 3}],
    }
    docs = {
        "dataRow": ROW,
        "name": "flags",
        "answer": [{"name": n, "frames": [{"start": 2, "end": 3}]} for n in "ab"],
    }
    (r1, r2), issues = read(tmp_path, sdk, docs)
    assert issues == []
    assert r1.annotations[0].answer == r2.annotations[0].answer


def test_ranges_are_sorted_and_a_text_over_time_has_items(tmp_path: Path) -> None:
    line = {
        "dataRow": ROW,
        "name": "note",
        "answer": [{"value": "hi", "frames": [{"start": 7, "end": 8}, {"start": 1, "end": 2}]}],
    }
    (rec,), _ = read(tmp_path, line)
    answer = rec.annotations[0].answer
    assert answer is not None and answer.value == [
        Choice(text="hi", frames=[(1, 2), (7, 8)], pointer="/answer/0")
    ]


def test_masks_cut_each_frame_by_instance_colour(tmp_path: Path) -> None:
    f1 = np.zeros((6, 8, 3), np.uint8)
    f1[0:2, 0:2] = (255, 0, 0)
    f1[4:6, 4:8] = (0, 0, 255)
    f2 = np.zeros((6, 8, 3), np.uint8)
    f2[1:3, 1:3] = (255, 0, 0)  # the blue instance is not in frame 2
    line = {
        "uuid": TRACK,
        "dataRow": ROW,
        "masks": {
            "frames": [{"index": 1, "imBytes": png(f1)}, {"index": 2, "imBytes": png(f2)}],
            "instances": [{"colorRGB": [255, 0, 0], "name": "seg"}, {"colorRGB": [0, 0, 255], "name": "sky"}],
        },
    }
    (rec,), issues = read(tmp_path, line)
    assert issues == []
    got = [(a.frame, a.name, a.uid, a.extra) for a in rec.annotations]
    red, blue = [255, 0, 0], [0, 0, 255]
    assert got == [
        (1, "seg", temporal.mask_uid(TRACK, 1, red), {"mask_group": TRACK, "color": red}),
        (1, "sky", temporal.mask_uid(TRACK, 1, blue), {"mask_group": TRACK, "color": blue}),
        (2, "seg", temporal.mask_uid(TRACK, 2, red), {"mask_group": TRACK, "color": red}),
    ]
    assert masks.decode(rec.annotations[2].geometry).sum() == 4


def test_mask_urls_are_left_for_the_job_to_fetch(tmp_path: Path) -> None:
    line = {
        "dataRow": ROW,
        "masks": {
            "frames": [{"index": 3, "instanceURI": "f3.png"}],
            "instances": [{"colorRGB": [1, 2, 3], "name": "seg"}],
        },
    }
    (rec,), _ = read(tmp_path, line)
    # optional: an instance may be absent from one frame's composite (the job then drops it quietly)
    assert rec.annotations[0].geometry == {"uri": "f3.png", "color": [1, 2, 3], "optional": True}
    assert rec.annotations[0].extra is not None and rec.annotations[0].extra["mask_group"]


# --- writing -------------------------------------------------------------------------------------

ONTOLOGY = parse_ontology({"tools": [{"name": "ball", "tool": "rectangle"}], "classifications": []})


def write(
    tmp_path: Path, anns: list[Annotation], media: str = "video"
) -> tuple[list[dict[str, Any]], list[str]]:
    out = tmp_path / "out.ndjson"
    row = ExportRow(ref=RowRef(global_key="vid-1"), media_type=media, metadata={}, annotations=anns)
    summary = nd.write([row], out, ExportContext(project="p", media_type=media, ontology=ONTOLOGY))
    return [json.loads(x) for x in out.read_text().splitlines()], [i.message for i in summary.not_expressible]


def keyframe(frame: int, segment: int | None = None, uid: str | None = None) -> Annotation:
    return Annotation(
        kind="bbox",
        uid=uid or temporal.keyframe_uid(TRACK, frame),
        name="ball",
        geometry=[1.0, 2.0, 5.0, 4.0],
        frame=frame,
        track_id=TRACK,
        extra=None if segment is None else {"segment": segment},
    )


def test_keyframes_are_written_back_as_one_line_per_track(tmp_path: Path) -> None:
    lines, lost = write(tmp_path, [keyframe(9, 1), keyframe(1, 0), keyframe(4, 0)])
    assert lost == []
    assert len(lines) == 1 and lines[0]["uuid"] == TRACK
    assert [[k["frame"] for k in s["keyframes"]] for s in lines[0]["segments"]] == [[1, 4], [9]]


def test_keyframes_from_elsewhere_split_where_frames_stop_running(tmp_path: Path) -> None:
    """Keyframes without a segment index (every frame of an AIMMO video) form runs of frames."""
    lines, lost = write(tmp_path, [keyframe(f) for f in (1, 2, 3, 7, 8)])
    assert lost == []
    assert [[k["frame"] for k in s["keyframes"]] for s in lines[0]["segments"]] == [[1, 2, 3], [7, 8]]


def test_a_keyframe_id_ndjson_cannot_give_back_is_reported(tmp_path: Path) -> None:
    _, lost = write(tmp_path, [keyframe(1, 0, uid="00000000-0000-4000-8000-000000000001")])
    assert len(lost) == 1 and "keyframe's own id" in lost[0]


def test_answers_over_different_ranges_stay_in_their_answers(tmp_path: Path) -> None:
    answer = Answer(
        name="flags",
        value=[Choice(name="a", frames=[(1, 2)]), Choice(name="b", frames=[(3, 4)])],
    )
    lines, _ = write(tmp_path, [Annotation(kind="checklist", uid=TRACK, name="flags", answer=answer)])
    assert "frames" not in lines[0]
    assert lines[0]["answer"] == [
        {"name": "a", "frames": [{"start": 1, "end": 2}]},
        {"name": "b", "frames": [{"start": 3, "end": 4}]},
    ]


def test_audio_answers_keep_the_temporal_list_form(tmp_path: Path) -> None:
    answer = Answer(name="speaker", value=[Choice(name="alice", frames=[(0, 500)])])
    lines, _ = write(tmp_path, [Annotation(kind="radio", uid=TRACK, name="speaker", answer=answer)], "audio")
    assert lines[0]["answer"] == [{"name": "alice", "frames": [{"start": 0, "end": 500}]}]


def test_overlapping_masks_of_one_composite_are_reported(tmp_path: Path) -> None:
    m = np.zeros((6, 8), bool)
    m[0:3, 0:3] = True
    anns = [
        Annotation(
            kind="mask",
            uid=temporal.mask_uid(TRACK, 1, c),
            name=n,
            geometry=masks.encode(m),
            frame=1,
            extra={"mask_group": TRACK, "color": c},
        )
        for n, c in (("seg", [255, 0, 0]), ("sky", [0, 255, 0]))
    ]
    lines, lost = write(tmp_path, anns)
    assert len(lines) == 1 and len(lines[0]["masks"]["instances"]) == 2
    assert len(lost) == 1 and "under another mask" in lost[0]
