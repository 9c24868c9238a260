"""Geometry rules: numbers that are finite, shapes with extent, coordinates inside the asset.

Each rule returns issues as ``(code, message, value)`` triples; the engine adds the location.
Bounds are inclusive: 0 <= x <= width and 0 <= y <= height, so a box may touch the far edge
(x + w == width) but not pass it.
"""

from __future__ import annotations

import math
from typing import Any

from labelport.model.records import plain_reach

Problem = tuple[str, str, Any]


def _finite(values: list[Any]) -> bool:
    try:
        # one C call for the usual case: a sum is finite only if every term is (inf + -inf is nan)
        if math.isfinite(sum(values)):
            return True
    except (OverflowError, TypeError):
        pass
    return all(isinstance(v, int) or math.isfinite(v) for v in values)


def _pairs(flat: list[float]) -> list[tuple[float, float]]:
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat) - 1, 2)]


def _outside(points: list[tuple[float, float]], w: float, h: float) -> tuple[float, float] | None:
    for x, y in points:
        if x < 0 or y < 0 or x > w or y > h:
            return x, y
    return None


def check_image(kind: str, g: Any, width: float, height: float) -> list[Problem]:
    """Rules for geometry in image pixels (images, video frames, scene frames)."""
    if kind == "bbox":
        if not _finite(g):
            return [("non_finite_coordinate", "a box coordinate is not finite", g)]
        x, y, w, h = g[0], g[1], g[2], g[3]
        if w <= 0 or h <= 0:
            return [("degenerate_geometry", f"the box has no area (width {w}, height {h})", g)]
        if len(g) == 5 and g[4] % 360:
            # a turned box may hang over the edge by design (CVAT allows it): its centre must not
            cx, cy = x + w / 2, y + h / 2
            if _outside([(cx, cy)], width, height):
                return [
                    (
                        "out_of_bounds",
                        f"the rotated box's centre ({cx}, {cy}) leaves the {_size(width, height)} image",
                        g,
                    )
                ]
            return []
        if x < 0 or y < 0 or x + w > width or y + h > height:
            return [
                (
                    "out_of_bounds",
                    f"the box [{x}, {y}, {x + w}, {y + h}] leaves the {_size(width, height)} image",
                    g,
                )
            ]
        return []
    if kind in ("polygon", "line"):
        rings = g if kind == "polygon" else [g]
        need = 3 if kind == "polygon" else 2
        for ring in rings:
            if not _finite(ring):
                return [("non_finite_coordinate", f"a {kind} coordinate is not finite", ring)]
            pts = _pairs(ring)
            if len(set(pts)) < need:
                return [
                    (
                        "degenerate_geometry",
                        f"a {kind} needs at least {need} distinct points, has {len(set(pts))}",
                        ring,
                    )
                ]
            bad = _outside(pts, width, height)
            if bad:
                return [
                    (
                        "out_of_bounds",
                        f"point ({bad[0]}, {bad[1]}) of the {kind} leaves the {_size(width, height)} image",
                        list(bad),
                    )
                ]
        return []
    if kind == "point":
        if not _finite(g):
            return [("non_finite_coordinate", "a point coordinate is not finite", g)]
        if _outside([(g[0], g[1])], width, height):
            return [("out_of_bounds", f"point ({g[0]}, {g[1]}) leaves the {_size(width, height)} image", g)]
        return []
    if kind == "ellipse":
        if not _finite(g):
            return [("non_finite_coordinate", "an ellipse coordinate is not finite", g)]
        if g[2] <= 0 or g[3] <= 0:
            return [("degenerate_geometry", f"the ellipse has no area (radii {g[2]}, {g[3]})", g)]
        if _outside([(g[0], g[1])], width, height):
            return [
                (
                    "out_of_bounds",
                    f"the ellipse's centre ({g[0]}, {g[1]}) leaves the {_size(width, height)} image",
                    g,
                )
            ]
        return []
    if kind == "keypoints":
        if not _finite(g):
            return [("non_finite_coordinate", "a keypoint coordinate is not finite", g)]
        visible = [(g[i], g[i + 1]) for i in range(0, len(g) - 2, 3) if g[i + 2] > 0]
        bad = _outside(visible, width, height)
        if bad:
            return [
                (
                    "out_of_bounds",
                    f"keypoint ({bad[0]}, {bad[1]}) leaves the {_size(width, height)} image",
                    list(bad),
                )
            ]
        return []
    return []


_SCALES = {"fraction": 1.0, "percent": 100.0}


def to_pixels(kind: str, g: Any, width: float, height: float, units: str) -> Any:
    """Relative coordinates (YOLO fractions, Label Studio percents) in the row's pixels.

    Multiplying before dividing keeps exact inputs exact (0.5 of 640 is 320.0, 25% of 640 is 160.0);
    nothing is rounded. A rotated box's angle and keypoint visibilities are not coordinates.
    """
    d = _SCALES[units]

    def xy(flat: list[float], step: int = 2) -> list[float]:
        out = list(flat)
        for i in range(0, len(out) - 1, step):
            out[i] = out[i] * width / d
            out[i + 1] = out[i + 1] * height / d
        return out

    if kind in ("bbox", "ellipse"):  # x, y, then sizes along x and y; an angle after them is kept
        return [g[0] * width / d, g[1] * height / d, g[2] * width / d, g[3] * height / d, *g[4:]]
    if kind == "polygon":
        return [xy(ring) for ring in g]
    if kind in ("line", "point"):
        return xy(g)
    if kind == "keypoints":
        return xy(g, 3)
    return g


# A relative coordinate written with 6 decimals (YOLO, most exporters) is off by up to 5e-7 of the
# side, and a box's edge (centre +- half the size) by twice that: a box drawn on the edge can land
# that far outside the image. Within this band the file's rounding, not the labeler, put it there.
ROUNDING_BAND = 1e-6


def onto_edges(kind: str, g: Any, width: float, height: float) -> tuple[Any, float]:
    """Coordinates converted from relative units that fall outside the image by no more than the
    rounding band, moved onto the edge; returns the geometry and the largest move in pixels (0.0:
    unchanged). Anything farther out is left for the bounds check to refuse. Rotated boxes and
    ellipses are not touched: their extent is not their coordinates."""
    bx, by = ROUNDING_BAND * width, ROUNDING_BAND * height
    moved = 0.0

    def clamp(v: float, hi: float, band: float) -> float:
        nonlocal moved
        if -band <= v < 0:
            moved = max(moved, -v)
            return 0.0
        if hi < v <= hi + band:
            moved = max(moved, v - hi)
            return hi
        return v

    def flat(values: list[float], step: int = 2) -> list[float]:
        out = list(values)
        for i in range(0, len(out) - 1, step):
            out[i], out[i + 1] = clamp(out[i], width, bx), clamp(out[i + 1], height, by)
        return out

    if kind == "bbox" and len(g) == 4:
        x0, y0 = clamp(g[0], width, bx), clamp(g[1], height, by)
        x1, y1 = clamp(g[0] + g[2], width, bx), clamp(g[1] + g[3], height, by)
        if not moved:
            return g, 0.0
        return [x0, y0, x1 - x0, y1 - y0], moved
    if kind == "polygon":
        out: Any = [flat(ring) for ring in g]
    elif kind in ("line", "point"):
        out = flat(g)
    elif kind == "keypoints":
        out = flat(g, 3)
    else:
        return g, 0.0
    return (out, moved) if moved else (g, 0.0)


def _size(w: float, h: float) -> str:
    return f"{w:g}x{h:g}"


def plainly_inside(kind: str, g: Any, width: float, height: float) -> bool:
    """True only if :func:`check_image` finds nothing wrong with the shape; False also where it
    would, or where only it can tell (a rotated box). The fast lane's test (``validate.engine``).
    It raises TypeError, ValueError or IndexError on a shape it cannot read, which callers take
    as False."""
    reach = plain_reach(kind, g)
    return reach is not None and bool(reach[0] <= width and reach[1] <= height)
