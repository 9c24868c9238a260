"""``--suggest-class-map``: the payload's class names next to the ontology's, with a proposed map.

A person reviews the proposal and passes it back with ``--class-map``; nothing here is applied.
Only near misses a person would overlook are proposed (case, spacing, ``_``/``-``, a plural ``s``;
:func:`labelport.model.names.fold`), never a guess by similarity: ``truck`` is not ``car``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from labelport.formats.base import FormatSpec
from labelport.model.issues import Issue
from labelport.model.names import fold
from labelport.model.ontology import Ontology


@dataclass
class ClassMapSuggestion:
    class_map: dict[str, str] = field(default_factory=dict)  # payload name -> ontology name, to review
    matched: dict[str, int] = field(default_factory=dict)  # names already exact, with their counts
    unmatched: dict[str, int] = field(default_factory=dict)  # no near miss: add to the ontology or map
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # several ontology names fold alike
    counts: dict[str, int] = field(default_factory=dict)  # every payload name and how often it occurs


def suggest_class_map(
    spec: FormatSpec, payload: Path, ontology: Ontology, options: Mapping[str, str] | None = None
) -> ClassMapSuggestion:
    """Read the payload (nothing is validated or stored) and compare its class names."""
    assert spec.read is not None
    seen: Counter[str] = Counter()

    def ignore(issue: Issue) -> None:
        return None  # structure problems are the import's to report; only names matter here

    for record in spec.read(payload, ignore, options or {}):
        for ann in record.annotations:
            if ann.name is not None:
                seen[ann.name] += 1
            elif (
                ann.kind == "classification" and ann.answer is not None and isinstance(ann.answer.value, str)
            ):
                seen[ann.answer.value] += 1  # an image-level tag names an option of a radio
    names = [t.name for t in ontology.tools] + [c.name for c in ontology.classifications]
    names += [o.value for c in ontology.classifications for o in c.options]
    by_fold: dict[str, list[str]] = {}
    for n in names:
        by_fold.setdefault(fold(n), []).append(n)
    out = ClassMapSuggestion(counts=dict(seen))
    exact = set(names)
    for name, count in sorted(seen.items()):
        if name in exact:
            out.matched[name] = count
            continue
        cands = sorted(set(by_fold.get(fold(name), [])))
        if len(cands) == 1:
            out.class_map[name] = cands[0]
        elif cands:
            out.ambiguous[name] = cands
        else:
            out.unmatched[name] = count
    return out
