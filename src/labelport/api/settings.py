"""The server's settings, read from the environment once when the app is built.

Environment rather than flags: the same variables configure `labelport serve`, a container and a
test's subprocess, and none of them is a secret that would show in a process list.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from labelport.model.errors import InvalidInputError

DEFAULT_MAX_UPLOAD = 5 << 30  # 5 GiB: a payload of tens of millions of annotations
JSON_BODY_LIMIT = 64 << 20  # JSON request bodies (ontologies, key lists) are read whole; uploads stream


@dataclass(frozen=True)
class Settings:
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    # folders on the server whose files `POST /rows` may add; none by default, so a token cannot
    # make the server read arbitrary files of its own
    row_roots: tuple[Path, ...] = field(default_factory=tuple)
    # where uploads and exports are spooled before they go to storage or back to the client
    spool: Path | None = None

    @classmethod
    def from_env(cls) -> Settings:
        raw = os.environ.get("LABELPORT_MAX_UPLOAD_BYTES", "").strip()
        limit = DEFAULT_MAX_UPLOAD
        if raw:
            if not raw.isdigit() or int(raw) <= 0:
                raise InvalidInputError(
                    f"LABELPORT_MAX_UPLOAD_BYTES={raw!r} is not a positive number of bytes",
                    code="invalid_setting",
                )
            limit = int(raw)
        roots = tuple(
            Path(p).expanduser().resolve()
            for p in os.environ.get("LABELPORT_ROW_ROOTS", "").split(os.pathsep)
            if p.strip()
        )
        spool = os.environ.get("LABELPORT_SPOOL", "").strip()
        return cls(max_upload_bytes=limit, row_roots=roots, spool=Path(spool) if spool else None)
