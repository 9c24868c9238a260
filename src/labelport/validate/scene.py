"""Scenes: image sequences and point clouds, one data row holding many frames.

A scene row's probed ``frames`` list is what everything refers to: an annotation's ``frame`` is the
1-based position of its frame file in that list, and its geometry is checked against that frame's
own size (images) or point bounds (clouds), since frames of one scene may differ. A point cloud
ingested as a single file has no ``frames``: it is its own one frame, with the row's bounds.

The frame number itself comes from the payload's frame file name (see :func:`frame_of`), so the
"frame exists" rule here catches payloads that give frame numbers directly.
"""

from __future__ import annotations

import math
from typing import Any

from labelport.model.records import CLASSIFICATION_KINDS, Annotation
from labelport.validate.geometry import Problem, check_image

_ANSWERS = {*CLASSIFICATION_KINDS, "classification"}


def frames_of(metadata: dict[str, Any]) -> list[dict[str, Any]] | None:
    frames = metadata.get("frames")
    return frames if isinstance(frames, list) else None


def frame_of(metadata: dict[str, Any], row_filename: str, filename: str) -> int | None:
    """The 1-based frame a frame file is in its scene, or None when the scene has no such frame.

    A single-file row (a ``.pcd`` added on its own) is its own frame 1 under its own name.
    """
    frames = frames_of(metadata)
    if frames is None:
        return 1 if filename == row_filename else None
    for i, f in enumerate(frames, 1):
        if f.get("filename") == filename:
            return i
    return None


def frame_names(metadata: dict[str, Any]) -> list[str]:
    return [str(f.get("filename")) for f in frames_of(metadata) or []]


def _frame(ann: Annotation, metadata: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The frame an annotation sits on (its probed entry), or the problem with its ``frame``."""
    frames = frames_of(metadata)
    count = len(frames) if frames is not None else 1
    if ann.frame is None:
        if frames is None or ann.kind in _ANSWERS:
            return metadata, []  # a single-file cloud, or an answer about the whole scene
        return None, [("frame_not_found", f"the {ann.kind} names no frame of the scene", None)]
    if not 1 <= ann.frame <= count:
        return None, [
            (
                "frame_not_found",
                f"frame {ann.frame} is not in the scene (frames are 1 to {count})",
                ann.frame,
            )
        ]
    return (frames[ann.frame - 1] if frames is not None else metadata), []


def check_sequence(ann: Annotation, metadata: dict[str, Any]) -> list[Problem]:
    """An image-sequence annotation: its frame exists, its shape lies inside that frame."""
    frame, problems = _frame(ann, metadata)
    if frame is None or ann.kind in _ANSWERS or ann.kind == "relationship":
        return problems
    w, h = frame.get("width"), frame.get("height")
    if not isinstance(w, int | float) or not isinstance(h, int | float):
        return [("missing_dimensions", f"frame {ann.frame} of the scene has no width/height", ann.frame)]
    if ann.kind == "mask":
        size = ann.geometry.get("size") if isinstance(ann.geometry, dict) else None
        if size != [h, w]:
            return [("mask_invalid", f"the mask is not the {w}x{h} of frame {ann.frame}", size)]
        return []
    return [
        (code, f"frame {ann.frame}: {message}", value)
        for code, message, value in check_image(ann.kind, ann.geometry, w, h)
    ]


def check_cloud(ann: Annotation, metadata: dict[str, Any]) -> list[Problem]:
    """A point-cloud annotation: its frame exists; a cuboid has a size and its centre is in the
    cloud's extent (the probed bounds of finite points) for that frame."""
    frame, problems = _frame(ann, metadata)
    if frame is None or ann.kind != "cuboid":
        return problems
    g = ann.geometry
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in g):
        return [("non_finite_coordinate", "a cuboid value is not finite", g)]
    if min(g[3:6]) <= 0:
        return [("degenerate_geometry", f"the cuboid's size {g[3:6]} is not positive", g[3:6])]
    bounds = frame.get("bounds")
    if not isinstance(bounds, list) or len(bounds) != 6:
        return [("missing_dimensions", "the point cloud has no probed bounds", None)]
    low, high = bounds[:3], bounds[3:]
    centre = g[:3]
    if any(not lo <= c <= hi for c, lo, hi in zip(centre, low, high, strict=True)):
        where = f"frame {ann.frame}" if ann.frame is not None else "the cloud"
        return [
            (
                "out_of_bounds",
                f"the cuboid's centre {centre} is outside the points of {where} "
                f"(x {low[0]:g}..{high[0]:g}, y {low[1]:g}..{high[1]:g}, z {low[2]:g}..{high[2]:g})",
                centre,
            )
        ]
    return []
