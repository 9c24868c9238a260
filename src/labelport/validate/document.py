"""Where a label sits in a PDF: a page (1-based), a box in points on it, tokens of its text layer.

The row's probed metadata (``media/probes/pdf.py``) gives ``pages`` (each page's displayed width
and height in points) and ``text_layer`` (per page, groups of tokens with ids). Boxes arrive in the
payload's unit (``extra["unit"]``, see ``formats/ndjson/document.py``) and leave in points, the
stored unit: PIXELS are taken at 72 dpi, so one pixel is one point (a payload does not say at what
resolution its pixels were measured; this is the assumption, stated in ``docs/formats/ndjson.md``),
INCHES are 72 points, PERCENT is of the page's width (x, width) and height (y, height).

Pages are 1-based everywhere (Labelbox's SDK refuses a text selection on page 0; its box samples
that use 0 are not followed): page 0 is refused with that said.
"""

from __future__ import annotations

import threading
from typing import Any

from labelport.model.records import Annotation
from labelport.validate.geometry import Problem, check_image
from labelport.validate.text import foreign_placement

_POINTS_PER = {"POINTS": 1.0, "PIXELS": 1.0, "INCHES": 72.0}
_MAX_TOKENS_NAMED = 5


def check_pdf(ann: Annotation, meta: dict[str, Any]) -> list[Problem]:
    problems = foreign_placement(ann, "pdf")
    if ann.kind == "bbox":
        problems += _box(ann, meta)
    elif ann.kind == "entity" and isinstance(ann.geometry, dict):
        problems += _selections(ann.geometry["selections"], meta)
    elif ann.kind == "entity":
        problems.append(
            (
                "wrong_media_type",
                "a PDF entity is a text selection of tokens (`textSelections`), not a `location`",
                ann.geometry,
            )
        )
    elif ann.page is not None:
        problems.append(
            ("unsupported_annotation", "a PDF classification is global: it takes no `page`", ann.page)
        )
    return problems


def _page(page: Any, meta: dict[str, Any]) -> tuple[Problem | None, dict[str, Any] | None]:
    pages = meta.get("pages")
    if not isinstance(pages, list):
        return (
            "missing_dimensions",
            "the row has no probed pages, so the page cannot be checked",
            None,
        ), None
    if not isinstance(page, int) or not 1 <= page <= len(pages):
        why = " (pages are numbered from 1)" if page == 0 else ""
        msg = f"page {page} is not a page of the document, which has {_pages(len(pages))}{why}"
        return ("page_out_of_range", msg, page), None
    found = pages[page - 1]
    return None, found if isinstance(found, dict) else {}


def _box(ann: Annotation, meta: dict[str, Any]) -> list[Problem]:
    if ann.page is None:
        return [("missing_field", "a PDF box needs `page` (1-based)", None)]
    problem, page = _page(ann.page, meta)
    if page is None:
        return [problem] if problem is not None else []
    w, h = page.get("width"), page.get("height")
    if not isinstance(w, int | float) or not isinstance(h, int | float):
        return [("missing_dimensions", f"page {ann.page} has no probed width and height", None)]
    unit = (ann.extra or {}).get("unit", "POINTS")
    g = list(ann.geometry)
    if unit == "PERCENT":
        g = [g[0] * w / 100, g[1] * h / 100, g[2] * w / 100, g[3] * h / 100]
    else:
        g = [v * _POINTS_PER[unit] for v in g]
    ann.geometry = g
    if ann.extra is not None:
        ann.extra = {k: v for k, v in ann.extra.items() if k != "unit"} or None
    return [
        (code, msg.replace(" image", f" page {ann.page}"), v) for code, msg, v in check_image("bbox", g, w, h)
    ]


def _selections(selections: list[dict[str, Any]], meta: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    layer = meta.get("text_layer")
    for s in selections:
        problem, page = _page(s["page"], meta)
        if page is None:
            problems += [problem] if problem is not None else []
            continue
        if not isinstance(layer, list):
            reason = meta.get("text_layer_error")
            why = f" ({reason})" if reason else ""
            problems.append(("token_not_found", f"the document has no text layer{why}", s["tokenIds"]))
            continue
        groups = _groups_on(layer, s["page"])
        if groups is None:
            msg = f"the row's text layer for page {s['page']} is not pages of groups of tokens with ids"
            problems.append(("token_not_found", msg, s["tokenIds"]))
            continue
        tokens = groups.get(s["groupId"])
        if tokens is None:
            listed = f" (its groups are {_names(list(groups))})" if groups else " (it has no text)"
            problems.append(
                ("token_not_found", f"page {s['page']} has no group {s['groupId']!r}{listed}", s["groupId"])
            )
            continue
        missing = [t for t in s["tokenIds"] if t not in tokens]
        if missing:
            elsewhere = {t: g for g, ts in groups.items() for t in missing if t in ts}
            also = "".join(
                f"; {t!r} is in group {g!r}" for t, g in list(elsewhere.items())[:_MAX_TOKENS_NAMED]
            )
            msg = f"group {s['groupId']!r} on page {s['page']} has no token {_names(missing)}{also}"
            problems.append(("token_not_found", msg, missing))
    return problems


# The last pages looked up: a document's selections come one annotation at a time, and rebuilding a
# page's index for each would cost its whole token list per selection. The layer itself is held so
# its id is not reused while the entry lives.
_INDEX: dict[tuple[int, int], tuple[list[Any], dict[str, set[str]]]] = {}
_INDEX_SIZE = 64
_INDEX_LOCK = threading.Lock()  # jobs may validate in several threads of one process


def _groups_on(layer: list[Any], page: int) -> dict[str, set[str]] | None:
    """Group id -> its token ids on a page, or None when the stored layer is not in the probe's
    layout (a manifest may give its own)."""
    key = (id(layer), page)
    with _INDEX_LOCK:
        hit = _INDEX.get(key)
    if hit is not None and hit[0] is layer:
        return hit[1]
    try:
        entry = layer[page - 1]
        groups = {g["id"]: {t["id"] for t in g["tokens"]} for g in entry["groups"]}
    except (KeyError, TypeError, IndexError):
        return None
    with _INDEX_LOCK:
        if len(_INDEX) >= _INDEX_SIZE:
            _INDEX.pop(next(iter(_INDEX)))
        _INDEX[key] = (layer, groups)
    return groups


def _pages(n: int) -> str:
    return f"{n} page{'s' if n != 1 else ''}"


def _names(ids: list[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:_MAX_TOKENS_NAMED])
    return shown + (f" and {len(ids) - _MAX_TOKENS_NAMED} more" if len(ids) > _MAX_TOKENS_NAMED else "")
