"""How the CLI speaks: one JSON document on stdout with ``--json``, tables for people otherwise.

Exit codes are a contract for scripts: 0 success, 1 the request was refused (bad input, conflict,
a failed import), 2 a usage error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import msgspec
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from labelport.model.errors import LabelportError

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


@dataclass
class State:
    db: str | None = None
    json: bool = False


STATE = State()


def to_json(data: Any) -> bytes:
    return orjson.dumps(msgspec.to_builtins(data), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)


def emit(data: Any, render: Callable[[], None]) -> None:
    if STATE.json:
        sys.stdout.buffer.write(to_json(data) + b"\n")
        sys.stdout.flush()
    else:
        render()


def fail(exc: LabelportError) -> None:
    """Report a refused request in one line (or one JSON document) and exit 1."""
    if STATE.json:
        sys.stdout.buffer.write(to_json({"error": exc.to_dict()}) + b"\n")
    else:
        err.print(
            f"[red]error:[/red] {exc.message}" + (f" [dim]({exc.hint})[/dim]" if exc.hint else ""),
            markup=True,
        )
    raise SystemExit(EXIT_REFUSED)


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    t = Table(title=title, show_lines=False, header_style="bold")
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*["" if v is None else str(v) for v in r])
    out.print(t)


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal; nothing when piped or with ``--json``."""
    if STATE.json or not err.is_terminal:
        yield None
        return
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
