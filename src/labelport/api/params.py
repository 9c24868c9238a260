"""Parameter types shared by the routes, bounded so a request can never overflow a column."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_INT = 2_147_483_647  # PostgreSQL's integer, the type of every id column

Id = Annotated[int, Path(ge=1, le=MAX_INT)]
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]
