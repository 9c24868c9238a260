"""The row viewer's media: a project per media type, each over real encoded assets (PDF with a
text layer, WAV, an AIMMO scene folder of JPEG frames, MPEG-4 video, a conversation, PNG images up
to 4000x3000) with labels imported through the real formats (NDJSON, AIMMO, COCO). The viewer's
browser tests use it through the ``media`` fixture; ``scripts/screenshots.py`` shows it."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from labelport import Workspace
from tests.media.assets import make_conversation, make_image, make_text_pdf, make_video, make_wav

BALL_ONTOLOGY: dict[str, Any] = {"tools": [{"name": "ball", "tool": "rectangle", "color": "#911eb4"}]}


def ndjson(lines: list[dict[str, Any]], path: Path) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


PDF_ONTOLOGY: dict[str, Any] = {
    "tools": [
        {"name": "field", "tool": "rectangle", "color": "#e6194b"},
        {"name": "person", "tool": "named-entity", "color": "#3cb44b"},
    ]
}
AUDIO_ONTOLOGY: dict[str, Any] = {
    "tools": [],
    "classifications": [
        {
            "name": "speaker",
            "type": "radio",
            "scope": "index",
            "options": [{"value": "alice"}, {"value": "bob"}],
        },
        {"name": "transcript", "type": "text", "scope": "index"},
        {"name": "lang", "type": "radio", "options": [{"value": "en"}, {"value": "ko"}]},
    ],
}
SEQUENCE_ONTOLOGY: dict[str, Any] = {
    "tools": [
        {"name": "car", "tool": "box", "color": "#e6194b"},
        {"name": "lane", "tool": "polyline", "color": "#ffe119"},
    ]
}
CONVERSATION_ONTOLOGY: dict[str, Any] = {
    "tools": [
        {"name": "person", "tool": "named-entity", "color": "#f58231"},
        {"name": "place", "tool": "named-entity", "color": "#4363d8"},
        {"name": "phrase", "tool": "named-entity", "color": "#911eb4"},
    ],
    "classifications": [
        {
            "name": "intent",
            "type": "radio",
            "scope": "index",
            "options": [{"value": "greeting"}, {"value": "question"}],
        },
        {"name": "sentiment", "type": "radio", "options": [{"value": "positive"}, {"value": "negative"}]},
    ],
}
SHAPES_ONTOLOGY: dict[str, Any] = {
    "tools": [
        {"name": "road", "tool": "line", "color": "#ffe119"},
        {"name": "sky", "tool": "raster-segmentation", "color": "#4363d8"},
        {"name": "grass", "tool": "raster-segmentation", "color": "#3cb44b"},
        {
            "name": "person",
            "tool": "skeleton",
            "keypoints": ["head", "hip", "foot"],
            "edges": [[1, 2], [2, 3]],
        },
        {"name": "car", "tool": "rectangle", "color": "#e6194b"},
    ]
}
PDF_LINES = [
    [(72, 720, "Invoice 2024-117 for Ada Lovelace"), (72, 700, "Total due: 1250 EUR")],
    [(72, 720, "Page two terms")],
]
MESSAGES = [("msg-1", "Ada met Charles in London."), ("msg-2", "Where is London?")]
SCENE_FRAMES = {"frame_1.jpg": (320, 240), "frame_2.jpg": (320, 240), "frame_10.jpg": (160, 120)}


@dataclass
class Media:
    """Where each viewer test's row is: (project, global key), and what was imported into it."""

    pdf: tuple[str, str]
    audio: tuple[str, str]
    sequence: tuple[str, str]
    video: tuple[str, str]
    conversation: tuple[str, str]
    shapes: tuple[str, str]
    pose: tuple[str, str]
    big: tuple[str, str]
    pdf_tokens: dict[str, tuple[str, str, int]]  # word -> (token id, group id, page)
    root: Path  # where the assets are


def _imported(ws: Workspace, project: str, payload: Path, fmt: str) -> None:
    job = ws.import_labels(project, payload, format=fmt)
    assert job.state.value == "succeeded", [f"{i.code}: {i.message}" for i in ws.job_issues(job.id)]


def _project(
    ws: Workspace, name: str, ontology: dict[str, Any], media_type: str, rows: dict[str, Path]
) -> None:
    """Dataset, ontology and project ``name`` over ``rows`` (global key -> file), probed for real."""
    manifest = rows[next(iter(rows))].parent / f"{name}-rows.json"
    entries = [{"uri": str(p), "global_key": k, "media_type": media_type} for k, p in rows.items()]
    manifest.write_text(json.dumps(entries), encoding="utf-8")
    ws.create_dataset(name)
    ws.add_manifest(name, manifest)
    ws.create_ontology(f"{name}-ont", ontology)
    ws.create_project(name, ontology=f"{name}-ont", media_type=media_type)
    ws.create_batch(name, "all", dataset=name)


def _mask_png(size: tuple[int, int], box: tuple[int, int, int, int]) -> str:
    """A binary PNG mask of ``size`` (w, h) with the box (x0, y0, x1, y1) set, base64-encoded."""
    grid = np.zeros((size[1], size[0]), np.uint8)
    grid[box[1] : box[3], box[0] : box[2]] = 255
    out = io.BytesIO()
    Image.fromarray(grid, mode="L").save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def _aimmo_frame(name: str, annotations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "annotations": annotations,
        "attributes": {},
        "filename": name,
        "parent_path": "/scene",
        "metadata": {},
    }


def _aimmo_box(n: int, track: int, points: list[list[float]]) -> dict[str, Any]:
    return {
        "id": f"{n}-abd21cb9-cb89-4cf4-8de6-{n:012d}",
        "type": "box",
        "label": "car",
        "attributes": {},
        "points": points,
        "track_id": track,
    }


def build_media(ws: Workspace, root: Path) -> Media:
    # PDF: two pages with a text layer, boxes on each page, a text selection on page 1
    (root / "pdf").mkdir(parents=True)
    pdf = make_text_pdf(root / "pdf" / "doc.pdf", PDF_LINES)
    _project(ws, "v-pdf", PDF_ONTOLOGY, "pdf", {"viewer/doc.pdf": pdf})
    tokens = {
        t["text"]: (t["id"], g["id"], page["page"])
        for page in ws.row("viewer/doc.pdf").metadata["text_layer"]
        for g in page["groups"]
        for t in g["tokens"]
    }
    row = {"globalKey": "viewer/doc.pdf"}

    def box(page: int, left: float, top: float, width: float, height: float) -> dict[str, Any]:
        bbox = {"left": left, "top": top, "width": width, "height": height}
        return {"dataRow": row, "name": "field", "page": page, "unit": "POINTS", "bbox": bbox}

    ada, love = tokens["Ada"], tokens["Lovelace"]
    selection = {"tokenIds": [ada[0], love[0]], "groupId": ada[1], "page": ada[2]}
    pdf_lines = [
        box(1, 72, 60, 228, 20),
        box(1, 300, 400, 100, 50),
        box(2, 100, 200, 50, 40),
        {"dataRow": row, "name": "person", "textSelections": [selection]},
    ]
    _imported(ws, "v-pdf", ndjson(pdf_lines, root / "pdf.ndjson"), "ndjson")

    # audio: 2 s of WAV, two speakers and a transcript over time, a global language
    (root / "audio").mkdir()
    wav = make_wav(root / "audio" / "talk.wav", seconds=2.0)
    _project(ws, "v-audio", AUDIO_ONTOLOGY, "audio", {"viewer/talk.wav": wav})
    arow = {"globalKey": "viewer/talk.wav"}
    audio_lines = [
        {
            "dataRow": arow,
            "name": "speaker",
            "answer": [
                {"name": "alice", "frames": [{"start": 0, "end": 500}]},
                {"name": "bob", "frames": [{"start": 1000, "end": 1500}, {"start": 1600, "end": 2000}]},
            ],
        },
        {
            "dataRow": arow,
            "name": "transcript",
            "answer": [{"value": "hello", "frames": [{"start": 200, "end": 800}]}],
        },
        {"dataRow": arow, "name": "lang", "answer": {"name": "en"}},
    ]
    _imported(ws, "v-audio", ndjson(audio_lines, root / "audio.ndjson"), "ndjson")

    # image sequence: an AIMMO scene folder of three frames (the last one smaller), two car tracks
    # (track 2 is not on frame 2) and a lane on frame 1
    scene = root / "seq" / "scene" / "drive_1"
    for name, size in SCENE_FRAMES.items():
        scene.mkdir(parents=True, exist_ok=True)
        make_image(scene / name, size)
    ws.create_dataset("v-seq")
    ws.add_rows("v-seq", [root / "seq"], media_type="image_sequence")
    ws.create_ontology("v-seq-ont", SEQUENCE_ONTOLOGY)
    ws.create_project("v-seq", ontology="v-seq-ont", media_type="image_sequence")
    ws.create_batch("v-seq", "all", dataset="v-seq")
    lane = {"id": "9-abd21cb9-cb89-4cf4-8de6-000000000009", "type": "polyline", "label": "lane"}
    frames = [
        _aimmo_frame(
            "frame_1.jpg",
            [
                _aimmo_box(1, 1, [[10, 20], [60, 80]]),
                _aimmo_box(2, 2, [[200, 100], [300, 200]]),
                lane | {"attributes": {}, "points": [[0, 239], [160, 120], [319, 0]]},
            ],
        ),
        _aimmo_frame("frame_2.jpg", [_aimmo_box(3, 1, [[30, 20], [80, 80]])]),
        _aimmo_frame(
            "frame_10.jpg", [_aimmo_box(4, 1, [[5, 6], [50, 60]]), _aimmo_box(5, 2, [[100, 50], [150, 100]])]
        ),
    ]
    for doc in frames:
        target = root / "seq-gt" / "scene" / "drive_1" / (doc["filename"] + ".json")
        target.parent.mkdir(parents=True, exist_ok=True)
        doc["parent_path"] = "/scene/drive_1"
        target.write_text(json.dumps(doc), encoding="utf-8")
    _imported(ws, "v-seq", root / "seq-gt", "aimmo")

    # video: 20 frames, a ball moving between keyframes 1 and 11, another on frames 5..8 only
    (root / "video").mkdir()
    clip = make_video(root / "video" / "ride.mp4", frames=20, size=(160, 120), fps=10)
    _project(ws, "v-video", BALL_ONTOLOGY, "video", {"viewer/ride.mp4": clip})
    vrow = {"globalKey": "viewer/ride.mp4"}

    def kf(frame: int, left: int, top: int = 10) -> dict[str, Any]:
        return {"frame": frame, "bbox": {"left": left, "top": top, "width": 20, "height": 20}}

    video_lines = [
        {"dataRow": vrow, "name": "ball", "segments": [{"keyframes": [kf(1, 0), kf(11, 100)]}]},
        {"dataRow": vrow, "name": "ball", "segments": [{"keyframes": [kf(5, 50, 80), kf(8, 80, 80)]}]},
    ]
    _imported(ws, "v-video", ndjson(video_lines, root / "video.ndjson"), "ndjson")

    # conversation: entities in two messages (one nested in another), message and global answers
    (root / "conv").mkdir()
    chat = make_conversation(root / "conv" / "chat.json", MESSAGES)
    _project(ws, "v-conv", CONVERSATION_ONTOLOGY, "conversation", {"viewer/chat.json": chat})
    crow = {"globalKey": "viewer/chat.json"}

    def entity(name: str, message: str, start: int, end: int) -> dict[str, Any]:
        # NDJSON `location.end` is inclusive
        return {
            "dataRow": crow,
            "name": name,
            "messageId": message,
            "location": {"start": start, "end": end - 1},
        }

    conv_lines = [
        entity("person", "msg-1", 0, 3),
        entity("phrase", "msg-1", 4, 25),  # "met Charles in London", around the place below
        entity("place", "msg-1", 19, 25),
        entity("place", "msg-2", 9, 15),
        {"dataRow": crow, "name": "intent", "answer": {"name": "greeting"}, "messageId": "msg-1"},
        {"dataRow": crow, "name": "intent", "answer": {"name": "question"}, "messageId": "msg-2"},
        {"dataRow": crow, "name": "sentiment", "answer": {"name": "positive"}},
    ]
    _imported(ws, "v-conv", ndjson(conv_lines, root / "conv.ndjson"), "ndjson")

    # masks, lines, boxes and a skeleton on images; a 4000x3000 image for pan and zoom
    (root / "img").mkdir()
    shapes = make_image(root / "img" / "shapes.png", (400, 300))
    pose = make_image(root / "img" / "pose.png", (200, 200))
    big = make_image(root / "img" / "big.png", (4000, 3000))
    rows = {"viewer/shapes.png": shapes, "viewer/pose.png": pose, "viewer/big.png": big}
    _project(ws, "v-img", SHAPES_ONTOLOGY, "image", rows)
    srow = {"globalKey": "viewer/shapes.png"}
    shape_lines = [
        {"dataRow": srow, "name": "sky", "mask": {"png": _mask_png((400, 300), (0, 0, 400, 100))}},
        {"dataRow": srow, "name": "grass", "mask": {"png": _mask_png((400, 300), (50, 200, 350, 300))}},
        {
            "dataRow": srow,
            "name": "road",
            "line": [{"x": 0, "y": 150}, {"x": 200, "y": 180}, {"x": 400, "y": 150}],
        },
        {"dataRow": srow, "name": "road", "line": [{"x": 10, "y": 10}, {"x": 20, "y": 290}]},
        {
            "dataRow": {"globalKey": "viewer/big.png"},
            "name": "car",
            "bbox": {"left": 1000, "top": 1000, "width": 500, "height": 250},
        },
        {
            "dataRow": {"globalKey": "viewer/big.png"},
            "name": "car",
            "bbox": {"left": 3000, "top": 2500, "width": 400, "height": 300},
        },
    ]
    _imported(ws, "v-img", ndjson(shape_lines, root / "shapes.ndjson"), "ndjson")
    coco = {
        "images": [{"id": 1, "file_name": "pose.png", "width": 200, "height": 200}],
        "categories": [
            {"id": 1, "name": "person", "keypoints": ["head", "hip", "foot"], "skeleton": [[1, 2], [2, 3]]}
        ],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "keypoints": [100, 20, 2, 100, 100, 1, 60, 180, 2]},
            {"id": 2, "image_id": 1, "category_id": 1, "keypoints": [30, 30, 2, 0, 0, 0, 40, 150, 2]},
        ],
    }
    (root / "pose.json").write_text(json.dumps(coco), encoding="utf-8")
    _imported(ws, "v-img", root / "pose.json", "coco")
    return Media(
        pdf=("v-pdf", "viewer/doc.pdf"),
        audio=("v-audio", "viewer/talk.wav"),
        sequence=("v-seq", "/scene/drive_1"),
        video=("v-video", "viewer/ride.mp4"),
        conversation=("v-conv", "viewer/chat.json"),
        shapes=("v-img", "viewer/shapes.png"),
        pose=("v-img", "viewer/pose.png"),
        big=("v-img", "viewer/big.png"),
        pdf_tokens=tokens,
        root=root,
    )
