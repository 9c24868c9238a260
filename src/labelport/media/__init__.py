"""Media detection and probing: what an asset file is, and the metadata labels are checked against.

Every probe reads the real file with a real decoder (Pillow, PyAV, mutagen, pypdf, numpy), so a
file that merely has the right extension is refused with a ``ProbeError`` at ingest instead of
surfacing later as labels that cannot be validated. The decoders are imported when a file of
their type is first probed (``probe``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .detect import detect_media_type
from .errors import ProbeError
from .probe import probe, reader


def probe_scene(folder: Path) -> dict[str, Any]:
    """An image sequence's metadata: its folder's frames (``probes.scene``)."""
    return reader("scene", "probe_scene")(folder)


def probe_cloud_scene(folder: Path) -> dict[str, Any]:
    """A lidar scene's metadata: its folder's point-cloud frames (``probes.scene``)."""
    return reader("scene", "probe_cloud_scene")(folder)


__all__ = ["ProbeError", "detect_media_type", "probe", "probe_cloud_scene", "probe_scene"]
