"""Decide which media type a file is, cheaply enough to run over every file of an upload."""

from __future__ import annotations

import pathlib

from labelport.model.media import MediaType

from .probes.conversation import decode_json, looks_like_conversation

# Extensions only, so detection costs no I/O; the probe is what verifies the content.
_BY_EXTENSION: dict[str, MediaType] = {
    **dict.fromkeys((".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"), MediaType.IMAGE),
    **dict.fromkeys((".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"), MediaType.VIDEO),
    **dict.fromkeys((".wav", ".mp3", ".flac", ".ogg", ".m4a", ".aac", ".opus"), MediaType.AUDIO),
    ".pdf": MediaType.PDF,
    ".txt": MediaType.TEXT,
    ".md": MediaType.TEXT,
    ".html": MediaType.HTML,
    ".htm": MediaType.HTML,
    ".pcd": MediaType.POINT_CLOUD,
    ".bin": MediaType.POINT_CLOUD,  # KITTI velodyne scans
}


def detect_media_type(path: pathlib.Path) -> MediaType | None:
    """Return the asset type of ``path``, or None when it is not an asset.

    ``.json`` is the only extension shared by assets and non-assets (label files, manifests), so
    it alone is sniffed: it is a conversation only if it parses to an object with a ``messages``
    list. macOS AppleDouble companions (``._photo.jpg``) carry an asset's extension but hold
    resource-fork bytes, so they are rejected by name instead of failing later in the probe.
    An unreadable ``.json`` raises ``OSError`` rather than being silently skipped.
    """
    if path.name.startswith("._"):
        return None
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            document = decode_json(path.read_bytes())
        except ValueError:
            return None
        return MediaType.CONVERSATION if looks_like_conversation(document) else None
    return _BY_EXTENSION.get(suffix)
