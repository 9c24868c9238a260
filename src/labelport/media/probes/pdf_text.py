"""A PDF's text layer: the words on each page, grouped into runs of a line, with ids and boxes.

Text-selection labels on documents (Labelbox ``textSelections``) name tokens and their group by id,
page by page, so the ids must be fixed when the row is ingested and never change afterwards: they
are stored with the row's metadata and every import is checked against that stored copy.

Layout::

    [{"page": 1, "groups": [{"id": "1-1", "text": "Hello world", "box": [x, y, w, h],
                             "tokens": [{"id": "1-1-1", "text": "Hello", "box": [x, y, w, h]}, ...]},
                            ...]},
     ...]

- ``page`` is 1-based, one entry per page in document order (a page without text has no groups).
- Boxes are PDF points from the top-left of the page as displayed: the crop box, turned by
  ``/Rotate`` (the frame of ``pages[i].width/height`` and of document bounding boxes).
- A token is a word as pdfminer.six (through pdfplumber) extracts it. A group is a run of words on
  one line with no wide gap (a column break starts a new group), in reading order.
- Ids are positional, ``<page>-<group>`` and ``<page>-<group>-<token>``, so they read well in error
  messages and say their page; they are assigned once at ingest.

Numbers are rounded to a thousandth of a point: pdfminer's float arithmetic leaves noise in the
last digits that would otherwise make two probes of one file differ in their text.
"""

from __future__ import annotations

import pathlib
from typing import Any

import pdfplumber

_DIGITS = 3
_GAP = 1.5  # a horizontal gap wider than this many line heights starts a new group (a column)


def extract_text_layer(path: pathlib.Path) -> list[dict[str, Any]]:
    """Every page's groups of tokens. Raises whatever pdfminer raises on a file it cannot read."""
    pages = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            words = page.extract_words(keep_blank_chars=False, use_text_flow=False)
            pages.append({"page": number, "groups": _groups(number, _visible(words, page.cropbox))})
            page.close()  # pdfplumber caches each page's objects; a long document would hold them all
    return pages


def _visible(words: list[dict[str, Any]], crop: tuple[float, float, float, float]) -> list[dict[str, Any]]:
    """Words whose centre is inside the crop box, moved into its frame (pdfplumber measures from
    the media box)."""
    x0, top, x1, bottom = crop
    out = []
    for w in words:
        cx, cy = (w["x0"] + w["x1"]) / 2, (w["top"] + w["bottom"]) / 2
        if x0 <= cx <= x1 and top <= cy <= bottom:
            out.append(
                {
                    "text": w["text"],
                    "x0": w["x0"] - x0,
                    "x1": w["x1"] - x0,
                    "top": w["top"] - top,
                    "bottom": w["bottom"] - top,
                    "upright": w.get("upright", True),
                }
            )
    return out


def _groups(page: int, words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    runs: list[list[dict[str, Any]]] = []
    for w in words:
        last = runs[-1][-1] if runs else None
        if last is not None and _same_run(last, w):
            runs[-1].append(w)
        else:
            runs.append([w])
    groups = []
    for g, run in enumerate(runs, 1):
        gid = f"{page}-{g}"
        tokens = [
            {"id": f"{gid}-{t}", "text": w["text"], "box": _box(w["x0"], w["top"], w["x1"], w["bottom"])}
            for t, w in enumerate(run, 1)
        ]
        box = _box(
            min(w["x0"] for w in run),
            min(w["top"] for w in run),
            max(w["x1"] for w in run),
            max(w["bottom"] for w in run),
        )
        groups.append({"id": gid, "text": " ".join(w["text"] for w in run), "box": box, "tokens": tokens})
    return groups


def _same_run(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """b continues a's line: same orientation, its middle within a's line, and no column-wide gap."""
    if a["upright"] != b["upright"]:
        return False
    if not a["upright"]:  # vertical text: the line runs down the page
        return bool(abs(a["x0"] - b["x0"]) <= (a["x1"] - a["x0"]) / 2 and b["top"] >= a["top"])
    height = max(a["bottom"] - a["top"], 1e-6)
    middle = (b["top"] + b["bottom"]) / 2
    gap = b["x0"] - a["x1"]
    return bool(a["top"] <= middle <= a["bottom"] and -height / 2 <= gap <= _GAP * height)


def _box(x0: float, top: float, x1: float, bottom: float) -> list[float]:
    return [round(x0, _DIGITS), round(top, _DIGITS), round(x1 - x0, _DIGITS), round(bottom - top, _DIGITS)]
