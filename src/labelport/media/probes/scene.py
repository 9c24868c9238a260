"""Scenes: a folder of frames (images, or point clouds), ordered the way a person numbered them."""

from __future__ import annotations

import pathlib
import re
from collections.abc import Callable
from typing import Any

from labelport.model.media import MediaType

from ..detect import detect_media_type
from ..errors import ProbeError
from .image import probe_image
from .point_cloud import probe_point_cloud

_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[Any, ...]:
    """Sort key that compares digit runs as numbers, so ``frame_2`` comes before ``frame_10``.

    Text parts compare case-insensitively; the raw name breaks ties (``f01`` vs ``f1``) so the
    order is total and stable across file systems.
    """
    parts = _DIGITS.split(name)
    return (
        tuple(int(part) if i % 2 else part.casefold() for i, part in enumerate(parts)),
        name,
    )


def frame_files(folder: pathlib.Path, media: MediaType) -> list[str]:
    """The names of the frames directly in ``folder`` (not in subfolders), in natural order.

    Hidden files are skipped, since they are editor or OS droppings, never frames.
    """
    return sorted(
        (
            entry.name
            for entry in folder.iterdir()
            if not entry.name.startswith(".") and entry.is_file() and detect_media_type(entry) is media
        ),
        key=natural_key,
    )


def probe_scene(folder: pathlib.Path) -> dict[str, Any]:
    """Probe every image directly in ``folder`` as one frame of the sequence, with its size."""
    return _probe_frames(folder, MediaType.IMAGE, probe_image, ("width", "height"))


def probe_cloud_scene(folder: pathlib.Path) -> dict[str, Any]:
    """Probe every ``.pcd``/``.bin`` directly in ``folder`` as one frame of a lidar sequence.

    Each frame keeps its own point count and bounds, since a cuboid is checked against the cloud of
    its own frame (a moving sensor sees a different extent every sweep).
    """
    return _probe_frames(folder, MediaType.POINT_CLOUD, probe_point_cloud, ("point_count", "bounds"))


def _probe_frames(
    folder: pathlib.Path,
    media: MediaType,
    probe_one: Callable[[pathlib.Path], dict[str, Any]],
    keep: tuple[str, ...],
) -> dict[str, Any]:
    """A frame that cannot be read fails the whole scene, because a gap would shift every later
    frame index that labels refer to."""
    names = frame_files(folder, media)
    if not names:
        what = (
            "image sequence has no image files"
            if media is MediaType.IMAGE
            else "point cloud scene has no .pcd or .bin files"
        )
        raise ProbeError(what)
    frames: list[dict[str, Any]] = []
    for name in names:
        try:
            found = probe_one(folder / name)
        except ProbeError as exc:
            raise ProbeError(f"frame {name}: {exc}") from None
        frames.append({"filename": name, **{k: found[k] for k in keep}})
    return {"frames": frames, "frame_count": len(frames)}
