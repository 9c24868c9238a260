"""Payload formats, one module each, found through this registry by the CLI, the API and the SDK.

Modules are imported when first asked for, so a broken optional dependency of one format cannot
hide the others, and importing labelport stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path

from labelport.formats.base import Detection, FormatSpec
from labelport.model.errors import InvalidInputError
from labelport.model.names import hint_for

_MODULES = {
    "ndjson": "labelport.formats.ndjson",
    "aimmo": "labelport.formats.aimmo",
    "coco": "labelport.formats.coco",
    "yolo": "labelport.formats.yolo",
    "voc": "labelport.formats.voc",
    "cvat": "labelport.formats.cvat",
    "labelstudio": "labelport.formats.labelstudio",
    "labelme": "labelport.formats.labelme",
}


def names() -> list[str]:
    return list(_MODULES)


def get(name: str) -> FormatSpec:
    module = _MODULES.get(name)
    if module is None:
        raise InvalidInputError(
            f"unknown format {name!r}", code="unknown_format", hint="one of " + ", ".join(_MODULES)
        )
    spec: FormatSpec = importlib.import_module(module).SPEC
    return spec


def detect(payload: Path) -> tuple[str | None, dict[str, Detection]]:
    """Which format a payload is, with every format's reasons; None when none or several match."""
    results = {name: get(name).detect(payload) for name in _MODULES}
    return (_winner(results)), results


_MARGIN = 0.2  # a runner-up this close to the best is a real contender: say so, never pick


def _contenders(results: dict[str, Detection]) -> list[str]:
    best = max(r.confidence for r in results.values())
    if best < 0.5:
        return []
    return [n for n, r in results.items() if r.confidence >= 0.5 and best - r.confidence < _MARGIN]


def _winner(results: dict[str, Detection]) -> str | None:
    found = _contenders(results)
    return found[0] if len(found) == 1 else None


def choose(payload: Path) -> tuple[str, Detection]:
    """The payload's format as ``--format auto`` takes it, with its reasons; refused when none or
    several match, every format's reasons in the message."""
    found, results = detect(payload)
    if found is None:
        raise InvalidInputError(
            f"cannot tell the payload's format: {explain(results)}",
            code="format_not_detected",
            hint="pass --format",
        )
    return found, results[found]


def explain(results: dict[str, Detection]) -> str:
    """Why detection chose nothing: several formats tied, or none looked likely; each one's reasons."""
    tied = _contenders(results)
    head = f"several formats match ({', '.join(tied)})" if len(tied) > 1 else "no format matches"
    why = "; ".join(f"{n}: {', '.join(d.reasons)}" for n, d in results.items())
    return f"{head} ({why})"


def check_options(spec: FormatSpec, options: Mapping[str, str] | None) -> None:
    """A format option the format does not know is refused before anything runs."""
    for key in options or {}:
        if key not in spec.options:
            known = ", ".join(spec.options) or "none"
            raise InvalidInputError(
                f"format {spec.name!r} has no option {key!r} (it has: {known})",
                code="unknown_option",
                hint=hint_for(key, spec.options),
            )
