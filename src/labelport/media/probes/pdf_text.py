"""A PDF's text layer: the words on each page, grouped into runs of a line, with ids and boxes.

Text-selection labels on documents (Labelbox ``textSelections``) name tokens and their group by id,
page by page. The ids must therefore be fixed when the row is ingested and never change afterwards.
They are stored with the row's metadata, and every import is checked against that stored copy.

Layout::

    [{"page": 1, "groups": [{"id": "1-1", "text": "Hello world", "box": [x, y, w, h],
                             "tokens": [{"id": "1-1-1", "text": "Hello", "box": [x, y, w, h]}, ...]},
                            ...]},
     ...]

- **Pages.** ``page`` is 1-based, with one entry per page in document order. A page without text
  has no groups.
- **Boxes.** Boxes are in PDF points from the top-left of the page as displayed: the crop box,
  turned by ``/Rotate``. This is the frame of ``pages[i].width/height`` and of document bounding
  boxes. A token's box is the union of its characters' boxes: each is as wide as the glyph's
  advance and as tall as the font's ascent to descent, so the words of one line line up.
- **Tokens and groups.** A token is a run of non-space characters in content order, as PDFium (the
  PDF engine of Chromium, through pypdfium2) extracts them. A group is a run of words on one line
  with no wide gap, in content order; a column break starts a new group.
- **Ids.** Ids are positional, ``<page>-<group>`` and ``<page>-<group>-<token>``, so they read well
  in error messages and say their page. They are assigned once, at ingest.

Numbers are rounded to a thousandth of a point, which keeps the stored layer small and identical
from one probe of a file to the next. PDFium is used rather than a pure-Python parser for speed:
a 50-page, 30,000-word document takes about a second and a half instead of tens of seconds.
"""

from __future__ import annotations

import pathlib
import unicodedata
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..render import PDFIUM_LOCK

_DIGITS = 3
_GAP = 1.5  # a horizontal gap wider than this many line heights starts a new group (a column)
_SPACES = {"\r", "\n", "\t", "\x00", "\ufffe", "\uffff"}


def extract_text_layer(path: pathlib.Path) -> list[dict[str, Any]]:
    """Every page's groups of tokens. Raises ``pdfium.PdfiumError`` on a file PDFium cannot read.
    Holds ``PDFIUM_LOCK``: PDFium is not thread-safe and the server also renders pages with it."""
    with PDFIUM_LOCK:
        return _extract(path)


def _extract(path: pathlib.Path) -> list[dict[str, Any]]:
    pdf = pdfium.PdfDocument(path)
    try:
        pages = []
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                words = _words(page)
            finally:
                page.close()
            pages.append({"page": index + 1, "groups": _groups(index + 1, words)})
        return pages
    finally:
        pdf.close()


def _words(page: pdfium.PdfPage) -> list[dict[str, Any]]:
    """The page's visible words in content order. Each has ``line``, its box on the unturned page
    (where text runs left to right, which is how words are grouped), and ``box``, as displayed."""
    left, bottom, right, top = page.get_cropbox()
    frame = _Frame(left, bottom, right, top, page.get_rotation())
    textpage = page.get_textpage()
    handle, rect = textpage.raw, pdfium_c.FS_RECTF()
    words: list[dict[str, Any]] = []
    chars: list[str] = []
    box: list[float] = []
    try:
        for k in range(textpage.count_chars()):
            ch = chr(pdfium_c.FPDFText_GetUnicode(handle, k))
            if ch in _SPACES or ch.isspace() or unicodedata.category(ch) == "Cc":
                if chars:
                    words.append(frame.word("".join(chars), box))
                    chars, box = [], []
                continue
            pdfium_c.FPDFText_GetLooseCharBox(handle, k, rect)
            x0, y0, x1, y1 = rect.left - left, top - rect.top, rect.right - left, top - rect.bottom
            box = (
                [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
                if box
                else [x0, y0, x1, y1]
            )
            chars.append(ch)
        if chars:
            words.append(frame.word("".join(chars), box))
    finally:
        textpage.close()
    return [w for w in words if frame.shows(w["line"])]


class _Frame:
    """The crop box from its top-left corner, unturned, and as displayed: ``/Rotate`` turns the
    page clockwise when it is shown."""

    def __init__(self, left: float, bottom: float, right: float, top: float, rotation: int) -> None:
        self.w0, self.h0 = right - left, top - bottom
        self.turns = (rotation // 90) % 4

    def _turn(self, x: float, y: float) -> tuple[float, float]:
        if self.turns == 1:
            return self.h0 - y, x
        if self.turns == 2:
            return self.w0 - x, self.h0 - y
        if self.turns == 3:
            return y, self.w0 - x
        return x, y

    def word(self, text: str, line: list[float]) -> dict[str, Any]:
        ax, ay = self._turn(line[0], line[1])
        bx, by = self._turn(line[2], line[3])
        shown = [min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)]
        return {"text": text, "line": line, "box": shown}

    def shows(self, line: list[float]) -> bool:
        """Whether the word's centre is on the page (text outside the crop box is hidden)."""
        cx, cy = (line[0] + line[2]) / 2, (line[1] + line[3]) / 2
        return bool(0 <= cx <= self.w0 and 0 <= cy <= self.h0)


def _groups(page: int, words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    runs: list[list[dict[str, Any]]] = []
    for w in words:
        if runs and _same_run(runs[-1][-1]["line"], w["line"]):
            runs[-1].append(w)
        else:
            runs.append([w])
    groups = []
    for g, run in enumerate(runs, 1):
        gid = f"{page}-{g}"
        tokens = [
            {"id": f"{gid}-{t}", "text": w["text"], "box": _box(*w["box"])} for t, w in enumerate(run, 1)
        ]
        box = _box(
            min(w["box"][0] for w in run),
            min(w["box"][1] for w in run),
            max(w["box"][2] for w in run),
            max(w["box"][3] for w in run),
        )
        groups.append({"id": gid, "text": " ".join(w["text"] for w in run), "box": box, "tokens": tokens})
    return groups


def _same_run(a: list[float], b: list[float]) -> bool:
    """Word b continues word a's line (boxes ``[x0, top, x1, bottom]`` on the unturned page): its
    middle is within a's line and no column-wide gap lies between them."""
    height = max(a[3] - a[1], 1e-6)
    middle = (b[1] + b[3]) / 2
    gap = b[0] - a[2]
    return bool(a[1] <= middle <= a[3] and -height / 2 <= gap <= _GAP * height)


def _box(x0: float, top: float, x1: float, bottom: float) -> list[float]:
    return [round(x0, _DIGITS), round(top, _DIGITS), round(x1 - x0, _DIGITS), round(bottom - top, _DIGITS)]
