"""Identifiers we mint: cuid-shaped (``c`` + 24 base-36 digits), the form the seed platform uses,
so ids from a migrated platform and ours look alike and fit the same columns."""

from __future__ import annotations

import secrets

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_uid() -> str:
    n = secrets.randbits(124)
    out = []
    for _ in range(24):
        n, r = divmod(n, 36)
        out.append(_DIGITS[r])
    return "c" + "".join(out)
