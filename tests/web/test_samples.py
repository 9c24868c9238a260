"""Every sample the Import labels tab shows imports cleanly into its own project: for each media
type and each tool or classification its ontology has, the NDJSON and the AIMMO sample go through
the real import pipeline (dry run) with no error and no warning. Where a format has no form for a
class, the sample says so and carries no text, and exactly those classes are such notes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import numpy as np
import pytest

from labelport import Workspace
from labelport.api.app import create_app
from labelport.api.routes.views import takes_tool
from labelport.model.jobs import JobState
from labelport.web import samples
from tests.helpers import make_images
from tests.media.assets import (
    make_conversation,
    make_pcd,
    make_scene,
    make_text,
    make_text_pdf,
    make_video,
    make_wav,
)

RADIO = {"name": "weather", "type": "radio", "options": [{"value": "sunny"}, {"value": "rainy"}]}
CHECKLIST = {"name": "tags", "type": "checklist", "options": [{"value": "night"}, {"value": "blur"}]}
TEXT = {"name": "note", "type": "text"}
REQUIRED = {"name": "color", "type": "radio", "required": True, "options": [{"value": "red"}]}


def _over_time(c: dict[str, Any], name: str) -> dict[str, Any]:
    return {**c, "name": name, "scope": "index"}


@dataclass(frozen=True)
class Case:
    """One project: its media type, ontology, and the classes each format can only note."""

    media: str
    ontology: dict[str, Any]
    ndjson_notes: frozenset[str]
    aimmo_notes: frozenset[str]


ALL_NAMES = {"weather", "tags", "note"}
CASES: dict[str, Case] = {
    "image": Case(
        "image",
        {
            "tools": [
                {"name": "car", "tool": "rectangle", "color": "#e6194b", "classifications": [REQUIRED]},
                {"name": "lake", "tool": "polygon"},
                {"name": "road-seg", "tool": "poly_seg"},
                {"name": "road", "tool": "line"},
                {"name": "pin", "tool": "point"},
                {"name": "sky", "tool": "raster-segmentation"},
                {
                    "name": "person",
                    "tool": "skeleton",
                    "keypoints": ["head", "hip", "foot"],
                    "edges": [[1, 2], [2, 3]],
                },
                {"name": "wheel", "tool": "ellipse"},
                {"name": "follows", "tool": "relationship"},
                {"name": "word", "tool": "named-entity"},
                {"name": "box3d", "tool": "cuboid"},
            ],
            "classifications": [RADIO, CHECKLIST, TEXT],
        },
        ndjson_notes=frozenset({"person", "wheel", "word", "box3d"}),
        aimmo_notes=frozenset({"sky", "wheel", "follows", "word", "box3d"}),
    ),
    "video": Case(
        "video",
        {
            "tools": [
                {"name": "ball", "tool": "rectangle", "classifications": [REQUIRED]},
                {"name": "cone", "tool": "point"},
                {"name": "lane", "tool": "line"},
                {"name": "sky", "tool": "raster-segmentation"},
                {"name": "lake", "tool": "polygon"},
            ],
            "classifications": [
                RADIO,
                _over_time({**RADIO, "options": [{"value": "day"}, {"value": "night"}]}, "light"),
                _over_time(RADIO, "sun"),  # its options are weather's: AIMMO cannot tell them apart
                _over_time(CHECKLIST, "flags"),
                _over_time(TEXT, "caption"),
            ],
        },
        ndjson_notes=frozenset({"lake"}),
        aimmo_notes=frozenset({"lake", "sky", "sun"}),
    ),
    "text": Case(
        "text",
        {
            "tools": [
                {"name": "person", "tool": "named-entity", "classifications": [REQUIRED]},
                {"name": "knows", "tool": "relationship"},
                {"name": "car", "tool": "rectangle"},
            ],
            "classifications": [RADIO, CHECKLIST, TEXT],
        },
        ndjson_notes=frozenset({"car"}),
        aimmo_notes=frozenset({"person", "knows", "car"}),
    ),
    "conversation": Case(
        "conversation",
        {
            "tools": [
                {"name": "person", "tool": "named-entity"},
                {"name": "knows", "tool": "relationship"},
            ],
            "classifications": [RADIO, _over_time(RADIO, "intent")],
        },
        ndjson_notes=frozenset(),
        aimmo_notes=frozenset({"person", "knows", "weather", "intent"}),
    ),
    "html": Case(
        "html",
        {"tools": [{"name": "car", "tool": "rectangle"}], "classifications": [RADIO, TEXT]},
        ndjson_notes=frozenset({"car"}),
        aimmo_notes=frozenset({"car", "weather", "note"}),
    ),
    "pdf": Case(
        "pdf",
        {
            "tools": [
                {"name": "field", "tool": "rectangle", "classifications": [REQUIRED]},
                {"name": "person", "tool": "named-entity"},
                {"name": "refers", "tool": "relationship"},
            ],
            "classifications": [RADIO, CHECKLIST],
        },
        ndjson_notes=frozenset(),
        aimmo_notes=frozenset({"field", "person", "refers", "weather", "tags"}),
    ),
    "geospatial": Case(
        "geospatial",
        {
            "tools": [
                {"name": "building", "tool": "rectangle", "classifications": [REQUIRED]},
                {"name": "field", "tool": "polygon"},
                {"name": "road", "tool": "line"},
                {"name": "tree", "tool": "point"},
                {"name": "flood", "tool": "raster-segmentation"},
            ],
            "classifications": [RADIO],
        },
        ndjson_notes=frozenset({"flood"}),
        aimmo_notes=frozenset({"building", "field", "road", "tree", "flood", "weather"}),
    ),
    "audio": Case(
        "audio",
        {
            "tools": [{"name": "car", "tool": "rectangle"}],
            "classifications": [
                RADIO,
                _over_time(RADIO, "speaker"),
                _over_time(CHECKLIST, "noises"),
                _over_time(TEXT, "transcript"),
            ],
        },
        ndjson_notes=frozenset({"car"}),
        aimmo_notes=frozenset({"car", "weather", "speaker", "noises", "transcript"}),
    ),
    "image_sequence": Case(
        "image_sequence",
        {
            "tools": [
                {"name": "car", "tool": "box", "classifications": [REQUIRED]},
                {"name": "lane", "tool": "polyline"},
                {"name": "cone", "tool": "keypoint"},
                {"name": "area", "tool": "polygon"},
                {"name": "person", "tool": "skeleton", "keypoints": ["head", "foot"], "edges": [[1, 2]]},
            ],
            "classifications": [RADIO],
        },
        ndjson_notes=frozenset({"car", "lane", "cone", "area", "person", "weather"}),
        aimmo_notes=frozenset(),
    ),
    "point_cloud": Case(
        "point_cloud",
        {
            "tools": [
                {"name": "car", "tool": "cuboid", "classifications": [REQUIRED]},
                {"name": "pedestrian", "tool": "cuboid"},
                {"name": "car2d", "tool": "rectangle"},
            ],
            "classifications": [RADIO],
        },
        ndjson_notes=frozenset({"car", "pedestrian", "car2d", "weather"}),
        aimmo_notes=frozenset({"car2d"}),
    ),
}
CLOUD = np.array([[-10, -5, -1, 0.1], [10, 5, 2, 0.9], [0, 0, 0, 0.5]], dtype=np.float32)


def _rows(media: str, root: Path) -> tuple[list[Path] | None, list[dict[str, Any]] | None]:
    """The media's assets: folders to add, or manifest entries."""
    folder = root / media
    folder.mkdir(parents=True)
    if media == "image":
        make_images(folder, {"one.png": (120, 80)})
    elif media == "video":
        make_video(folder / "clip.mp4", frames=8, size=(64, 48), fps=10)
    elif media == "text":
        make_text(folder / "note.txt", "Ada Lovelace met Charles Babbage.")
    elif media == "conversation":
        return None, [
            {
                "uri": str(make_conversation(folder / "chat.json", [("m1", "Hello Ada"), ("m2", "Hi")])),
                "global_key": "chat.json",
                "media_type": "conversation",
            }
        ]
    elif media == "html":
        (folder / "page.html").write_text("<html><body><p>Hello</p></body></html>", encoding="utf-8")
        return None, [{"uri": str(folder / "page.html"), "global_key": "page.html", "media_type": "html"}]
    elif media == "pdf":
        make_text_pdf(folder / "doc.pdf", [[(72, 720, "Invoice for Ada Lovelace")]])
    elif media == "geospatial":
        return None, [
            {
                "global_key": "geo-1",
                "media_type": "TMS_GEO",
                "tileLayerUrl": "https://tiles.example.com/{z}/{x}/{y}.png",
                "bounds": [[-99.22, 19.39], [-99.19, 19.42]],
                "minZoom": 12,
                "maxZoom": 20,
                "epsg": "EPSG4326",
            }
        ]
    elif media == "audio":
        make_wav(folder / "talk.wav", seconds=2.0)
    elif media == "image_sequence":
        make_scene(folder / "scene" / "drive_1", ["frame_1.jpg", "frame_2.jpg"], size=(96, 64))
    elif media == "point_cloud":
        (folder / "lidar" / "scan_1").mkdir(parents=True)
        make_pcd(folder / "lidar" / "scan_1" / "000001.pcd", CLOUD, data="binary")
        make_pcd(folder / "lidar" / "scan_1" / "000002.pcd", CLOUD, data="ascii")
    return [folder], None


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One project per media type, each over one real probed row."""
    root = tmp_path_factory.mktemp("samples")
    with Workspace(str(root / "ws.db"), create=True) as w:
        for name, case in CASES.items():
            folders, manifest = _rows(case.media, root / "assets")
            w.create_dataset(name)
            if folders is not None:
                kind = case.media if case.media in ("image_sequence", "point_cloud") else None
                w.add_rows(name, folders, **({"media_type": kind} if kind else {}))
            else:
                path = root / f"{name}-rows.json"
                path.write_text(json.dumps(manifest), encoding="utf-8")
                w.add_manifest(name, path)
            w.create_ontology(name, case.ontology)
            w.create_project(name, ontology=name, media_type=case.media)
            w.create_batch(name, "b", dataset=name)
        yield w


def _build(ws: Workspace, project: str) -> samples.Samples:
    task = ws.tasks(project, limit=1)[0]
    row = ws.row(task.global_key)
    # as the /import-samples route builds them, with the validator's media rule
    return samples.build(
        ws.project(project), ws.ontology(project).spec, "http://server", row, takes=takes_tool
    )


def _problems(ws: Workspace, job_id: int) -> list[str]:
    return [
        f"{i.code} {i.severity.value}: {i.message}"
        for i in ws.job_issues(job_id)
        if i.severity.value != "info"
    ]


def test_a_sample_for_every_class_in_both_forms(ws: Workspace) -> None:
    built = _build(ws, "image")
    spec = CASES["image"].ontology
    every = [t["name"] for t in spec["tools"]] + [c["name"] for c in spec["classifications"]]
    assert [s.name for s in built.ndjson] == every and [s.name for s in built.aimmo] == every
    assert "'image'" in built.python and "labelport import image labels.ndjson" in built.cli
    assert "project=image&" in built.curl and "Authorization: Bearer" in built.curl
    notes = {s.name: s.note for s in built.aimmo if not s.text}
    assert "AIMMO has no form for raster masks" in notes["sky"]
    assert "relationships" in notes["follows"]
    scene = _build(ws, "point_cloud")  # NDJSON reads no scenes: the snippets upload an AIMMO tree
    assert "labelport import point_cloud gt/ --format aimmo" in scene.cli and "format=aimmo" in scene.curl
    assert "COCO keypoints" in {s.name: s.note for s in built.ndjson if not s.text}["person"]


@pytest.mark.parametrize("project", list(CASES))
def test_each_ndjson_sample_imports_cleanly(ws: Workspace, project: str, tmp_path: Path) -> None:
    case = CASES[project]
    built = _build(ws, project)
    assert {s.name for s in built.ndjson if not s.text} == case.ndjson_notes
    for sample in built.ndjson:
        if not sample.text:
            assert sample.note, sample.name  # a class without a sample says why
            continue
        payload = tmp_path / f"{sample.name}.ndjson"
        payload.write_text(sample.text + "\n", encoding="utf-8")
        job = ws.import_labels(project, payload, format="ndjson", dry_run=True)
        assert job.state is JobState.SUCCEEDED and _problems(ws, job.id) == [], (
            sample.name,
            _problems(ws, job.id),
        )
        assert job.counts["annotations_imported"] >= 1, sample.name


@pytest.mark.parametrize("project", list(CASES))
def test_each_aimmo_sample_imports_cleanly(ws: Workspace, project: str, tmp_path: Path) -> None:
    case = CASES[project]
    built = _build(ws, project)
    assert {s.name for s in built.aimmo if not s.text} == case.aimmo_notes
    for sample in built.aimmo:
        if not sample.text:
            assert sample.note, sample.name
            continue
        doc = json.loads(sample.text)
        root = tmp_path / f"gt-{sample.name}"
        target = root / doc["parent_path"].strip("/") / (doc["filename"] + ".json")
        target.parent.mkdir(parents=True)
        target.write_text(sample.text, encoding="utf-8")
        job = ws.import_labels(project, root, format="aimmo", dry_run=True)
        assert job.state is JobState.SUCCEEDED and _problems(ws, job.id) == [], (
            sample.name,
            _problems(ws, job.id),
        )
        assert job.counts["annotations_imported"] >= 1, sample.name


def test_samples_without_a_row_name_a_placeholder(ws: Workspace) -> None:
    """A project with no rows yet still gets every sample, written for a placeholder key."""
    for project in CASES:
        built = samples.build(
            ws.project(project), ws.ontology(project).spec, "http://server", takes=takes_tool
        )
        assert built.data_row == samples.PLACEHOLDER_KEY
        for sample in built.ndjson + built.aimmo:
            assert sample.text or sample.note


def test_the_import_tab_shows_each_sample_or_why_there_is_none(ws: Workspace) -> None:
    app = create_app(ws.url)
    token = ws.create_token("read").token

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://web.test") as client:
            return await client.get(
                "/ui/projects/image/import", headers={"cookie": f"labelport_token={token}"}
            )

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API may hold this thread's event loop
        res = pool.submit(anyio.run, fetch).result()
    assert res.status_code == 200
    built = _build(ws, "image")
    assert res.text.count('class="copy sample-ndjson"') == sum(1 for s in built.ndjson if s.text)
    assert res.text.count('class="copy sample-aimmo"') == sum(1 for s in built.aimmo if s.text)
    assert res.text.count('class="note no-form"') == len(CASES["image"].ndjson_notes) + len(
        CASES["image"].aimmo_notes
    )
    assert "AIMMO has no form for raster masks" in res.text
