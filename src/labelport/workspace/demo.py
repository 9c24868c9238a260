"""A small sample workspace a newcomer can build with one command (`labelport demo`).

The sample is generated, not shipped: a few street-scene images drawn with Pillow in a nested
folder tree, an ontology, and a ground-truth NDJSON payload whose boxes match what was drawn,
which the demo imports.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from labelport.workspace.core import Workspace

ONTOLOGY: dict[str, Any] = {
    "tools": [
        {
            "name": "car",
            "tool": "rectangle",
            "color": "#e6194b",
            "classifications": [
                {"name": "color", "type": "radio", "options": [{"value": "red"}, {"value": "blue"}]}
            ],
        },
        {"name": "road", "tool": "line", "color": "#3cb44b"},
        {"name": "lake", "tool": "polygon", "color": "#4363d8"},
    ],
    "classifications": [
        {
            "name": "weather",
            "type": "radio",
            "options": [{"value": "sunny"}, {"value": "cloudy"}, {"value": "rainy"}],
        },
    ],
}

# (folder, file, car boxes as (left, top, width, height, color))
SCENES = [
    ("batch_1/day", "street_01.jpg", [(40, 60, 120, 70, "red")]),
    ("batch_1/day", "street_02.jpg", [(200, 90, 90, 50, "blue"), (20, 150, 100, 60, "red")]),
    ("batch_1/night", "street_03.jpg", [(120, 40, 150, 80, "blue")]),
    ("batch_2/day", "street_04.jpg", [(10, 10, 60, 40, "red")]),
]
SIZE = (320, 240)


def build_sample(folder: Path) -> dict[str, Path]:
    assets = folder / "assets"
    for sub, name, boxes in SCENES:
        target = assets / sub / name
        target.parent.mkdir(parents=True, exist_ok=True)
        img = Image.new("RGB", SIZE, (90, 90, 96))
        draw = ImageDraw.Draw(img)
        draw.line([(0, 200), (320, 180)], fill=(200, 200, 200), width=6)
        for x, y, w, h, color in boxes:
            draw.rectangle([x, y, x + w, y + h], fill=(220, 40, 40) if color == "red" else (40, 60, 220))
        img.save(target, quality=90)
    ontology = folder / "ontology.json"
    ontology.write_text(json.dumps(ONTOLOGY, indent=2), encoding="utf-8")
    labels = folder / "labels.ndjson"
    with labels.open("w", encoding="utf-8") as fh:
        for n, (sub, name, boxes) in enumerate(SCENES):
            row = {"globalKey": f"/{sub}/{name}"}
            for i, (x, y, w, h, color) in enumerate(boxes):
                fh.write(
                    json.dumps(
                        {
                            "uuid": str(uuid.UUID(int=n * 100 + i + 1)),
                            "dataRow": row,
                            "name": "car",
                            "bbox": {"left": x, "top": y, "width": w, "height": h},
                            "classifications": [{"name": "color", "answer": {"name": color}}],
                        }
                    )
                    + "\n"
                )
            fh.write(
                json.dumps(
                    {
                        "uuid": str(uuid.UUID(int=n * 100 + 99)),
                        "dataRow": row,
                        "name": "road",
                        "line": [{"x": 0, "y": 200}, {"x": 320, "y": 180}],
                    }
                )
                + "\n"
            )
            fh.write(
                json.dumps(
                    {
                        "uuid": str(uuid.UUID(int=n * 100 + 98)),
                        "dataRow": row,
                        "name": "weather",
                        "answer": {"name": "sunny" if "day" in sub else "cloudy"},
                    }
                )
                + "\n"
            )
    return {"assets": assets, "ontology": ontology, "labels": labels}


def run_demo(folder: Path, url: str | None = None) -> dict[str, Any]:
    """Build the sample and a fresh workspace from it; return what a person would look at."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    paths = build_sample(folder)
    url = url or str(folder / "labelport.db")
    Workspace.init(url)
    with Workspace(url) as ws:
        ws.create_dataset("streets")
        added = ws.add_rows("streets", [paths["assets"]])
        ws.create_ontology("streets-v1", paths["ontology"])
        ws.create_project("streets-gt", ontology="streets-v1", media_type="image")
        batch = ws.create_batch("streets-gt", "first", dataset="streets")
        job = ws.import_labels("streets-gt", paths["labels"], format="ndjson")
        return {
            "workspace": url,
            "rows_added": added.added,
            "batch": batch.name,
            "job": job,
            "project": ws.project("streets-gt"),
            "rows": ws.rows("streets"),
        }
