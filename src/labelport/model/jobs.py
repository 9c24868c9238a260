"""Import jobs as the API returns them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from labelport.model.issues import Issue


class JobState(StrEnum):
    QUEUED = "queued"
    PARSING = "parsing"
    VALIDATING = "validating"
    COMMITTING = "committing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class Mode(StrEnum):
    GROUND_TRUTH = "ground-truth"
    PRELABEL = "prelabel"

    @property
    def source(self) -> str:
        """The label source stored for this mode."""
        return "ground_truth" if self is Mode.GROUND_TRUTH else "prelabel"


class OnExisting(StrEnum):
    FAIL = "fail"
    SKIP = "skip"
    REPLACE = "replace"


COUNT_KEYS = (
    "lines",
    "annotations",
    "annotations_imported",
    "annotations_replaced",
    "data_rows",
    "data_rows_done",
    "data_rows_skipped",
    "issues",
    "errors",
    "warnings",
)


class ImportJob(msgspec.Struct, kw_only=True):
    id: int
    project: str
    name: str
    format: str
    mode: Mode
    on_existing: OnExisting
    state: JobState
    dry_run: bool
    payload: str
    payload_sha256: str | None
    counts: dict[str, int]
    progress: dict[str, int | None]
    error: dict[str, Any] | None = None
    duplicate_of: int | None = None
    undone: bool = False
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    undone_at: datetime | None = None
    issues: list[Issue] = msgspec.field(default_factory=list)
    # what became of every input line or file: runs {file, first_line, last_line, outcome}
    lines: list[dict[str, Any]] = msgspec.field(default_factory=list)
    issues_by_code: dict[str, int] = msgspec.field(default_factory=dict)

    def wait(self, **_options: Any) -> ImportJob:
        """The job itself: the embedded workspace returns a job once it has finished. A script
        written for `labelport.Client` (whose ``import_labels(...).wait()`` follows a job on a
        server) thus runs unchanged on a `Workspace`."""
        return self
