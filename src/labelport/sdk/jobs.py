"""A job running on the server, as `Client.import_labels` returns it: ``.wait()`` follows it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from labelport.model.errors import LabelportError
from labelport.model.jobs import ImportJob

if TYPE_CHECKING:
    from labelport.sdk.client import Client

ProgressFn = Callable[[str, int, int | None], None]


class JobHandle:
    """An import job on the server. Reading an attribute of the job (``state``, ``counts``…) reads
    the last state fetched; ``wait()`` follows the job to its end and returns the `ImportJob`,
    exactly what the embedded ``Workspace.import_labels`` returns."""

    def __init__(self, client: Client, job: ImportJob) -> None:
        self.client = client
        self.id = job.id
        self.job = job

    def __getattr__(self, name: str) -> Any:
        return getattr(self.job, name)

    def __repr__(self) -> str:
        return f"<JobHandle {self.id} {self.job.state.value}>"

    def refresh(self) -> ImportJob:
        self.job = self.client.job(self.id)
        return self.job

    def cancel(self) -> ImportJob:
        self.job = self.client.cancel_job(self.id)
        return self.job

    def wait(
        self,
        *,
        progress: bool | ProgressFn | None = None,
        timeout: float | None = None,
        poll: float = 0.5,
    ) -> ImportJob:
        """Follow the job until it finishes; returns it with every issue (as the workspace does).

        ``progress``: True shows a progress line on stderr, None does so on a terminal only, a
        function is called with (phase, done, total) as the job reports them."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with _reporter(progress) as report:
            delay = min(0.1, poll)
            while True:
                job = self.refresh()
                if report is not None:
                    report(job.state.value, int(job.progress.get("done") or 0), job.progress.get("total"))
                if job.state.finished:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    raise LabelportError(
                        f"job {self.id} is still {job.state.value} after {timeout} s", code="timeout"
                    )
                time.sleep(delay)
                delay = min(delay * 2, poll)
        self.job = self.client.job(self.id, issues=None)
        return self.job


@contextmanager
def _reporter(progress: bool | ProgressFn | None) -> Iterator[ProgressFn | None]:
    if callable(progress):
        yield progress
        return
    if progress is False or (progress is None and not sys.stderr.isatty()):
        yield None
        return
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("queued", total=None)

        def update(phase: str, done: int, total: int | None) -> None:
            bar.update(task, description=phase, completed=done, total=total)

        yield update
