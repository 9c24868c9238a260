"""Route a file to the reader for its media type."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

from labelport.model.media import MediaType

from .probes.audio import probe_audio
from .probes.conversation import probe_conversation
from .probes.image import probe_image
from .probes.pdf import probe_pdf
from .probes.point_cloud import probe_point_cloud
from .probes.scene import probe_cloud_scene, probe_scene
from .probes.text import probe_html, probe_text
from .probes.video import probe_video

_PROBES: dict[MediaType, Callable[[pathlib.Path], dict[str, Any]]] = {
    MediaType.IMAGE: probe_image,
    MediaType.VIDEO: probe_video,
    MediaType.AUDIO: probe_audio,
    MediaType.PDF: probe_pdf,
    MediaType.TEXT: probe_text,
    MediaType.HTML: probe_html,
    MediaType.CONVERSATION: probe_conversation,
    MediaType.POINT_CLOUD: lambda p: probe_cloud_scene(p) if p.is_dir() else probe_point_cloud(p),
    MediaType.IMAGE_SEQUENCE: probe_scene,  # path is the folder of frames
}


def probe(path: pathlib.Path, media_type: MediaType) -> dict[str, Any]:
    """Return the JSON-ready metadata of ``path`` read as ``media_type``.

    A point cloud given as a folder is a lidar scene: each ``.pcd``/``.bin`` in it is a frame.

    Raises ``ProbeError`` when the content is not that media type, ``OSError`` when the file
    cannot be opened, and ``ValueError`` for a media type that has no local file to read
    (geospatial assets are tile-server URLs).
    """
    reader = _PROBES.get(media_type)
    if reader is None:
        raise ValueError(f"media type {media_type.value!r} has no file to probe")
    return reader(path)
