"""The contract between formats and the rest of labelport.

A format module has up to three parts, kept apart as Datumaro keeps them: ``detect`` says whether
a payload looks like this format and why (reasons a person can read); ``read`` streams
:class:`~labelport.model.records.Record` objects and reports what it cannot parse to an issue
sink; ``write`` turns stored labels back into the format. The job driver owns every write to
the database (FiftyOne's importers only yield, and so do ours).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from labelport.model.issues import Issue, Location, Severity, info
from labelport.model.ontology import Ontology
from labelport.model.records import Annotation, Record, RowRef


class IssueSink(Protocol):
    def __call__(self, issue: Issue) -> None: ...


def issue(
    code: str,
    message: str,
    location: Location,
    *,
    value: Any = None,
    hint: str | None = None,
    severity: Severity | None = None,
) -> Issue:
    """Build an issue with its code's default severity; the one way issues are made."""
    return Issue(
        code=code,
        message=message,
        severity=severity or info(code).severity,
        location=location,
        value=value,
        hint=hint,
    )


@dataclass(frozen=True)
class Detection:
    """Whether a payload looks like a format: ``confidence`` 0 (no) to 1 (certain), with reasons."""

    confidence: float
    reasons: list[str]


@dataclass(frozen=True)
class ExportRow:
    """One data row's labels as writers receive them."""

    ref: RowRef  # global key, id, parent_path and filename all filled
    media_type: str
    metadata: dict[str, Any]
    annotations: list[Annotation]
    fields: Any = None  # LabelFields


@dataclass
class ExportSummary:
    rows: int = 0
    annotations: int = 0
    not_expressible: list[Issue] = field(default_factory=list)


@dataclass(frozen=True)
class ExportContext:
    """What a writer may need beyond the rows: formats with a class list (COCO categories, YOLO
    names, CVAT labels) write every class of the ontology, in its order, used or not."""

    project: str
    media_type: str
    ontology: Ontology
    options: Mapping[str, str] = field(default_factory=dict)  # the format's `--option key=value`


class Reader(Protocol):
    """``options`` are the format's own ``--option key=value`` pairs (``FormatSpec.options``)."""

    def __call__(self, payload: Path, sink: IssueSink, options: Mapping[str, str]) -> Iterator[Record]: ...


class Writer(Protocol):
    def __call__(self, rows: Iterable[ExportRow], out: Path, ctx: ExportContext) -> ExportSummary: ...


@dataclass(frozen=True)
class FormatSpec:
    name: str
    title: str
    carries: str  # what the format can carry, for `labelport formats`
    read: Reader | None
    write: Writer | None
    detect: Callable[[Path], Detection]
    media_types: tuple[str, ...] = ("image",)
    # `--option` keys the reader and writer understand, each with a one-line explanation
    options: dict[str, str] = field(default_factory=dict)
    # what a job reads instead of `read`, when the format has it: the same records, with what of
    # their annotations the job only stores already packed (``model.records.Packed``)
    read_packed: Reader | None = None
