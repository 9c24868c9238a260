"""Label Studio JSON: being written this session (reader, writer and detection land together)."""

from __future__ import annotations

from pathlib import Path

from labelport.formats.base import Detection, FormatSpec


def detect(payload: Path) -> Detection:
    return Detection(0.0, ["the labelstudio reader is not built yet"])


SPEC = FormatSpec(
    name="labelstudio", title="Label Studio JSON", carries="", read=None, write=None, detect=detect
)
