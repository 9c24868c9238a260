"""Audio rules: answers over time stay inside the clip.

Audio carries no shapes, only classifications; temporal ones hold over ranges in milliseconds from
the start of the clip, both ends inclusive, up to the probed ``duration_ms`` (rounded to the
millisecond by the probe, so a range may end exactly there).
"""

from __future__ import annotations

from typing import Any

from labelport.model.records import Annotation, Answer
from labelport.validate.answers import chosen, time_problems
from labelport.validate.geometry import Problem
from labelport.validate.text import foreign_placement


def check_audio(ann: Annotation, meta: dict[str, Any]) -> list[Problem]:
    duration = meta.get("duration_ms")
    answers = [ann.answer] if ann.answer is not None else ann.classifications
    problems = foreign_placement(ann, "audio")
    if not isinstance(duration, int):
        if any(_timed(a) for a in answers):
            problems.append(("missing_dimensions", "the audio row has no probed duration_ms", None))
        return problems
    return problems + time_problems(
        answers, 0, duration, f"the clip's 0-{duration} ms", "range_out_of_bounds"
    )


def _timed(a: Answer) -> bool:
    return any(c.frames is not None for c in chosen(a))
