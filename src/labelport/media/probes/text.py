"""Plain text and HTML: character counts that text-span labels are validated against."""

from __future__ import annotations

import codecs
import functools
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
    counter = _Utf8Counter()
    with path.open("rb") as stream:
        head = stream.read(len(codecs.BOM_UTF8))
        bom = head == codecs.BOM_UTF8
        if bom:
            counter.skip(len(head))
        else:
            counter.feed(head)
        for chunk in iter(functools.partial(stream.read, _CHUNK), b""):
            counter.feed(chunk)
        counter.feed(b"", final=True)
    return counter.length, bom


class _Utf8Counter:
    """Counts characters of UTF-8 fed in pieces; multi-byte sequences may span pieces."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self._fed = 0  # file offset of the next byte, so an error can say where it is
        self.length = 0

    def skip(self, count: int) -> None:
        self._fed += count

    def feed(self, data: bytes, *, final: bool = False) -> None:
        buffered = len(self._decoder.getstate()[0])  # bytes of an unfinished character
        try:
            self.length += len(self._decoder.decode(data, final))
        except UnicodeDecodeError as exc:
            position = self._fed - buffered + exc.start
            raise ProbeError(f"not UTF-8 text: {exc.reason} at byte {position}") from None
        self._fed += len(data)


def probe_text(path: pathlib.Path) -> dict[str, Any]:
    """Plain text must be UTF-8: other encodings would make every span offset ambiguous."""
    length, bom = count_utf8_chars(path)
    return {"length": length, "encoding": "utf-8", "bom": bom}


def probe_html(path: pathlib.Path) -> dict[str, Any]:
    """HTML spans index the source text, so it gets the same strict UTF-8 count as plain text."""
    length, _ = count_utf8_chars(path)
    return {"length": length}
