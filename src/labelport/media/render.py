"""Pictures of assets that a browser cannot draw by itself: a PDF page as a PNG.

The row viewer shows a PDF's labels over the page they were drawn on. Browsers can show a PDF only
in their own plugin, which cannot be drawn over. So the server renders the page with PDFium, the
same engine that read the text layer at ingest (``probes/pdf_text.py``). The picture therefore
frames the page exactly as the stored boxes and token boxes do: the crop box, turned by
``/Rotate``, from its top-left corner.

Scale. Pages are rendered at ``scale`` pixels per PDF point. The scale is chosen so that the
longer side is at most ``max_side`` pixels and is never above :data:`MAX_SCALE`. A poster-sized
page therefore stays a few megapixels, and a small label is not blown up past print resolution. A
box ``[x, y, w, h]`` in points is at ``[x * scale, y * scale, w * scale, h * scale]`` in the
picture. The caller gets the scale with the PNG so it never has to guess it from the image's size,
which is rounded up to whole pixels.

Threads. PDFium is not thread-safe, not even across different documents, and the server renders
pages and probes new rows on worker threads. Every use of PDFium in labelport therefore holds
:data:`PDFIUM_LOCK`.
"""

from __future__ import annotations

import io
import pathlib
import threading
from dataclasses import dataclass

import pypdfium2 as pdfium

from labelport.model.errors import InvalidInputError, NotFoundError

MAX_SIDE = 2000  # pixels of a rendered page's longer side, at most
MAX_SCALE = 3.0  # pixels per point, at most (216 dpi)
PDFIUM_LOCK = threading.Lock()


@dataclass(frozen=True)
class RenderedPage:
    png: bytes
    scale: float  # pixels per PDF point
    width: int  # pixels
    height: int


def page_scale(width: float, height: float, max_side: int = MAX_SIDE) -> float:
    """Pixels per point for a page of ``width`` x ``height`` points (see the module's docstring)."""
    longest = max(width, height, 1e-6)
    return min(MAX_SCALE, max_side / longest)


def render_pdf_page(path: pathlib.Path, page: int, *, max_side: int = MAX_SIDE) -> RenderedPage:
    """Page ``page`` (1-based) of the PDF at ``path`` as a PNG on white, as it is displayed.

    Raises ``NotFoundError`` (``page_not_found``) for a page the document does not have and
    ``InvalidInputError`` (``asset_unreadable``) for a file PDFium cannot open.
    """
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as exc:
            raise InvalidInputError(
                f"PDFium cannot read {path.name}: {exc}", code="asset_unreadable", hint="open the file itself"
            ) from None
        try:
            count = len(pdf)
            if not 1 <= page <= count:
                raise NotFoundError(
                    f"{path.name} has no page {page}: it has {count} (pages are numbered from 1)",
                    code="page_not_found",
                )
            doc_page = pdf[page - 1]
            try:
                width, height = doc_page.get_size()  # points, as displayed (crop box, /Rotate)
                scale = page_scale(width, height, max_side)
                bitmap = doc_page.render(scale=scale, may_draw_forms=True)
                try:
                    image = bitmap.to_pil()
                finally:
                    bitmap.close()
            finally:
                doc_page.close()
        finally:
            pdf.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return RenderedPage(png=out.getvalue(), scale=scale, width=image.width, height=image.height)
