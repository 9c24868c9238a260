"""PDFs: page sizes as displayed, the coordinate frame of document labels, and the text layer."""

from __future__ import annotations

import pathlib
from typing import Any

from pypdf import PdfReader
from pypdf.generic import RectangleObject

from ..errors import ProbeError
from .pdf_text import extract_text_layer

# Viewers accept junk before the header as long as it starts within the first KiB. Checking it
# up front also keeps pypdf from logging recovery warnings about files that are not PDFs at all.
_PDF_MAGIC = b"%PDF-"
_HEADER_WINDOW = 1024


def probe_pdf(path: pathlib.Path) -> dict[str, Any]:
    """Return the page count and each page's displayed size in PDF points.

    A file encrypted only with an owner password (print/copy restrictions) opens in every viewer,
    so it is accepted; one that needs a user password cannot be shown to labelers and is refused.
    pypdf reports a damaged file through many exception types, hence the broad catch.
    """
    with path.open("rb") as stream:
        if _PDF_MAGIC not in stream.read(_HEADER_WINDOW):
            raise ProbeError("not a valid PDF: no %PDF- header")
        stream.seek(0)
        try:
            reader = PdfReader(stream)
            if reader.is_encrypted and not _opens_without_password(reader):
                raise ProbeError("PDF is encrypted")
            pages = [_displayed_size(page.cropbox, page.rotation) for page in reader.pages]
        except ProbeError:
            raise
        except Exception as exc:
            reason = (str(exc) or type(exc).__name__).splitlines()[0]
            raise ProbeError(f"not a valid PDF: {reason}") from None
    if not pages:
        raise ProbeError("not a valid PDF: no pages")
    return {"page_count": len(pages), "pages": pages, **_text_layer(path, len(pages))}


def _text_layer(path: pathlib.Path, page_count: int) -> dict[str, Any]:
    """The text layer, or why there is none. A file pypdf can show but PDFium cannot read is still
    a document people can label with boxes, so it is kept; only its text selections cannot be checked."""
    try:
        layer = extract_text_layer(path)
    except Exception as exc:  # PdfiumError, or a decoding error in a broken font
        reason = (str(exc) or type(exc).__name__).splitlines()[0]
        return {"text_layer": None, "text_layer_error": reason}
    if len(layer) != page_count:
        return {"text_layer": None, "text_layer_error": f"{len(layer)} pages of text for {page_count} pages"}
    return {"text_layer": layer}


def _opens_without_password(reader: PdfReader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # e.g. AES without a crypto backend installed: still not readable
        return False


def _displayed_size(box: RectangleObject, rotate: int) -> dict[str, float]:
    """Size of the visible area (the crop box, which pypdf defaults to the media box).

    /Rotate turns the page when shown, so a quarter turn swaps the sides. pypdf returns the raw
    value, which may be negative or above 360, so it is normalised to quarter turns here.
    """
    width, height = abs(float(box.width)), abs(float(box.height))
    quarter_turns = (int(rotate) // 90) % 4
    if quarter_turns % 2:
        width, height = height, width
    return {"width": width, "height": height}
