"""Near-miss suggestions for names that must match exactly.

A near miss is only ever *suggested* (in a hint, or in ``--suggest-class-map``); it is never
applied, because ``Car`` and ``car`` may well be different classes in someone's ontology.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_SPACE = re.compile(r"[\s_\-]+")


def fold(name: str) -> str:
    """Case, spacing, ``_``/``-`` and a plural ``s`` folded away: what a person would overlook."""
    folded = _SPACE.sub(" ", name.strip().lower())
    return folded[:-1] if folded.endswith("s") and len(folded) > 3 else folded


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    cands = list(candidates)
    target = fold(name)
    for c in cands:
        if c != name and fold(c) == target:
            return c
    close = difflib.get_close_matches(name, cands, n=1, cutoff=0.75)
    return close[0] if close and close[0] != name else None


def hint_for(name: str, candidates: Iterable[str]) -> str | None:
    match = did_you_mean(name, candidates)
    return f"did you mean `{match}`?" if match else None
