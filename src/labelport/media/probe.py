"""Route a file to the reader for its media type.

Each reader's module is imported when a file of its type is first probed: together they import
Pillow, PyAV, pypdf and numpy, a sixth of a second that every ``labelport`` command and import job
would otherwise pay before doing anything, whether it probes a file or not."""

from __future__ import annotations

import importlib
import pathlib
from collections.abc import Callable
from typing import Any

from labelport.model.media import MediaType

Probe = Callable[[pathlib.Path], dict[str, Any]]

# media type -> (module under labelport.media.probes, function)
_PROBES: dict[MediaType, tuple[str, str]] = {
    MediaType.IMAGE: ("image", "probe_image"),
    MediaType.VIDEO: ("video", "probe_video"),
    MediaType.AUDIO: ("audio", "probe_audio"),
    MediaType.PDF: ("pdf", "probe_pdf"),
    MediaType.TEXT: ("text", "probe_text"),
    MediaType.HTML: ("text", "probe_html"),
    MediaType.CONVERSATION: ("conversation", "probe_conversation"),
    MediaType.IMAGE_SEQUENCE: ("scene", "probe_scene"),  # path is the folder of frames
}


def reader(module: str, name: str) -> Probe:
    """A probe function, its module imported now if it was not yet."""
    found: Probe = getattr(importlib.import_module(f"labelport.media.probes.{module}"), name)
    return found


def probe(path: pathlib.Path, media_type: MediaType) -> dict[str, Any]:
    """Return the JSON-ready metadata of ``path`` read as ``media_type``.

    A point cloud given as a folder is a lidar scene: each ``.pcd``/``.bin`` in it is a frame.

    Raises ``ProbeError`` when the content is not that media type, ``OSError`` when the file
    cannot be opened, and ``ValueError`` for a media type that has no local file to read
    (geospatial assets are tile-server URLs).
    """
    if media_type is MediaType.POINT_CLOUD:
        if path.is_dir():
            return reader("scene", "probe_cloud_scene")(path)
        return reader("point_cloud", "probe_point_cloud")(path)
    where = _PROBES.get(media_type)
    if where is None:
        raise ValueError(f"media type {media_type.value!r} has no file to probe")
    return reader(*where)(path)
