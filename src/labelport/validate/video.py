"""Video rules: every object, mask and answer sits on frames the video has.

Frames are 1-based (the nth decoded frame, 1..frame_count, ``model/records.py``); geometry is in the
pixels of the frame as displayed (the probe swaps width and height for a rotated stream), checked
as an image of that size. Masks must be the frame's size. Answers over frame ranges are checked by
``answers.time_problems``, which also keeps nested answers inside their parents' ranges.
"""

from __future__ import annotations

from typing import Any

from labelport.model.records import Annotation
from labelport.validate.answers import time_problems
from labelport.validate.geometry import Problem, check_image
from labelport.validate.text import foreign_placement


def check_video(ann: Annotation, meta: dict[str, Any]) -> list[Problem]:
    count = meta.get("frame_count")
    if not isinstance(count, int):
        return [("missing_dimensions", "the video row has no probed frame_count", None)]
    clip = f"the video's frames 1-{count}"
    answers = [ann.answer] if ann.answer is not None else ann.classifications
    problems = foreign_placement(ann, "video") + time_problems(answers, 1, count, clip, "frame_out_of_range")
    if ann.answer is not None:
        return problems
    if ann.frame is None:
        return [
            (
                "missing_field",
                f"a {ann.kind} on a video is drawn on a frame: give it as a keyframe of `segments`"
                + (" (or a frame of `masks`)" if ann.kind == "mask" else ""),
                None,
            ),
            *problems,
        ]
    if not 1 <= ann.frame <= count:
        return [("frame_out_of_range", f"frame {ann.frame} is not among {clip}", ann.frame), *problems]
    w, h = meta.get("width"), meta.get("height")
    if not isinstance(w, int | float) or not isinstance(h, int | float):
        return [("missing_dimensions", "the video row has no probed width/height", None), *problems]
    if ann.kind == "mask":
        return [*_mask(ann.geometry, int(w), int(h)), *problems]
    return [*check_image(ann.kind, ann.geometry, w, h), *problems]


def _mask(g: Any, w: int, h: int) -> list[Problem]:
    if not isinstance(g, dict) or "size" not in g:
        return [("mask_invalid", "the mask was not resolved to pixels", None)]
    if list(g["size"]) != [h, w]:
        return [("mask_invalid", f"the mask is {g['size'][1]}x{g['size'][0]}, the frame {w}x{h}", g["size"])]
    return []
