"""Results the server sends whose workspace types live above the model layer.

`ExportSummary` (a format writer's report) and `ClassMapSuggestion` (from the import pipeline) are
defined in layers the SDK may not import; these structs have the same fields and meaning, so code
reading ``summary.rows`` or ``suggestion.class_map`` works with either."""

from __future__ import annotations

import msgspec

from labelport.model.issues import Issue
from labelport.model.jobs import ImportJob
from labelport.model.records import StoredAnnotation


class ExportSummary(msgspec.Struct, kw_only=True):
    rows: int = 0
    annotations: int = 0
    not_expressible: list[Issue] = msgspec.field(default_factory=list)


class ClassMapSuggestion(msgspec.Struct, kw_only=True):
    class_map: dict[str, str] = msgspec.field(default_factory=dict)
    matched: dict[str, int] = msgspec.field(default_factory=dict)
    unmatched: dict[str, int] = msgspec.field(default_factory=dict)
    ambiguous: dict[str, list[str]] = msgspec.field(default_factory=dict)
    counts: dict[str, int] = msgspec.field(default_factory=dict)


class ExportCreated(msgspec.Struct, kw_only=True):
    id: str
    archive: bool
    summary: ExportSummary


class IssuesPage(msgspec.Struct, kw_only=True):
    issues: list[Issue]
    next_offset: int | None
    next_after: str | None = None  # the cursor of the next page (every page costs the same)


class LabelsPage(msgspec.Struct, kw_only=True):
    labels: dict[str, list[StoredAnnotation]]  # as the store gives them: every field written
    next_offset: int | None
    next_after: str | None = None  # the cursor of the next page (every page costs the same)


__all__ = ["ClassMapSuggestion", "ExportCreated", "ExportSummary", "ImportJob", "IssuesPage", "LabelsPage"]
