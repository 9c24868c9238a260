"""Shared ground for the video and audio import tests: a project over one real generated asset,
imports that must succeed, and stored labels in a comparable form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from labelport import Workspace
from labelport.model.jobs import JobState


def one_row_project(
    ws: Workspace, tmp_path: Path, asset: Path, key: str, ontology: dict[str, Any], media_type: str, name: str
) -> Workspace:
    """Dataset `d` with the asset as row ``key`` (probed for real), ontology `o`, project ``name``."""
    manifest = tmp_path / "rows.json"
    manifest.write_text(json.dumps([{"uri": str(asset), "global_key": key}]), encoding="utf-8")
    ws.create_dataset("d")
    ws.add_manifest("d", manifest)
    ws.create_ontology("o", ontology)
    add_project(ws, name, media_type)
    return ws


def add_project(ws: Workspace, name: str, media_type: str) -> None:
    """Another project over the same rows and ontology (where a round trip is imported again)."""
    ws.create_project(name, ontology="o", media_type=media_type)
    ws.create_batch(name, "b", dataset="d")


def issues(ws: Workspace, job_id: int) -> list[str]:
    return [f"{i.code} {i.location} {i.message}" for i in ws.job_issues(job_id)]


def imported(ws: Workspace, project: str, path: Path) -> Any:
    job = ws.import_labels(project, path, format="ndjson")
    assert job.state is JobState.SUCCEEDED, issues(ws, job.id)
    return job


def canon(labels: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {k: sorted((msgspec.to_builtins(a) for a in v), key=lambda d: d["uid"]) for k, v in labels.items()}


def refusals(ws: Workspace, project: str, cases: dict[str, tuple[Path, str]]) -> dict[str, list[str]]:
    """Import each broken payload; each must fail and change nothing. Returns the cases whose
    expected code was not among the job's issues, with what was reported instead."""
    missed = {}
    for case, (payload, code) in cases.items():
        job = ws.import_labels(project, payload, format="ndjson")
        assert job.state is JobState.FAILED, case
        assert ws.labels(project) == {}, f"{case}: a refused job must change nothing"
        if code not in [i.code for i in ws.job_issues(job.id)]:
            missed[case] = issues(ws, job.id)
    return missed
