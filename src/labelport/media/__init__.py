"""Media detection and probing: what an asset file is, and the metadata labels are checked against.

Every probe reads the real file with a real decoder (Pillow, PyAV, mutagen, pypdf, numpy), so a
file that merely has the right extension is refused with a ``ProbeError`` at ingest instead of
surfacing later as labels that cannot be validated.
"""

from __future__ import annotations

from .detect import detect_media_type
from .errors import ProbeError
from .probe import probe
from .probes.scene import probe_cloud_scene, probe_scene

__all__ = ["ProbeError", "detect_media_type", "probe", "probe_cloud_scene", "probe_scene"]
