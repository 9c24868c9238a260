"""Helpers for the scene, point-cloud, geospatial and AIMMO video import tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from labelport import Workspace
from labelport.model.jobs import JobState
from tests.jobs.test_aimmo_import import write_tree

__all__ = ["aid", "canon", "messages", "refused", "succeeded", "write_tree"]


def aid(n: int) -> str:
    """An AIMMO annotation id (``<number>-<uuid>``)."""
    return f"{n}-abd21cb9-cb89-4cf4-8de6-{n:012d}"


def canon(labels: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Stored labels in a comparable form: builtins, sorted by annotation id."""
    return {k: sorted((msgspec.to_builtins(a) for a in v), key=lambda d: d["uid"]) for k, v in labels.items()}


def messages(ws: Workspace, job_id: int) -> list[str]:
    return [f"{i.code} {i.location} {i.message}" for i in ws.job_issues(job_id)]


def succeeded(ws: Workspace, project: str, payload: Path, fmt: str) -> int:
    job = ws.import_labels(project, payload, format=fmt)
    assert job.state is JobState.SUCCEEDED, messages(ws, job.id)
    return job.id


def refused(ws: Workspace, project: str, payload: Path, fmt: str) -> list[str]:
    """Import a payload that must fail: nothing is stored, no task moves; the error codes."""
    before = canon(ws.labels(project))
    statuses = {t.global_key: t.status for t in ws.tasks(project)}
    job = ws.import_labels(project, payload, format=fmt)
    assert job.state is JobState.FAILED, messages(ws, job.id)
    assert canon(ws.labels(project)) == before
    assert {t.global_key: t.status for t in ws.tasks(project)} == statuses
    return [i.code for i in ws.job_issues(job.id) if i.severity.value == "error"]
