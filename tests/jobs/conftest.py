"""A small image project: three real PNGs keyed img-1..img-3 (200x100), the test ontology, one batch."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from labelport import Workspace
from tests.helpers import ONTOLOGY, make_images

W, H = 200, 100


@pytest.fixture
def proj(ws: Workspace, tmp_path: Path) -> Workspace:
    make_images(tmp_path / "assets", {f"img-{i}.png": (W, H) for i in (1, 2, 3)})
    manifest = tmp_path / "rows.json"
    manifest.write_text(
        json.dumps(
            [{"uri": str(tmp_path / "assets" / f"img-{i}.png"), "global_key": f"img-{i}"} for i in (1, 2, 3)]
        ),
        encoding="utf-8",
    )
    ws.create_dataset("d")
    ws.add_manifest("d", manifest)
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="image")
    ws.create_batch("p", "b", dataset="d")
    return ws


def png_b64(mask: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255, mode="L").save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def box_mask() -> np.ndarray:
    m = np.zeros((H, W), bool)
    m[10:30, 20:60] = True
    return m


def uid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def sample_lines() -> list[dict[str, Any]]:
    """Every image shape of the seed platform's NDJSON, written the way its SDK writes them."""
    row = {"globalKey": "img-1"}
    return [
        {
            "uuid": uid(12),
            "dataRow": row,
            "name": "follows",
            "relationship": {"source": uid(10), "target": uid(11), "type": "unidirectional"},
        },
        {
            "uuid": uid(1),
            "dataRow": row,
            "name": "car",
            "classifications": [
                {
                    "name": "color",
                    "answer": {
                        "name": "red",
                        "classifications": [{"name": "shade", "answer": {"name": "dark"}}],
                    },
                }
            ],
            "bbox": {"top": 20.0, "left": 10.0, "height": 50.0, "width": 100.0},
        },
        {
            "uuid": uid(2),
            "dataRow": row,
            "name": "lake",
            "classifications": [],
            "polygon": [
                {"x": 1.0, "y": 1.0},
                {"x": 5.0, "y": 1.0},
                {"x": 5.0, "y": 5.0},
                {"x": 1.0, "y": 1.0},
            ],
        },
        {
            "uuid": uid(3),
            "dataRow": row,
            "name": "road",
            "classifications": [],
            "line": [{"x": 0.0, "y": 0.0}, {"x": 10.0, "y": 10.0}],
        },
        {"uuid": uid(4), "dataRow": row, "name": "eye", "classifications": [], "point": {"x": 3.5, "y": 4.0}},
        {
            "uuid": uid(5),
            "dataRow": row,
            "name": "seg",
            "classifications": [],
            "mask": {"png": png_b64(box_mask())},
        },
        {"name": "weather", "answer": {"name": "sunny"}, "uuid": uid(7), "dataRow": row},
        {
            "name": "tags",
            "answer": [
                {"name": "a"},
                {"name": "b", "classifications": [{"name": "why", "answer": "blurry"}]},
            ],
            "uuid": uid(8),
            "dataRow": row,
        },
        {"name": "caption", "answer": "two cars", "uuid": uid(9), "dataRow": row},
        {
            "uuid": uid(10),
            "dataRow": row,
            "name": "eye",
            "classifications": [],
            "point": {"x": 1.0, "y": 1.0},
        },
        {
            "uuid": uid(11),
            "dataRow": row,
            "name": "eye",
            "classifications": [],
            "point": {"x": 9.0, "y": 9.0},
        },
        {
            "uuid": uid(20),
            "dataRow": {"globalKey": "img-2"},
            "name": "car",
            "classifications": [],
            "bbox": {"top": 0, "left": 0, "height": H, "width": W},
        },
    ]


def write_ndjson(path: Path, lines: list[Any]) -> Path:
    path.write_text(
        "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8"
    )
    return path
