"""Image sequences: a folder of frames, ordered the way a person numbered them."""

from __future__ import annotations

import pathlib
import re
from typing import Any

from labelport.model.media import MediaType

from ..detect import detect_media_type
from ..errors import ProbeError
from .image import probe_image

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


def probe_scene(folder: pathlib.Path) -> dict[str, Any]:
    """Probe every image directly in ``folder`` (not in subfolders) as one frame of the sequence.

    Hidden files are skipped, since they are editor or OS droppings, never frames. A frame that is
    not a readable image fails the whole scene, because a gap would shift every later frame index
    that labels refer to.
    """
    names = sorted(
        (
            entry.name
            for entry in folder.iterdir()
            if not entry.name.startswith(".")
            and entry.is_file()
            and detect_media_type(entry) is MediaType.IMAGE
        ),
        key=natural_key,
    )
    if not names:
        raise ProbeError("image sequence has no image files")
    frames: list[dict[str, Any]] = []
    for name in names:
        try:
            image = probe_image(folder / name)
        except ProbeError as exc:
            raise ProbeError(f"frame {name}: {exc}") from None
        frames.append({"filename": name, "width": image["width"], "height": image["height"]})
    return {"frames": frames, "frame_count": len(frames)}
