"""The validator: every record of a payload checked against a project snapshot, in one pass.

It never stops at the first problem. Each record is checked on its own (row, class, tool, ids,
geometry, answers) and what must be seen across the whole payload (duplicate ids, relationship
endpoints, tracks, required classifications of a row) is kept in small per-row state and checked
in :meth:`Validator.finish`. Accepted annotations come out resolved (feature ids, stored answer
form); problems go to the sink as issues with their location.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from labelport.model.issues import Issue, Location, Severity, info
from labelport.model.names import hint_for
from labelport.model.ontology import Classification, ClassificationType, Tool, ToolKind
from labelport.model.records import (
    CLASSIFICATION_KINDS,
    PLAIN_KINDS,
    Annotation,
    Answer,
    Choice,
    Record,
    RowRef,
    answer_to_json,
    attribute_answer,
    extra_is_read,
    unpack_answers,
)
from labelport.model.snapshot import RowInfo, Snapshot
from labelport.model.stored import EMPTY_LIST, Accepted, accepted, place
from labelport.model.stored import json as _json  # the derived id's body and the stored text alike
from labelport.validate.answers import resolve_answer, resolve_answers
from labelport.validate.geometry import check_image, onto_edges, plainly_inside, to_pixels
from labelport.validate.media import RULES as MEDIA_RULES
from labelport.validate.scene import frame_names, frame_of, frames_of

_C = set(CLASSIFICATION_KINDS) | {"classification"}
MEDIA_KINDS: dict[str, set[str]] = {
    "image": {"bbox", "polygon", "line", "point", "ellipse", "keypoints", "mask", "relationship"} | _C,
    "image_sequence": {"bbox", "polygon", "line", "point", "keypoints", "mask"} | _C,
    "video": {"bbox", "point", "line", "mask"} | _C,
    "text": {"entity", "relationship"} | _C,
    "conversation": {"entity", "relationship"} | _C,
    "html": set(_C),
    "pdf": {"bbox", "entity", "relationship"} | _C,
    "geospatial": {"bbox", "polygon", "line", "point"} | _C,
    "audio": set(_C),
    "point_cloud": {"cuboid"} | _C,
}
TOOLS_FOR_KIND: dict[str, set[ToolKind]] = {
    "bbox": {ToolKind.RECTANGLE},
    "polygon": {ToolKind.POLYGON, ToolKind.POLY_SEG},
    "line": {ToolKind.LINE},
    "point": {ToolKind.POINT},
    "ellipse": {ToolKind.ELLIPSE},
    "keypoints": {ToolKind.SKELETON},
    "mask": {ToolKind.RASTER_SEGMENTATION},
    "cuboid": {ToolKind.CUBOID},
    "entity": {ToolKind.NAMED_ENTITY},
    "relationship": {ToolKind.EDGE},
}
_PIXEL_MEDIA = {"image"}
# a row of these is a folder of frames; a payload names one frame file of it (AIMMO: the scene's
# folder as `parent_path` or its `scene_id`, and the frame as `filename`)
_SCENE_MEDIA = {"image_sequence", "point_cloud"}
_UID_NS = uuid.UUID("6f1c1f7e-8d8a-4bb0-9e0c-6c1a5d0b7a11")
# the hash state after the namespace, copied for each id: 0.81 us an id against 0.94 us hashing the
# namespace with each body (in one process, 100,000 bodies of a COCO box)
_UID_NS_HASH = hashlib.sha1(_UID_NS.bytes)
_UID_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


@dataclass
class RowPlan:
    row: RowInfo
    outcome: str  # create | replace | skip | rejected
    last_workers: dict[str, str | None] | None = None
    last_modifier: str | None = None
    tags: list[str] | None = None
    top_level: set[str] = field(default_factory=set)  # top-level classifications answered (per scope)
    answered: set[str] = field(default_factory=set)  # their names, whatever the scope
    uids: dict[str, int | None] = field(default_factory=dict)  # uid -> payload line
    copies: dict[str, int] = field(default_factory=dict)  # derived uid -> identical shapes seen
    uid_start: bytes = b""  # the row's part of its annotations' derived ids (the fast lane's)
    lane: tuple[float, float] | None = None  # the row's size for the fast lane (Validator._lane)
    # the id of the label the commit makes for a row that has none, taken now: its annotations
    # are owned by it (model.stored); None: they are owned by the row's pk
    new_label: int | None = None
    owner: int = 0


@dataclass
class Counts:
    lines: int = 0
    annotations: int = 0
    accepted: int = 0
    data_rows: int = 0
    errors: int = 0
    warnings: int = 0


class Validator:
    def __init__(
        self,
        snap: Snapshot,
        *,
        on_existing: str,
        class_map: dict[str, str] | None,
        sink: Callable[[Issue], None],
        new_label: Callable[[], int] | None = None,
    ) -> None:
        """``new_label``: takes the id of a label to be made, for a row that has none (the job
        then writes its annotations straight to their table); without it every row's annotations
        are owned by the row."""
        self.snap = snap
        self._new_label = new_label
        self.last_plan: RowPlan | None = None  # of the last record checked
        self.on_existing = on_existing
        self.class_map = class_map or {}
        self._sink = sink
        self.plans: dict[int, RowPlan] = {}
        self.counts = Counts()
        self.last_outcome = "accepted"  # of the last record checked: accepted | rejected | skipped
        # of the last record checked, when it joins several lines and is not rejected whole: the
        # lines whose annotation was refused (a refusal is not always an issue of its line: a row
        # without a size is reported once)
        self.last_rejected_lines: list[int | None] = []
        self._relationships: list[tuple[int, Annotation, Location]] = []
        self._tracks: dict[tuple[int, int | None, str], int | None] = {}
        self._track_class: dict[tuple[int, str], str] = {}
        self._no_dims: set[int] = set()
        self._kept_attributes: set[tuple[str, str]] = set()  # (tool, attribute) warned about
        self._boxed: set[str] = set()  # rectangle classes whose segmentations were kept aside
        self._top_names = [*self.snap.tools, *self.snap.classes]
        # near-miss candidates for unknown rows, taken once: difflib over every key per miss is too slow
        self._key_sample = [r.global_key for r in itertools.islice(self.snap.rows, 5000)]
        self._kinds = MEDIA_KINDS.get(snap.media_type, set())
        # per job, what repeats on every annotation of a class: (is a classification, name,
        # schema id) -> (the name as given after the class map, its node), and node -> feature pk
        self._nodes: dict[tuple[bool, str | None, str | None], tuple[str, Tool | Classification | None]] = {}
        self._pks: dict[int, int] = {}
        # the fast lane (see _plain): per (kind, name, schema id) the tool and its feature pk, or
        # None when the slow path must speak; per (tool, answers) the stored answers, or None
        self._plain_ok = snap.media_type in _PIXEL_MEDIA
        self._scene_media = snap.media_type in _SCENE_MEDIA
        self._plain_nodes: dict[tuple[str, str | None, str | None], tuple[Tool, int, bool, bytes] | None] = {}
        # by tool and answers: their simple parts (_plain_nested), or their text (_plain_packed)
        self._plain_answers: dict[tuple[int, tuple[Any, ...] | bytes], bytes | None] = {}
        self._last: tuple[RowRef, RowInfo] | None = None  # the last row resolved, and its ref
        # the places (file, pointer) of records without lines refused before their annotations
        # were looked at (not found, another size, not in its scene): a record that continues one
        # (Record.continues: a COCO image, met again) comes from the same place and is refused too.
        # Records of lines are never continued, so a payload of unknown rows keeps nothing here
        self._refused: set[tuple[str | None, str | None]] = set()

    # --- reporting -------------------------------------------------------------------------

    def report(
        self, code: str, message: str, loc: Location, value: Any = None, hint: str | None = None
    ) -> None:
        sev = info(code).severity
        if sev is Severity.ERROR:
            self.counts.errors += 1
        elif sev is Severity.WARNING:
            self.counts.warnings += 1
        self._sink(Issue(code=code, message=message, severity=sev, location=loc, value=value, hint=hint))

    def note(self, issue: Issue) -> None:
        """Issues found by a reader pass through here so the counts include them."""
        if issue.severity is Severity.ERROR:
            self.counts.errors += 1
        elif issue.severity is Severity.WARNING:
            self.counts.warnings += 1
        self._sink(issue)

    # --- rows ------------------------------------------------------------------------------

    def resolve_row(self, ref: RowRef, loc: Location) -> RowInfo | None:
        s = self.snap
        row: RowInfo | None = None
        if ref.global_key is not None:
            row = s.by_key.get(ref.global_key)
        elif ref.id is not None:
            row = s.by_uid.get(ref.id)
        elif ref.parent_path is not None and ref.filename is not None and s.media_type in _SCENE_MEDIA:
            return self._scene_row(ref, loc)
        elif ref.parent_path is not None and ref.filename is not None:
            parent = "/" + ref.parent_path.strip("/") if ref.parent_path.strip("/") else "/"
            row = s.by_path.get((parent, ref.filename))
        elif ref.filename is not None:
            rel = _relative(ref.filename)
            index = s.by_relstem if ref.stem else s.by_relpath
            if rel in index and index[rel] is None:
                self.report(
                    "ambiguous_data_row",
                    f"file name {ref.filename!r} matches several data rows",
                    loc,
                    ref.filename,
                    "use the path relative to the dataset root",
                )
                return None
            row = index.get(rel)
            if row is None and rel not in index and "/" in rel and not ref.stem:
                row = self._under_longer_root(rel)
        if row is None:
            if s.exists_elsewhere(ref):
                self.report(
                    "data_row_not_in_project",
                    f"data row {str(ref)!r} is not in this project",
                    loc,
                    str(ref),
                    "send it to the project with `labelport batch create`",
                )
            else:
                self.report(
                    "data_row_not_found",
                    f"no data row {str(ref)!r}",
                    loc,
                    str(ref),
                    hint_for(str(ref), self._key_sample),
                )
            return None
        return row if self._file_id_matches(ref, row, loc) else None

    def _file_id_matches(self, ref: RowRef, row: RowInfo, loc: Location) -> bool:
        if ref.file_id is None or ref.file_id in (row.uid, row.external_id):
            return True
        self.report(
            "file_id_mismatch",
            f"`file_id` {ref.file_id!r} does not match data row {row.global_key!r} (id {row.uid})",
            loc,
            ref.file_id,
        )
        return False

    def _scene_row(self, ref: RowRef, loc: Location) -> RowInfo | None:
        """The scene a frame file belongs to: the row at its ``parent_path`` (the scene's folder), a
        point cloud added as a single file (the frame is the row), or the row its ``scene_id``
        names (id, external id or global key) when the folders differ. A ``scene_id`` given beside
        a folder that found the scene must name the same row."""
        assert ref.parent_path is not None and ref.filename is not None
        s = self.snap
        folder = "/" + ref.parent_path.strip("/")
        head, _, name = folder.rpartition("/")
        row = s.by_path.get((head or "/", name)) if name else None
        if row is None or frames_of(row.metadata) is None:
            row = s.by_path.get((folder.rstrip("/") or "/", ref.filename))
        scene_id = ref.scene_id
        if row is None and scene_id is not None:
            row = s.by_uid.get(scene_id) or s.by_key.get(scene_id)
            if row is None:
                row = next((r for r in s.rows if r.external_id == scene_id), None)
        if row is None:
            what = f"scene {folder!r}" + (f" (scene_id {scene_id!r})" if scene_id is not None else "")
            self.report(
                "data_row_not_found",
                f"no {what} in this project for the frame {ref.filename!r}",
                loc,
                folder,
                hint_for(folder, self._key_sample)
                or "`parent_path` is the scene's folder as ingested (`labelport rows list`)",
            )
            return None
        if scene_id is not None and scene_id not in (row.uid, row.external_id, row.global_key):
            self.report(
                "scene_id_mismatch",
                f"`scene_id` {scene_id!r} does not name the scene {row.global_key!r} (id {row.uid}) "
                f"that `parent_path` {ref.parent_path!r} names",
                loc,
                scene_id,
            )
            return None
        # a cloud added as one file is its own frame and its `file_id` is the row's; in a folder
        # scene `file_id` is the frame file's own id, which labelport does not keep
        if row.filename == ref.filename and not self._file_id_matches(ref, row, loc):
            return None
        return row

    def _place_in_scene(self, row: RowInfo, record: Record) -> bool:
        """Put every annotation of a frame file on its frame: the 1-based position of ``filename``
        in the scene's probed frames. The file name decides; a ``frame_number`` that says otherwise
        (top-level or on an annotation) is warned about once per file, never trusted."""
        assert record.row.filename is not None
        name = record.row.filename
        loc = Location(file=record.location.file, line=record.location.line, data_row=row.global_key)
        frame = frame_of(row.metadata, row.filename, name)
        if frame is None:
            names = frame_names(row.metadata)
            self.report(
                "frame_not_found",
                f"{name!r} is not a frame of the scene {row.global_key!r} ({len(names)} frames)",
                loc,
                name,
                hint_for(name, names),
            )
            return False
        given = (record.fields.extra or {}).get("frame_number") if record.fields is not None else None
        stated = [given, *(a.frame for a in record.annotations)]
        other = next((n for n in stated if n is not None and n != frame), None)
        if other is not None:
            self.report(
                "frame_number_mismatch",
                f"{name!r} is frame {frame} of the scene {row.global_key!r}; the file says "
                f"frame_number {other}. The file name decides",
                loc,
                other,
            )
        for ann in record.annotations:
            ann.frame = frame
        return True

    def _under_longer_root(self, rel: str) -> RowInfo | None:
        """A file that names its image from a higher folder (``images/train/a.png`` for the row
        ``train/a.png``): the row whose whole relative path ends the given one, if exactly one does."""
        parts = rel.split("/")
        for i in range(1, len(parts)):
            tail = "/".join(parts[i:])
            row = self.snap.by_relpath.get(tail)
            full = f"{row.parent_path.strip('/')}/{row.filename}".lstrip("/") if row is not None else ""
            if row is not None and f"/{rel}".endswith(f"/{full}"):
                return row
        return None

    def _plan(self, row: RowInfo, record: Record) -> RowPlan:
        plan = self.plans.get(row.pk)
        if plan is None:
            self.counts.data_rows += 1
            fields = record.fields
            policy = "replace" if fields is not None and fields.overwrite else self.on_existing
            outcome = "create"
            started = row.task_status != "not_started"
            if row.label_id is not None or started:
                loc = Location(file=record.location.file, line=record.location.line, data_row=row.global_key)
                code = "existing_labels" if row.label_id is not None else "task_already_started"
                what = (
                    "already has labels"
                    if row.label_id is not None
                    else f"has a task that is `{row.task_status}`"
                )
                if policy == "fail":
                    outcome = "rejected"
                    self.report(
                        code,
                        f"data row {row.global_key!r} {what}",
                        loc,
                        row.global_key,
                        "use --on-existing skip or replace",
                    )
                elif policy == "skip":
                    outcome = "skip"
                    self.report(
                        "skipped_existing",
                        f"data row {row.global_key!r} {what}; skipped",
                        loc,
                        row.global_key,
                    )
                else:
                    outcome = "replace"
            new = None
            if self._new_label is not None and row.label_id is None and outcome in ("create", "replace"):
                new = self._new_label()
            plan = self.plans[row.pk] = RowPlan(
                row=row,
                outcome=outcome,
                uid_start=_uid_start(row.global_key),
                lane=self._lane(row) if self._plain_ok else None,
                new_label=new,
                owner=row.pk if new is None else new,
            )
        if record.fields is not None:
            f = record.fields
            plan.last_workers = f.last_workers if f.last_workers is not None else plan.last_workers
            plan.last_modifier = f.last_modifier if f.last_modifier is not None else plan.last_modifier
            plan.tags = f.tags if f.tags is not None else plan.tags
        return plan

    # --- records ---------------------------------------------------------------------------

    def check(self, record: Record) -> list[Accepted]:
        # once per record, and a line of NDJSON is a record: locals over attributes throughout
        counts = self.counts
        anns = record.annotations
        if not record.continues:  # its input (a COCO image) was counted with the first record
            counts.lines += record.lines
        counts.annotations += len(anns)
        errors = counts.errors
        self.last_outcome = "rejected"
        self.last_plan = None
        if self.last_rejected_lines:
            self.last_rejected_lines = []
        ref = record.row
        if record.continues and (record.location.file, record.location.pointer) in self._refused:
            return []  # said with the record it continues
        # lines of one row come together: resolved once (a miss is never kept, so each miss is
        # reported where it is)
        last = self._last
        if last is not None and ref == last[0]:
            row = last[1]
        else:
            found = self.resolve_row(ref, record.location)
            if found is None:
                if record.lines > 1:
                    self._each_line_unresolved(record)
                self._refuse(record)
                return []
            row = found
            self._last = ref, row
        if (record.image_size is not None and not self._same_size(row, record)) or (
            self._scene_media
            and ref.parent_path is not None
            and ref.filename is not None
            and not self._place_in_scene(row, record)
        ):
            self._refuse(record)
            return []
        plan = self.plans.get(row.pk)
        if plan is None or record.fields is not None:
            plan = self._plan(row, record)
        self.last_plan = plan
        outcome = plan.outcome
        if outcome == "skip":
            self.last_outcome = "skipped"
            return []
        out = []
        lane = plan.lane if outcome != "rejected" else None
        line = record.location.line
        packed = record.packed
        if packed is not None and len(packed.extras) != len(anns):
            # the packed parts follow the annotations by position: whatever took one out had to
            # unpack first (Record.unpack_all), or each after it would take its neighbour's
            raise RuntimeError("a packed record's annotations changed without unpacking it")
        shapes = None if packed is None else packed.shapes
        for k, ann in enumerate(anns):
            at = line if ann.line is None else ann.line
            if lane is None:
                acc = None
            elif packed is None:
                acc = self._plain(ann, plan, at, lane, None, None, None)
            elif shapes is None or (shape := shapes[k]) is None:
                acc = self._plain(ann, plan, at, lane, packed.extras[k], packed.answers[k], None)
            else:
                assert packed.right is not None and packed.bottom is not None
                reach = packed.right[k], packed.bottom[k]
                acc = self._plain(ann, plan, at, lane, packed.extras[k], packed.answers[k], shape, reach)
            if acc is None:
                record.unpack(k)  # what the full path reads, as the payload gave it
                before = counts.errors
                acc = self._annotation(ann, row, plan, record.location)
                if counts.errors > before and record.lines > 1:
                    self.last_rejected_lines.append(at)
            if acc is not None and outcome != "rejected":
                out.append(acc)
        counts.accepted += len(out)
        # a record of several lines is rejected whole only with its row; an annotation's error
        # rejects its own line (the job's line log takes it from the issue's location)
        if outcome != "rejected" and (counts.errors == errors or record.lines > 1):
            self.last_outcome = "accepted"
        return out

    def _refuse(self, record: Record) -> None:
        loc = record.location
        if loc.line is None and loc.pointer is not None:
            self._refused.add((loc.file, loc.pointer))

    def _each_line_unresolved(self, record: Record) -> None:
        """A record of several lines whose row is not found: every line after the first is
        reported where it is, as when each line was a record of its own."""
        loc = record.location
        for ann in record.annotations[1:]:
            at = Location(file=loc.file, line=ann.line, annotation_id=ann.uid, data_row=loc.data_row)
            self.resolve_row(record.row, at)

    @staticmethod
    def _lane(row: RowInfo) -> tuple[float, float] | None:
        """What the fast lane needs of a row, once per row: its size; None when it has no
        numeric size (the full path says so)."""
        meta = row.metadata
        w, h = meta.get("width"), meta.get("height")
        if not (type(w) in (int, float) and type(h) in (int, float)):
            return None
        assert w is not None and h is not None
        return w, h

    def _plain(
        self,
        ann: Annotation,
        plan: RowPlan,
        line: int | None,
        lane: tuple[float, float],
        extra: bytes | None,
        answers: bytes | None,
        shape: bytes | None,
        reach: tuple[int | float, int | float] = (0, 0),
    ) -> Accepted | None:
        """The fast lane for what most payloads are made of: a box, polygon, line or point of an
        image, of a known class, inside the image, with simple nested answers. It makes the same
        decisions as :meth:`_annotation` but builds nothing it does not store (no location, no
        issue), so it only ever accepts: at the first doubt it returns None, having changed
        nothing, and the full path checks the annotation again and says what is wrong. A test
        holds the two paths to the same answers over generated and hand-picked edge cases.

        From a reader process (``model.records.Packed``), ``extra`` comes as the text it is
        stored as, and the nested ``answers`` as text too; an ``extra`` that validation reads
        was not packed, so it is still on the annotation and taken as in one process. A packed
        ``shape`` is the geometry's stored text, tested there but for the image's size: what
        is left is to compare its ``reach`` with the row's."""
        if ann.track_id is not None or ann.frame is not None:
            return None
        if extra is None:
            given = ann.extra
            if extra_is_read(given):
                return None
            extra = _json(given)
        kind = ann.kind
        key = (kind, ann.name, ann.schema_id)
        try:
            hit = self._plain_nodes[key]
        except KeyError:
            hit = self._plain_nodes[key] = self._plain_node(*key)
        if hit is None:
            return None
        tool, feature_pk, requires, uid_class = hit
        if ann.box is not None and tool.kind is ToolKind.RECTANGLE:
            return None  # a segmentation on a rectangle class: taken as its box, and said so
        units = ann.units
        if shape is None:
            w, h = lane
            g = ann.geometry
            if units is not None:
                g = to_pixels(kind, g, w, h, units)
                if onto_edges(kind, g, w, h)[1]:
                    return None  # moved onto an edge: the full path warns
            try:
                if not plainly_inside(kind, g, w, h):
                    return None
            except (TypeError, ValueError, IndexError):
                return None
            geometry = _json(g)  # the stored text, and the derived id's body
        else:
            if not (reach[0] <= lane[0] and reach[1] <= lane[1]):
                return None
            geometry = shape
        stored = EMPTY_LIST
        if answers is not None or ann.classifications or requires:
            nested = (
                self._plain_nested(ann.classifications, tool)
                if answers is None
                else self._plain_packed(answers, tool)
            )
            if nested is None:
                return None
            stored = nested
        uid = ann.uid
        page, message, frame_end = ann.page, ann.message_id, ann.frame_end
        if not uid:  # none given, or empty: derived, as the full path derives it
            end = _UID_END if page is None and message is None else _uid_end(None, page, message)
            uid = _uid_of(plan.uid_start + uid_class + geometry + end)
        uids = plan.uids
        if uid in uids:
            return None  # a repeated id, or an identical shape: the full path names them
        uids[uid] = line
        if units is not None:
            ann.geometry, ann.units = g, None
        where = place(None, frame_end, page, message, None)
        return Accepted(plan.owner, uid, feature_pk, kind, geometry, stored, extra, where)

    def _plain_node(
        self, kind: str, name: str | None, schema_id: str | None
    ) -> tuple[Tool, int, bool, bytes] | None:
        if kind not in PLAIN_KINDS or kind not in self._kinds:
            return None
        found = self._lookup(False, name, schema_id)[1]
        if not isinstance(found, Tool) or found.kind not in TOOLS_FOR_KIND[kind]:
            return None
        required = any(c.required for c in found.classifications)
        return found, self._feature_pk(found), required, _uid_class(kind, name, schema_id)

    def _plain_nested(self, answers: list[Answer], tool: Tool) -> bytes | None:
        """Nested answers of the common shapes, resolved and encoded once per distinct set and
        tool (the resolver is a pure function of the two); None when they are not simple or not
        valid."""
        key: list[Any] = []
        for a in answers:
            v = a.value
            if type(v) is Choice and not v.classifications and v.frames is None and v.text is None:
                key.append((a.name, a.schema_id, a.loose, v.name, v.schema_id))
            elif type(v) is str:
                key.append((a.name, a.schema_id, a.loose, v))
            else:
                return None
        k = (id(tool), tuple(key))
        if k not in self._plain_answers:
            problems: list[str] = []
            nested = resolve_answers(
                answers, tool.classifications, tool.name, lambda code, *_: problems.append(code)
            )
            ok = nested is not None and not problems
            self._plain_answers[k] = _json([answer_to_json(a) for a in nested or ()]) if ok else None
        return self._plain_answers[k]

    def _plain_packed(self, answers: bytes, tool: Tool) -> bytes | None:
        """:meth:`_plain_nested` of answers packed as text, once per distinct text and tool: the
        text holds all the answers hold, so it is their key as it is."""
        k = (id(tool), answers)
        try:
            return self._plain_answers[k]
        except KeyError:
            found = self._plain_answers[k] = self._plain_nested(unpack_answers(answers), tool)
            return found

    def _same_size(self, row: RowInfo, record: Record) -> bool:
        assert record.image_size is not None
        w, h = row.metadata.get("width"), row.metadata.get("height")
        if w is None or h is None or (w, h) == tuple(record.image_size):
            return True
        pw, ph = record.image_size
        self.report(
            "image_size_mismatch",
            f"the payload says {row.global_key!r} is {pw:g}x{ph:g}; the data row is {w}x{h}",
            Location(file=record.location.file, line=record.location.line, data_row=row.global_key),
            [pw, ph],
            "label the same file, or rescale the payload's coordinates first",
        )
        return False

    def _dims(self, row: RowInfo, loc: Location) -> tuple[float, float] | None:
        """The row's width and height; a row without them is reported once and refuses each shape."""
        w, h = row.metadata.get("width"), row.metadata.get("height")
        if isinstance(w, int | float) and isinstance(h, int | float):
            return w, h
        if row.pk not in self._no_dims:
            self._no_dims.add(row.pk)
            self.report("missing_dimensions", f"data row {row.global_key!r} has no width/height", loc)
        else:
            self.counts.errors += 1  # still refuse this annotation, reported once per row
        return None

    def _annotation(self, ann: Annotation, row: RowInfo, plan: RowPlan, rloc: Location) -> Accepted | None:
        loc = Location(
            file=rloc.file,
            line=ann.line if ann.line is not None else rloc.line,
            pointer=ann.pointer or rloc.pointer,
            annotation_id=ann.uid,
            data_row=row.global_key,
        )
        errors_before = self.counts.errors
        if ann.units is not None:
            dims = self._dims(row, loc)
            if dims is None:
                return None
            ann.geometry, moved = onto_edges(
                ann.kind, to_pixels(ann.kind, ann.geometry, dims[0], dims[1], ann.units), dims[0], dims[1]
            )
            if moved:
                self.report(
                    "rounded_onto_edge",
                    f"the {ann.kind} lay {moved:.2g} px outside the image, within the file's own rounding "
                    "of relative coordinates; it was moved onto the edge",
                    loc,
                    moved,
                )
            if ann.extra is not None and ann.extra.get("bbox_units") == ann.units:
                # a shape's own box beside it (a YOLO pose line's) follows the shape into pixels
                box = to_pixels("bbox", ann.extra["bbox"], dims[0], dims[1], ann.units)
                ann.extra = {k: v for k, v in ann.extra.items() if k != "bbox_units"} | {"bbox": box}
            ann.units = None
        media = self.snap.media_type
        if ann.kind not in self._kinds:
            shapes = ", ".join(sorted(self._kinds - _C))
            takes = f"its shapes are {shapes}" if shapes else "it takes classifications only"
            msg = f"{_a(ann.kind)} cannot be imported into {_a(media)} project: {takes}"
            self.report("wrong_media_type", msg, loc, ann.kind)
            return None
        node = self._feature(ann, loc)
        if node is None:
            if ann.kind not in _C:
                self._geometry(ann, row, loc)  # still say everything that is wrong with it
            return None
        uid = ann.uid or self._derived_uid(row, ann)
        first = plan.uids.get(uid, -1)
        if first != -1 and ann.uid is None:
            # the same shape twice in a format without ids: both are imported, each with its own id
            n = plan.copies[uid] = plan.copies.get(uid, 1) + 1
            self.report(
                "identical_annotations",
                f"this {ann.kind} of `{ann.name or ann.schema_id}` is identical to one earlier on the row",
                loc,
                ann.geometry,
            )
            uid = self._derived_uid(row, ann, n)
        elif first != -1:
            where = f"line {first}" if first is not None else "earlier in the payload"
            self.report(
                "duplicate_annotation_id", f"annotation id {uid!r} is used again (first at {where})", loc, uid
            )
        plan.uids[uid] = loc.line
        stored: Any = None
        if isinstance(node, Tool):
            self._geometry(ann, row, loc)
            scope = f"`{node.name}`"
            if ann.extra is not None and "attributes" in ann.extra:
                self._attributes(ann, node, loc)
            if ann.kind == "keypoints" and node.keypoints:
                self._skeleton(ann, node, loc)
            nested = resolve_answers(ann.classifications, node.classifications, scope, self._reporter(loc))
            stored = [answer_to_json(a) for a in nested] if nested is not None else None
            if ann.kind == "relationship":
                self._relationships.append((row.pk, ann, loc))
            if ann.track_id is not None:
                self._track(row, ann, node.name, loc)
        else:
            if ann.frame is not None and ann.answer is not None and self.snap.media_type == "video":
                self._answer_on_frame(ann, node)
            answer = self._classification(ann, node, loc)
            if self.snap.media_type not in _PIXEL_MEDIA:
                self._media_rule(ann, row, loc)  # a message, page or time range it names
            # a conversation's classifications may be answered once per message (`messageId`), a
            # scene's once per frame
            where = "this row"
            if ann.message_id is not None:
                where = f"message {ann.message_id!r}"
            elif ann.frame is not None:
                where = f"frame {ann.frame}"
            scoped = node.name if where == "this row" else f"{node.name}\x00{where}"
            if scoped in plan.top_level:
                msg = f"`{node.name}` is answered twice for {where}"
                self.report("duplicate_answer", msg, loc, node.name)
            plan.top_level.add(scoped)
            plan.answered.add(node.name)
            stored = answer_to_json(answer) if answer is not None else None
        if self.counts.errors != errors_before:
            return None
        kind = node.type.value if isinstance(node, Classification) else ann.kind
        return accepted(
            plan.owner,
            uid,
            self._feature_pk(node),
            kind,
            ann.geometry,
            stored,
            ann.frame,
            ann.frame_end,
            ann.page,
            ann.message_id,
            ann.track_id,
            ann.extra,
        )

    def _attributes(self, ann: Annotation, tool: Tool, loc: Location) -> None:
        """A foreign format's attributes (``extra["attributes"]``) become answers to the tool's
        classifications of the same names. The rest stay beside the annotation, are stored and
        exported again, with one warning per tool and attribute."""
        assert ann.extra is not None
        given = ann.extra["attributes"]
        if not isinstance(given, dict):  # no reader yields one today: refused, not a crash
            self.report(
                "wrong_type",
                "`attributes` is an object of attribute names and their values",
                loc,
                given,
                'give them as {"name": value, ...}, or leave `attributes` out',
            )
            return
        defined = {c.name for c in tool.classifications}
        kept: dict[str, Any] = {}
        for name, value in given.items():
            if name in defined:
                answer = attribute_answer(name, value, ann.pointer)
                if answer is not None:
                    ann.classifications.append(answer)
                continue
            kept[name] = value
            if (tool.name, name) not in self._kept_attributes:
                self._kept_attributes.add((tool.name, name))
                self.report(
                    "attribute_not_in_ontology",
                    f"`{tool.name}` defines no classification {name!r}; its values are kept as attributes",
                    loc,
                    name,
                    hint_for(name, sorted(defined)),
                )
        extra = {k: v for k, v in ann.extra.items() if k != "attributes"}
        if kept:
            extra["attributes"] = kept
        ann.extra = extra or None

    def _skeleton(self, ann: Annotation, tool: Tool, loc: Location) -> None:
        """Points in the skeleton's order. A format that names its points
        (``extra["keypoint_names"]``: COCO categories, CVAT skeletons) has them put in the ontology's
        order; a different set of names, or a different count, is refused rather than misassigned."""
        g = ann.geometry
        names = (ann.extra or {}).get("keypoint_names")
        want = list(tool.keypoints)
        if names is not None:
            assert ann.extra is not None
            ann.extra = {k: v for k, v in ann.extra.items() if k != "keypoint_names"} or None
            if sorted(names) != sorted(want) or len(set(names)) != len(names):
                self.report(
                    "skeleton_mismatch",
                    f"the payload's points {', '.join(names)} are not the points of `{tool.name}` "
                    f"({', '.join(want)})",
                    loc,
                    names,
                )
                return
            if names != want and isinstance(g, list) and len(g) == 3 * len(names):
                at = {n: i for i, n in enumerate(names)}
                ann.geometry = [v for n in want for v in g[3 * at[n] : 3 * at[n] + 3]]
                return
        if not isinstance(g, list) or len(g) != 3 * len(want):
            self.report(
                "skeleton_mismatch",
                f"`{tool.name}` has {len(want)} points; the annotation gives "
                f"{len(g) / 3 if isinstance(g, list) else 0:g}",
                loc,
                len(g) if isinstance(g, list) else None,
            )

    def _reporter(self, loc: Location) -> Callable[[str, str, str, object, str | None], None]:
        def report(code: str, message: str, pointer: str, value: object, hint: str | None) -> None:
            at = Location(
                file=loc.file,
                line=loc.line,
                pointer=pointer or loc.pointer,
                annotation_id=loc.annotation_id,
                data_row=loc.data_row,
            )
            self.report(code, message, at, value, hint)

        return report

    def _feature_pk(self, node: Tool | Classification) -> int:
        pk = self._pks.get(id(node))
        if pk is None:
            pk = self._pks[id(node)] = self.snap.feature_pk(node)
        return pk

    def _lookup(
        self, is_cls: bool, name: str | None, schema_id: str | None
    ) -> tuple[str, Tool | Classification | None]:
        """The ontology node a class name or feature id names (kinds first, then the other)."""
        s = self.snap
        if schema_id is not None and name is None:
            return schema_id, s.by_feature_id.get(schema_id)
        given = self.class_map.get(name or "", name or "")
        found = s.tools.get(given) if not is_cls else s.classes.get(given)
        if found is None:
            found = s.classes.get(given) if not is_cls else s.tools.get(given)
        return given, found

    def _feature(self, ann: Annotation, loc: Location) -> Tool | Classification | None:
        if ann.kind == "classification" and ann.name is None:
            return self._label_class(ann, loc)
        is_cls = ann.kind in _C
        key = (is_cls, ann.name, ann.schema_id)
        hit = self._nodes.get(key)
        if hit is None:
            hit = self._nodes[key] = self._lookup(*key)
        given, found = hit
        if found is None:
            self.report(
                "unknown_class",
                f"the ontology has no class {given!r}",
                loc,
                given,
                hint_for(given, self._top_names),
            )
            return None
        if is_cls != isinstance(found, Classification):
            what = (
                f"a {found.kind.value} tool"
                if isinstance(found, Tool)
                else f"a {found.type.value} classification"
            )
            self.report("tool_type_mismatch", f"`{found.name}` is {what}; got a {ann.kind}", loc, ann.kind)
            return None
        if (
            isinstance(found, Tool)
            and found.kind is ToolKind.RECTANGLE
            and ann.kind in ("polygon", "mask")
            and ann.box is not None
        ):
            self._box_of_segmentation(ann, found, loc)
        if isinstance(found, Tool) and found.kind not in TOOLS_FOR_KIND.get(ann.kind, set()):
            self.report(
                "tool_type_mismatch",
                f"`{found.name}` is a {found.kind.value} tool; got a {ann.kind}",
                loc,
                ann.kind,
            )
            return None
        return found

    def _box_of_segmentation(self, ann: Annotation, tool: Tool, loc: Location) -> None:
        """A COCO object carries a box and a segmentation; a class drawn with a rectangle takes the
        box, and the segmentation is kept beside it (exported again), said once per class."""
        assert ann.box is not None
        seg = (
            ann.geometry
            if ann.kind == "polygon"
            else {"size": ann.geometry["size"], "counts": ann.geometry["counts"]}
        )
        extra = {k: v for k, v in (ann.extra or {}).items() if k != "bbox"}
        ann.kind, ann.geometry, ann.extra = "bbox", list(ann.box), {**extra, "segmentation": seg}
        if tool.name not in self._boxed:
            self._boxed.add(tool.name)
            self.report(
                "segmentation_kept",
                f"`{tool.name}` is a rectangle tool: the file's boxes are imported and their "
                "segmentations kept beside them",
                loc,
                tool.name,
            )

    def _label_class(self, ann: Annotation, loc: Location) -> Classification | None:
        """An AIMMO file `label` or `classification` entry: the one top-level radio classification
        with that option (an entry's attributes are answers nested under the option)."""
        value = ann.answer.value if ann.answer is not None else None
        choice = value if isinstance(value, Choice) else None
        raw = choice.name if choice is not None else value
        label = self.class_map.get(raw, raw) if isinstance(raw, str) else raw
        owners = [
            c
            for c in self.snap.classes.values()
            if c.type is ClassificationType.RADIO and isinstance(label, str) and c.option(label)
        ]
        if len(owners) != 1:
            options = [o.value for c in self.snap.classes.values() for o in c.options]
            why = "no" if not owners else "more than one"
            self.report(
                "unknown_class",
                f"{why} top-level radio classification has the label {label!r}",
                loc,
                label,
                hint_for(str(label), options),
            )
            return None
        if ann.answer is not None and isinstance(label, str):
            given = msgspec.structs.replace(choice, name=label) if choice is not None else label
            ann.answer = Answer(name=owners[0].name, value=given, loose=True, pointer=ann.answer.pointer)
        return owners[0]

    @staticmethod
    def _answer_on_frame(ann: Annotation, cls: Classification) -> None:
        """A video answer a format scopes to one frame (AIMMO's `classification` entry with its
        `frame_number`) is, canonically, an answer that holds over frames [n, n]."""
        assert ann.frame is not None and ann.answer is not None
        held = [(ann.frame, ann.frame)]
        v = ann.answer.value
        if isinstance(v, str):
            text = cls.type is ClassificationType.TEXT
            ann.answer.value = [Choice(text=v, frames=held)] if text else Choice(name=v, frames=held)
        elif isinstance(v, Choice):
            v.frames = held
        elif isinstance(v, list):
            for c in v:
                c.frames = held
        ann.frame = None

    def _classification(self, ann: Annotation, cls: Classification, loc: Location) -> Answer | None:
        if ann.answer is None:
            self.report("missing_field", f"`{cls.name}` has no answer", loc)
            return None
        return resolve_answer(ann.answer, cls, self._reporter(loc))

    def _geometry(self, ann: Annotation, row: RowInfo, loc: Location) -> None:
        if ann.kind == "relationship":
            return
        if self.snap.media_type not in _PIXEL_MEDIA:
            self._media_rule(ann, row, loc)
            return
        dims = self._dims(row, loc)
        if dims is None:
            return
        w, h = dims
        if ann.kind == "mask":
            self._mask(ann, int(w), int(h), loc)
            return
        for code, message, value in check_image(ann.kind, ann.geometry, w, h):
            self.report(code, message, loc, value)

    def _media_rule(self, ann: Annotation, row: RowInfo, loc: Location) -> None:
        rule = MEDIA_RULES.get(self.snap.media_type)
        if rule is not None:
            for code, message, value in rule(ann, row.metadata):
                self.report(code, message, loc, value)

    def _mask(self, ann: Annotation, w: int, h: int, loc: Location) -> None:
        g = ann.geometry
        if not isinstance(g, dict) or "counts" not in g:
            self.report("mask_invalid", "the mask was not resolved to pixels", loc)
            return
        if list(g["size"]) != [h, w]:
            self.report(
                "mask_invalid",
                f"the mask is {g['size'][1]}x{g['size'][0]}, the image {w}x{h}",
                loc,
                g["size"],
            )
            return
        if isinstance(g["counts"], str) and _empty_rle(g["counts"], h * w):
            self.report("degenerate_geometry", "the mask is empty", loc)

    def _track(self, row: RowInfo, ann: Annotation, cls: str, loc: Location) -> None:
        assert ann.track_id is not None
        key = (row.pk, ann.frame, ann.track_id)
        if key in self._tracks:
            frame = f" in frame {ann.frame}" if ann.frame is not None else ""
            self.report(
                "duplicate_track_id", f"track_id {ann.track_id!r} is used twice{frame}", loc, ann.track_id
            )
        self._tracks[key] = loc.line
        prior = self._track_class.setdefault((row.pk, ann.track_id), cls)
        if prior != cls:
            self.report(
                "track_class_changed",
                f"track {ann.track_id!r} is `{prior}` elsewhere and `{cls}` here",
                loc,
                cls,
            )

    @staticmethod
    def _derived_uid(row: RowInfo, ann: Annotation, occurrence: int = 1) -> str:
        """Annotations without an id (the SDK writes none for some video lines) get one derived from
        their content, so importing the same payload again names them the same: a UUID 5 of the
        compact JSON of ``[global key, kind, name, schema id, geometry, frame, page, message
        id]``, with ``#n`` after it for the n-th identical copy on a row."""
        body = (
            _uid_start(row.global_key)
            + _uid_class(ann.kind, ann.name, ann.schema_id)
            + _json(ann.geometry)
            + _uid_end(ann.frame, ann.page, ann.message_id)
        )
        if occurrence != 1:
            body += b"#%d" % occurrence
        return _uid_of(body)

    # --- after the last record -------------------------------------------------------------

    def finish(self) -> None:
        for row_pk, ann, loc in self._relationships:
            uids = self.plans[row_pk].uids
            for end in ("source", "target"):
                ref = ann.geometry[end]
                if ref not in uids:
                    self.report(
                        "relationship_endpoint_missing",
                        f"the relationship's {end} {ref!r} is not an annotation of this row in the payload",
                        loc,
                        ref,
                    )
        for plan in self.plans.values():
            if plan.outcome != "create":
                continue
            for cls in self.snap.classes.values():
                if cls.required and cls.name not in plan.answered:
                    self.report(
                        "missing_required_classification",
                        f"data row {plan.row.global_key!r} has no answer to the required `{cls.name}`",
                        Location(data_row=plan.row.global_key),
                        cls.name,
                    )


# A derived id's JSON body in three parts, so that the fast lane encodes only the geometry per
# annotation (the row's part once per row, the class's once per job). Compact JSON of a list
# is its items' JSON joined by commas, so the parts joined are the list's JSON exactly.


def _uid_start(global_key: str) -> bytes:
    return b"[" + _json(global_key) + b","


def _uid_class(kind: str, name: str | None, schema_id: str | None) -> bytes:
    return _json([kind, name, schema_id])[1:-1] + b","


def _uid_end(frame: int | None, page: int | None, message_id: str | None) -> bytes:
    return b"," + _json([frame, page, message_id])[1:]


_UID_END = _uid_end(None, None, None)


def _uid_of(body: bytes) -> str:
    # uuid.uuid5 by hand: the same ids, without building two UUID objects per annotation (the
    # version nibble is 5; the variant nibble keeps its two low bits under the RFC 4122 10)
    h = _UID_NS_HASH.copy()
    h.update(body)
    x = h.hexdigest()
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_UID_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


def _a(word: str) -> str:
    """The word with its article, for messages (`an entity`, `an html project`)."""
    return f"{'an' if word[0] in 'aeio' or word == 'html' else 'a'} {word}"


def _relative(path: str) -> str:
    """A file name as formats write it, as a path relative to the dataset root: Windows
    separators and ``./`` segments are spelling, not meaning (``.\\train\\a.png`` is ``train/a.png``)."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


def _empty_rle(counts: str, n: int) -> bool:
    """A compressed RLE with a single run of n zeros (decoding only what a one-run string can hold)."""
    value, shift = 0, 0
    for i, ch in enumerate(counts):
        c = ord(ch) - 48
        value |= (c & 0x1F) << shift
        shift += 5
        if not c & 0x20:
            if c & 0x10:
                value |= -1 << shift
            return i == len(counts) - 1 and value == n
    return False


__all__ = ["Accepted", "Choice", "Counts", "RowPlan", "Validator"]
