"""Synthetic payloads of any size, written as a stream, and the data rows they name.

The COCO shape follows ``shared/research/perf-baseline.md``: 1920x1080 images with nested file
names, 5-15 objects per image (mean 10), two-decimal coordinates, about 30 % of the objects a
polygon of 8-16 points. Boxes and polygons use separate classes (``c01``..``c80`` rectangles,
``p01``..``p80`` polygons) because a labelport class is one tool. ``invalid`` objects are spread
evenly and each is broken in one of a few ways the validator must catch, so a run can show that
every one is reported.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

W, H = 1920, 1080
CLASSES = 80
BREAKAGES = ("out_of_bounds", "unknown_class", "degenerate_geometry", "unknown_category")


def ontology() -> dict[str, Any]:
    boxes = [
        {
            "name": f"c{i:02d}",
            "tool": "rectangle",
            "classifications": [
                {"name": "occluded", "type": "radio", "options": [{"value": "yes"}, {"value": "no"}]}
            ],
        }
        for i in range(1, CLASSES + 1)
    ]
    polys = [{"name": f"p{i:02d}", "tool": "polygon"} for i in range(1, CLASSES + 1)]
    return {"tools": boxes + polys}


def file_name(i: int) -> str:
    return f"batch_{i // 1000:03d}/img_{i:07d}.jpg"


def write_manifest(path: Path, images: int) -> Path:
    """Rows with their metadata given, so ingest trusts it and probes nothing (no files needed)."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("[")
        for i in range(images):
            entry = {
                "uri": f"https://assets.invalid/{file_name(i)}",
                "global_key": "/" + file_name(i),
                "media_type": "image",
                "metadata": {"width": W, "height": H},
            }
            fh.write(("," if i else "") + json.dumps(entry))
        fh.write("]")
    return path


def _objects(rng: random.Random, n: int) -> Iterator[tuple[str, list[float], list[float] | None]]:
    for _ in range(n):
        w, h = round(rng.uniform(4, 400), 2), round(rng.uniform(4, 300), 2)
        x, y = round(rng.uniform(0, W - w), 2), round(rng.uniform(0, H - h), 2)
        if rng.random() < 0.3:
            k = rng.randint(8, 16)
            ring: list[float] = []
            for _ in range(k):
                ring += [round(rng.uniform(x, x + w), 2), round(rng.uniform(y, y + h), 2)]
            yield f"p{rng.randint(1, CLASSES):02d}", [x, y, w, h], ring
        else:
            yield f"c{rng.randint(1, CLASSES):02d}", [x, y, w, h], None


def plan(images: int, seed: int = 0) -> list[int]:
    """How many objects each image has (the same for every format of one size and seed)."""
    rng = random.Random(seed)
    return [rng.randint(5, 15) for _ in range(images)]


def _broken(index: int, invalid: int, total: int) -> str | None:
    if invalid <= 0:
        return None
    step = max(total // invalid, 1)
    if index % step == step // 2 and index // step < invalid:
        return BREAKAGES[(index // step) % len(BREAKAGES)]
    return None


def write_coco(path: Path, images: int, *, invalid: int = 0, seed: int = 0) -> int:
    """A COCO instances file; returns the number of annotations."""
    counts = plan(images, seed)
    total = sum(counts)
    rng = random.Random(seed + 1)
    cat_ids = {f"c{i:02d}": i for i in range(1, CLASSES + 1)} | {
        f"p{i:02d}": CLASSES + i for i in range(1, CLASSES + 1)
    }
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"info": {"description": "labelport bench"}, "licenses": [], "images": [')
        fh.write(
            ",".join(
                json.dumps({"id": i + 1, "file_name": file_name(i), "width": W, "height": H})
                for i in range(images)
            )
        )
        fh.write('], "categories": [')
        fh.write(
            ",".join(json.dumps({"id": v, "name": k, "supercategory": k[0]}) for k, v in cat_ids.items())
        )
        fh.write('], "annotations": [')
        n = 0
        for img, count in enumerate(counts):
            for name, box, ring in _objects(rng, count):
                cat = cat_ids[name]
                bad = _broken(n, invalid, total)
                if bad in ("out_of_bounds", "degenerate_geometry"):
                    cat = cat_ids["c" + name[1:]]  # a box of a box class: only the planted fault
                if bad == "out_of_bounds":
                    box = [W - 1.5, box[1], 10.0, box[3]]
                    ring = None
                elif bad == "unknown_class":
                    cat = CLASSES * 2 + 1  # declared below as `zebra`, not in the ontology
                elif bad == "degenerate_geometry":
                    box, ring = [box[0], box[1], 0.0, box[3]], None
                elif bad == "unknown_category":
                    cat = 9999
                ann = {
                    "id": n + 1,
                    "image_id": img + 1,
                    "category_id": cat,
                    "bbox": box,
                    "area": round(box[2] * box[3], 2),
                    "iscrowd": 0,
                    "segmentation": [ring] if ring else [],
                }
                fh.write(("," if n else "") + json.dumps(ann))
                n += 1
        fh.write("]}")
    if invalid:
        # the class outside the ontology must be declared, or it would be an unknown category too
        doc = path.read_bytes().replace(
            b'], "annotations": [', b', {"id": %d, "name": "zebra"}], "annotations": [' % (CLASSES * 2 + 1), 1
        )
        path.write_bytes(doc)
    return n


def write_ndjson(path: Path, images: int, *, invalid: int = 0, seed: int = 0) -> int:
    """Labelbox NDJSON, one object a line, boxes with a nested radio answer, polygons bare."""
    counts = plan(images, seed)
    total = sum(counts)
    rng = random.Random(seed + 1)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for img, count in enumerate(counts):
            row = {"globalKey": "/" + file_name(img)}
            for name, box, ring in _objects(rng, count):
                bad = _broken(n, invalid, total)
                if bad == "out_of_bounds":
                    box, ring = [W - 1.5, box[1], 10.0, box[3]], None
                elif bad == "degenerate_geometry":
                    box, ring = [box[0], box[1], 0.0, box[3]], None
                elif bad is not None:
                    name = "zebra"
                line: dict[str, Any] = {"uuid": _uuid(seed, n), "dataRow": row, "name": name}
                if ring:
                    line["polygon"] = [{"x": ring[i], "y": ring[i + 1]} for i in range(0, len(ring), 2)]
                else:
                    if not name.startswith("p"):
                        line["classifications"] = [
                            {"name": "occluded", "answer": {"name": "yes" if n % 3 else "no"}}
                        ]
                    else:
                        name = line["name"] = "c" + name[1:]
                    line["bbox"] = {"left": box[0], "top": box[1], "width": box[2], "height": box[3]}
                fh.write(json.dumps(line) + "\n")
                n += 1
    return n


def _uuid(seed: int, n: int) -> str:
    return f"{seed:08x}-0000-4000-8000-{n:012x}"


def write_yolo(folder: Path, images: int, *, invalid: int = 0, seed: int = 0) -> int:
    """An Ultralytics detect dataset (``data.yaml`` + ``labels/<path>.txt``), boxes only, since a
    YOLO file cannot tell a polygon class from a box class by anything but its point count."""
    counts = plan(images, seed)
    total = sum(counts)
    rng = random.Random(seed + 1)
    names = [f"c{i:02d}" for i in range(1, CLASSES + 1)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.yaml").write_text(
        "names:\n" + "".join(f"  {i}: {n}\n" for i, n in enumerate(names)), encoding="utf-8"
    )
    n = 0
    for img, count in enumerate(counts):
        target = folder / "labels" / file_name(img)
        target = target.with_suffix(".txt")
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = []
        for name, box, _ring in _objects(rng, count):
            cls = int(name[1:]) - 1
            x, y, w, h = box
            bad = _broken(n, invalid, total)
            if bad == "out_of_bounds":
                x, w = W - 1.5, 10.0
            elif bad == "degenerate_geometry":
                w = 0.0
            elif bad is not None:
                cls = CLASSES + 5  # not in data.yaml: an unknown category
            lines.append(f"{cls} {(x + w / 2) / W:.6f} {(y + h / 2) / H:.6f} {w / W:.6f} {h / H:.6f}")
            n += 1
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return n


def write_aimmo(folder: Path, images: int, *, invalid: int = 0, seed: int = 0) -> int:
    """An AIMMO GT tree: one JSON file per image mirroring its path, boxes (corner pairs) with a
    class attribute and polygons, as the second seed describes."""
    counts = plan(images, seed)
    total = sum(counts)
    rng = random.Random(seed + 1)
    n = 0
    for img, count in enumerate(counts):
        rel = file_name(img)
        parent, fname = rel.rsplit("/", 1)
        anns = []
        for name, box, ring in _objects(rng, count):
            bad = _broken(n, invalid, total)
            if bad in ("out_of_bounds", "degenerate_geometry"):
                name, ring = "c" + name[1:], None
                box = [W - 1.5, box[1], 10.0, box[3]] if bad == "out_of_bounds" else [*box[:2], 0.0, box[3]]
            elif bad is not None:
                name = "zebra"
            x, y, w, h = box
            ann: dict[str, Any] = {"id": f"{n + 1}-{_uuid(seed, n)}", "label": name, "attributes": {}}
            if ring:
                ann |= {"type": "polygon", "points": [[ring[i], ring[i + 1]] for i in range(0, len(ring), 2)]}
            else:
                if not name.startswith("p"):
                    ann["attributes"] = {"occluded": "yes" if n % 3 else "no"}
                else:
                    ann["label"] = "c" + name[1:]
                    ann["attributes"] = {"occluded": "no"}
                ann |= {"type": "box", "points": [[x, y], [x + w, y + h]]}
            anns.append(ann)
            n += 1
        doc = {
            "annotations": anns,
            "attributes": {},
            "filename": fname,
            "parent_path": "/" + parent,
            "metadata": {"height": H, "width": W},
        }
        target = folder / parent / f"{fname}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(doc), encoding="utf-8")
    return n
