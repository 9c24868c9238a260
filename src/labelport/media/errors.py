"""The one exception the media layer raises on purpose."""

from __future__ import annotations


class ProbeError(Exception):
    """A file cannot be read as the media type it claims.

    ``str(e)`` is a short one-line reason without the path, because the caller already knows which
    file (or which data row) it asked about and decides how to name it. Failing to *open* the file
    at all (missing, permission denied) is not a ProbeError: that ``OSError`` propagates unchanged,
    so an I/O problem is never misreported as bad content.
    """
