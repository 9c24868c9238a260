"""Plain text and HTML: character counts that text-span labels are validated against."""

from __future__ import annotations

import codecs
import pathlib
from typing import Any

from ..errors import ProbeError

# Stream the file so a large text asset is never held in memory as both bytes and str.
_CHUNK = 1 << 20


def count_utf8_chars(path: pathlib.Path) -> tuple[int, bool]:
    """Return (characters, had BOM) of a strictly UTF-8 file.

    Span offsets in labels count Unicode code points of the raw source, so the length is taken
    without newline translation and without the BOM (which no editor shows as a character).
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    length = 0
    offset = 0  # bytes handed to the decoder so far
    with path.open("rb") as stream:
        chunk = stream.read(_CHUNK)
        bom = chunk.startswith(codecs.BOM_UTF8)
        if bom:
            chunk = chunk[len(codecs.BOM_UTF8) :]
            offset = len(codecs.BOM_UTF8)
        while True:
            final = not chunk
            pending = len(decoder.getstate()[0])
            try:
                length += len(decoder.decode(chunk, final=final))
            except UnicodeDecodeError as exc:
                position = offset - pending + exc.start
                raise ProbeError(f"not UTF-8 text: {exc.reason} at byte {position}") from None
            if final:
                return length, bom
            offset += len(chunk)
            chunk = stream.read(_CHUNK)


def probe_text(path: pathlib.Path) -> dict[str, Any]:
    """Plain text must be UTF-8: other encodings would make every span offset ambiguous."""
    length, bom = count_utf8_chars(path)
    return {"length": length, "encoding": "utf-8", "bom": bom}


def probe_html(path: pathlib.Path) -> dict[str, Any]:
    """HTML spans index the source text, so it gets the same strict UTF-8 count as plain text."""
    length, _ = count_utf8_chars(path)
    return {"length": length}
