"""A read-only picture of one project: built by the store once per job, consulted by validation.

Validation never queries the database itself: everything it needs is here, and the one question
the snapshot cannot answer cheaply (does a row the project lacks exist elsewhere in the workspace?)
is a function the job hands in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labelport.model.ontology import Classification, Ontology, Tool
from labelport.model.records import RowRef


@dataclass(slots=True)
class RowInfo:
    pk: int
    uid: str
    global_key: str
    media_type: str
    metadata: dict[str, Any]
    parent_path: str
    filename: str
    external_id: str | None
    task_status: str  # the row's task in this project
    label_id: int | None  # an existing label of the job's source on this row


@dataclass
class Snapshot:
    project_id: int
    media_type: str
    ontology: Ontology
    top_level_pk: dict[str, int]  # feature path of each tool / top-level classification -> features.id
    rows: list[RowInfo]
    exists_elsewhere: Callable[[RowRef], bool] = lambda ref: False
    by_key: dict[str, RowInfo] = field(init=False)
    by_uid: dict[str, RowInfo] = field(init=False)
    by_path: dict[tuple[str, str], RowInfo] = field(init=False)
    by_relpath: dict[str, RowInfo | None] = field(init=False)  # None: ambiguous basename
    _by_relstem: dict[str, RowInfo | None] | None = field(init=False, default=None)
    tools: dict[str, Tool] = field(init=False)
    classes: dict[str, Classification] = field(init=False)
    by_feature_id: dict[str, Tool | Classification] = field(init=False)

    def __post_init__(self) -> None:
        self.by_key = {r.global_key: r for r in self.rows}
        self.by_uid = {r.uid: r for r in self.rows}
        self.by_path = {(r.parent_path, r.filename): r for r in self.rows}
        rel: dict[str, RowInfo | None] = {}
        for r in self.rows:
            full = f"{r.parent_path.strip('/')}/{r.filename}".lstrip("/")
            rel[full] = r
        exact = set(rel)
        for r in self.rows:
            if r.filename in exact:
                continue  # a top-level `a.png` is that row, even when `train/a.png` exists too
            rel[r.filename] = None if r.filename in rel and rel[r.filename] is not r else r
        self.by_relpath = rel
        self.tools = {t.name: t for t in self.ontology.tools}
        self.classes = {c.name: c for c in self.ontology.classifications}
        self.by_feature_id = {n.feature_id: n for n in self.ontology.top_level()}

    @property
    def by_relstem(self) -> dict[str, RowInfo | None]:
        """As ``by_relpath`` with the extension dropped (``train/0001``, ``0001``), built on first use;
        None marks a stem several rows share (``a.jpg`` and ``a.png``)."""
        if self._by_relstem is None:
            out: dict[str, RowInfo | None] = {}
            for key, row in self.by_relpath.items():
                stem = key.rsplit(".", 1)[0] if "." in key.rsplit("/", 1)[-1] else key
                if stem in out and (row is None or out[stem] is not row):
                    out[stem] = None
                else:
                    out[stem] = row
            self._by_relstem = out
        return self._by_relstem

    def feature_pk(self, node: Tool | Classification) -> int:
        prefix = "tool:" if isinstance(node, Tool) else "cls:"
        return self.top_level_pk[prefix + node.name]
