"""Documents in Labelbox NDJSON: PDF boxes with their page and unit, PDF text selections.

Shapes read here (``../shared/research/labelbox.md`` section 2, and what SDK 7.17 writes)::

    box        {"bbox": {...}, "page": 1, "unit": "POINTS" | "PIXELS" | "INCHES" | "PERCENT"}
    selection  {"textSelections": [{"tokenIds": ["..."], "groupId": "...", "page": 1}, ...]}

Text and conversation entities (``location``, ``messageId``) need nothing of their own: the
package's reader takes them for every media type.

A box keeps its ``unit`` in ``extra["unit"]`` as read: PERCENT is of the page's size, which only
validation knows, so the PDF rule (``validate/document.py``) turns every unit into points and drops
it. Stored boxes are therefore always in points and are written back with ``unit: POINTS``. A box
that gives ``page`` but no ``unit`` (labelport's own Python types write none) is in points.

A text selection becomes an ``entity`` whose geometry is ``{"selections": [{"tokenIds", "groupId",
"page"}]}`` (``model/records.py``), kept in the payload's order, token ids as given.
"""

from __future__ import annotations

from typing import Any

from labelport.formats import ndjson as nd  # the package's helpers, used at call time only
from labelport.model.records import Annotation

KEYS = ("textSelections",)
UNITS = ("POINTS", "PIXELS", "INCHES", "PERCENT")


def unit(v: Any, pointer: str) -> str:
    if v not in UNITS:
        raise nd._Bad("invalid_value", f"`unit` is one of {', '.join(UNITS)}; got {v!r}", pointer, v)
    return str(v)


def text_selections(v: Any, pointer: str) -> dict[str, Any]:
    if not isinstance(v, list) or not v:
        raise nd._Bad("wrong_type", "`textSelections` is a non-empty list of selections", pointer, v)
    out = []
    for i, s in enumerate(v):
        p = f"{pointer}/{i}"
        if not isinstance(s, dict):
            raise nd._Bad("wrong_type", "a text selection is an object with tokenIds, groupId, page", p, s)
        for key in ("tokenIds", "groupId", "page"):
            if key not in s:
                raise nd._Bad("missing_field", f"a text selection needs `{key}`", p, s)
        tokens = s["tokenIds"]
        if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) and t for t in tokens):
            raise nd._Bad(
                "wrong_type", "`tokenIds` is a non-empty list of token ids (strings)", f"{p}/tokenIds", tokens
            )
        group = s["groupId"]
        if not isinstance(group, str) or not group:
            raise nd._Bad("wrong_type", "`groupId` is a non-empty string", f"{p}/groupId", group)
        out.append({"tokenIds": list(tokens), "groupId": group, "page": nd._int(s["page"], f"{p}/page")})
    return {"selections": out}


def is_selection(ann: Annotation) -> bool:
    return ann.kind == "entity" and isinstance(ann.geometry, dict)


def selections_out(ann: Annotation) -> list[dict[str, Any]]:
    return [dict(s) for s in ann.geometry["selections"]]


def unit_out(ann: Annotation) -> str | None:
    """The ``unit`` a line carries: as stored, else POINTS for a box on a page (stored boxes are in
    points), else none."""
    given = (ann.extra or {}).get("unit")
    if given is not None:
        return str(given)
    return "POINTS" if ann.kind == "bbox" and ann.page is not None else None
