"""Shared ground for the document tests (text, HTML, conversation, PDF): an ontology with entity
and box tools, real rows ingested from generated files, the real Labelbox SDK's serializer, and the
export-then-import round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from labelport import Workspace
from labelport.model.jobs import JobState

ONTOLOGY: dict[str, Any] = {
    "tools": [
        {
            "name": "person",
            "tool": "named-entity",
            "classifications": [
                {"name": "confidence", "type": "radio", "options": [{"value": "high"}, {"value": "low"}]}
            ],
        },
        {"name": "place", "tool": "named-entity"},
        {"name": "field", "tool": "rectangle"},
    ],
    "classifications": [
        {"name": "sentiment", "type": "radio", "options": [{"value": "positive"}, {"value": "negative"}]},
        {"name": "topics", "type": "checklist", "options": [{"value": "travel"}, {"value": "food"}]},
        {"name": "summary", "type": "text"},
        {
            "name": "intent",
            "type": "radio",
            "scope": "index",
            "options": [{"value": "greeting"}, {"value": "question"}],
        },
    ],
}


def project(ws: Workspace, tmp_path: Path, media_type: str, rows: dict[str, Path], name: str = "p") -> None:
    """A dataset of ``rows`` (global key -> generated file, probed for real on ingest), the ontology
    above and a project of ``media_type`` with every row in one batch."""
    manifest = tmp_path / "rows.json"
    entries = [{"uri": str(p), "global_key": k, "media_type": media_type} for k, p in rows.items()]
    manifest.write_text(json.dumps(entries), encoding="utf-8")
    ws.create_dataset("d")
    ws.add_manifest("d", manifest)
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project(name, ontology="o", media_type=media_type)
    ws.create_batch(name, "b", dataset="d")


def sdk_lines(*labels: Any) -> list[dict[str, Any]]:
    """What the real Labelbox SDK (7.x) writes for these ``labelbox.types.Label`` objects."""
    from labelbox.data import serialization

    lines = serialization.NDJsonConverter.serialize(list(labels))
    return [msgspec.json.decode(msgspec.json.encode(x)) for x in lines]


def issues_of(ws: Workspace, job_id: int) -> list[str]:
    return [f"{i.code}: {i.message} @ {i.location}" for i in ws.job_issues(job_id)]


def canon(labels: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Stored labels in a comparable form (annotation order is not part of a label)."""
    return {k: sorted((msgspec.to_builtins(a) for a in v), key=lambda d: d["uid"]) for k, v in labels.items()}


def round_trip(ws: Workspace, tmp_path: Path, media_type: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Export project ``p`` as NDJSON, import that file into a fresh project ``p2`` over the same
    rows; return both projects' stored labels."""
    out = tmp_path / "export.ndjson"
    summary = ws.export("p", out, format="ndjson")
    assert summary.not_expressible == [], [i.message for i in summary.not_expressible]
    ws.create_project("p2", ontology="o", media_type=media_type)
    ws.create_batch("p2", "b2", dataset="d")
    job = ws.import_labels("p2", out, format="ndjson")
    assert job.state is JobState.SUCCEEDED, issues_of(ws, job.id)
    return canon(ws.labels("p")), canon(ws.labels("p2"))


def refused(ws: Workspace, tmp_path: Path, lines: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Import ``lines`` into ``p`` expecting the job to fail and change nothing; its (code, message)s."""
    return [(i.code, i.message) for i in ws.job_issues(_failed_job(ws, tmp_path, lines))]


def _failed_job(ws: Workspace, tmp_path: Path, lines: list[dict[str, Any]]) -> int:
    path = tmp_path / "broken.ndjson"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    before = [(t.global_key, t.status) for t in ws.tasks("p")]
    job = ws.import_labels("p", path, format="ndjson")
    assert job.state is JobState.FAILED
    assert ws.labels("p") == {}, "a failed job must change nothing"
    assert [(t.global_key, t.status) for t in ws.tasks("p")] == before
    return job.id


def refused_lines(
    ws: Workspace, tmp_path: Path, good: list[dict[str, Any]], broken: list[tuple[dict[str, Any], str, str]]
) -> None:
    """One payload of ``good`` lines and every ``(line, code, words)`` of ``broken`` after them: the
    job fails, changes nothing, and each broken line, and no other, has exactly its one problem
    (``code``, with ``words`` in the message) at its own line number. Each broken line gets its own
    uuid so they do not collide with each other."""
    lines = list(good)
    expect: dict[int, tuple[str, str]] = {}
    for n, (line, code, words) in enumerate(broken):
        lines.append(line | {"uuid": f"00000000-0000-4000-9000-{n:012d}"})
        expect[len(lines)] = (code, words)
    got: dict[int | None, list[tuple[str, str]]] = {}
    for i in ws.job_issues(_failed_job(ws, tmp_path, lines)):
        got.setdefault(i.location.line, []).append((i.code, i.message))
    assert sorted(got, key=str) == sorted(expect, key=str), got
    for n, (code, words) in expect.items():
        assert [c for c, _ in got[n]] == [code], (n, got[n])
        assert words in got[n][0][1], (n, got[n])
