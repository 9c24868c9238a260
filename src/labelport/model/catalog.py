"""The workspace's objects as the Python API, the CLI's ``--json`` and the REST API return them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from labelport.model.media import MediaType


class TaskStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    IN_REVIEW = "in_review"
    DONE = "done"
    SKIPPED = "skipped"


class Stage(StrEnum):
    """Workflow stages, spelt as the AIMMO seed spells the keys of ``last_workers``."""

    LABELING = "labeling"
    INSPECTION = "inspection"
    FINAL_INSPECTION = "final inspection"


class Dataset(msgspec.Struct, kw_only=True):
    id: int
    name: str
    created_at: datetime
    row_count: int = 0


class DataRow(msgspec.Struct, kw_only=True):
    id: str  # public id (cuid-shaped); a manifest may carry the source platform's id
    global_key: str
    dataset: str
    media_type: MediaType
    uri: str
    parent_path: str
    filename: str
    external_id: str | None = None
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    tags: list[str] = msgspec.field(default_factory=list)


class SkippedFile(msgspec.Struct):
    path: str
    reason: str


class AddRowsResult(msgspec.Struct, kw_only=True):
    dataset: str
    added: int
    unchanged: int
    skipped: list[SkippedFile]


class OntologyInfo(msgspec.Struct, kw_only=True):
    id: int
    name: str
    created_at: datetime
    tool_count: int
    classification_count: int
    spec: dict[str, Any]


class Project(msgspec.Struct, kw_only=True):
    id: int
    name: str
    media_type: MediaType
    ontology: str
    created_at: datetime
    task_counts: dict[str, int] = msgspec.field(default_factory=dict)
    batch_count: int = 0


class Batch(msgspec.Struct, kw_only=True):
    id: int
    project: str
    name: str
    created_at: datetime
    row_count: int
    already_in_project: int = 0


class Task(msgspec.Struct, kw_only=True):
    project: str
    global_key: str
    data_row_id: str
    status: TaskStatus
    stage: Stage
    batch: str | None
    last_workers: dict[str, str | None]
    last_modifier: str | None
    updated_at: datetime
