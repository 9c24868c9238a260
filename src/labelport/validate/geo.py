"""Geospatial tiles: shapes in longitude/latitude, inside the tile layer's bounds.

Coordinates are x = longitude, y = latitude (EPSG:4326), whatever projection the tiles are served
in, as Labelbox writes them. A box is ``[min_lng, min_lat, width, height]``: the NDJSON reader
already turns a box given from its northern edge with a negative height (Labelbox's hand-written
examples) into that form, so here a box with no positive extent is degenerate, not flipped.

The row's ``bounds`` (checked at ingest, ``[[min_lng, min_lat], [max_lng, max_lat]]``) are
inclusive: a shape may touch the layer's edge.
"""

from __future__ import annotations

import math
from typing import Any

from labelport.model.records import Annotation
from labelport.validate.geometry import Problem

_NEED = {"polygon": 3, "line": 2, "point": 1}


def _points(kind: str, g: Any) -> list[list[tuple[Any, Any]]]:
    """The shape's (lng, lat) pairs, one list per ring or part."""
    if kind == "bbox":
        x, y, w, h = g[:4]
        return [[(x, y), (x + w, y + h)]]
    flats = g if kind == "polygon" else [g]
    return [[(f[i], f[i + 1]) for i in range(0, len(f) - 1, 2)] for f in flats]


def check_geo(ann: Annotation, metadata: dict[str, Any]) -> list[Problem]:
    if ann.kind not in ("bbox", "polygon", "line", "point"):
        return []
    g = ann.geometry
    parts = _points(ann.kind, g)
    flat = [v for part in parts for pt in part for v in pt]
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in flat):
        return [("non_finite_coordinate", f"a {ann.kind} coordinate is not finite", g)]
    if ann.kind == "bbox" and (g[2] <= 0 or g[3] <= 0):
        return [("degenerate_geometry", f"the box has no area (width {g[2]}, height {g[3]} degrees)", g)]
    for part in parts:
        need = _NEED.get(ann.kind, 0)
        if len(set(part)) < need:
            return [
                (
                    "degenerate_geometry",
                    f"a {ann.kind} needs at least {need} distinct points, has {len(set(part))}",
                    [list(p) for p in part],
                )
            ]
    for lng, lat in (pt for part in parts for pt in part):
        if not -180 <= lng <= 180 or not -90 <= lat <= 90:
            return [
                (
                    "out_of_bounds",
                    f"({lng}, {lat}) is not a longitude, latitude (x is -180..180, y is -90..90)",
                    [lng, lat],
                )
            ]
    bounds = metadata.get("bounds")
    if not isinstance(bounds, list) or len(bounds) != 2:
        return [("missing_dimensions", "the tile layer has no bounds", None)]
    (x0, y0), (x1, y1) = bounds
    for lng, lat in (pt for part in parts for pt in part):
        if not (x0 <= lng <= x1 and y0 <= lat <= y1):
            return [
                (
                    "out_of_bounds",
                    f"({lng}, {lat}) of the {ann.kind} is outside the tile layer's bounds "
                    f"(longitude {x0}..{x1}, latitude {y0}..{y1})",
                    [lng, lat],
                )
            ]
    return []
