"""Images: displayed size, read from the header only so probing thousands of files stays cheap."""

from __future__ import annotations

import pathlib
from typing import Any

from PIL import Image

from ..errors import ProbeError

_ORIENTATION_TAG = 0x0112
# EXIF orientations 5-8 transpose the image: the viewer shows it with width and height swapped.
_TRANSPOSING = frozenset({5, 6, 7, 8})


def probe_image(path: pathlib.Path) -> dict[str, Any]:
    """Return the size as a viewer displays it, which is the frame labels are drawn in.

    ``Image.open`` parses the header and stops, so pixels are never decoded; an unrecognised or
    malformed header is how a non-image is caught. Any exception from Pillow while parsing means
    the bytes are not a readable image, hence the broad catch.
    """
    with path.open("rb") as stream:
        try:
            with Image.open(stream) as image:
                width, height = image.size
                image_format = image.format or "unknown"
                orientation = _orientation(image)
        except Exception as exc:
            raise ProbeError(f"not a valid image: {_reason(exc)}") from None
    if orientation in _TRANSPOSING:
        width, height = height, width
    metadata: dict[str, Any] = {"width": width, "height": height, "format": image_format}
    if orientation != 1:
        metadata["exif_orientation"] = orientation
    return metadata


def _orientation(image: Image.Image) -> int:
    """EXIF orientation, treating absent or out-of-range values as 1 (upright) like browsers do.

    Pillow's PNG ``getexif`` decodes the whole image when the eXIf chunk sits after the pixel
    data; to keep probing header-only, a PNG is only asked when the chunk was already seen.
    """
    if image.format == "PNG" and "exif" not in image.info:
        return 1
    value = image.getexif().get(_ORIENTATION_TAG, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _reason(exc: Exception) -> str:
    """Pillow messages embed the file object's repr; keep only the part that explains the fault."""
    message = str(exc).split(" <_io.", 1)[0].strip() or type(exc).__name__
    return message.splitlines()[0]
