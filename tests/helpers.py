"""Small builders for test data written by hand."""

from __future__ import annotations

from pathlib import Path

from PIL import Image


def make_images(root: Path, names: dict[str, tuple[int, int]]) -> Path:
    """Write real PNG/JPEG files at the given relative paths with the given (width, height)."""
    for rel, (w, h) in names.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (w, h), (120, 30, 200)).save(p)
    return root


ONTOLOGY = {
    "tools": [
        {
            "name": "car",
            "tool": "rectangle",
            "color": "#ff0000",
            "classifications": [
                {
                    "name": "color",
                    "type": "radio",
                    "required": False,
                    "options": [
                        {
                            "value": "red",
                            "options": [
                                {
                                    "name": "shade",
                                    "type": "radio",
                                    "options": [{"value": "dark"}, {"value": "light"}],
                                }
                            ],
                        },
                        {"value": "blue"},
                    ],
                },
                {"name": "occluded", "type": "checklist", "options": [{"value": "front"}, {"value": "back"}]},
            ],
        },
        {"name": "lake", "tool": "polygon"},
        {"name": "road", "tool": "line"},
        {"name": "eye", "tool": "point"},
        {"name": "seg", "tool": "raster-segmentation"},
        {"name": "follows", "tool": "edge"},
    ],
    "classifications": [
        {
            "name": "weather",
            "type": "radio",
            "options": [{"value": "sunny"}, {"value": "cloudy"}, {"value": "rainy"}],
        },
        {
            "name": "tags",
            "type": "checklist",
            "options": [{"value": "a"}, {"value": "b", "options": [{"name": "why", "type": "text"}]}],
        },
        {"name": "caption", "type": "text"},
    ],
}
