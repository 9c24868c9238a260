"""Labelbox NDJSON: one annotation per line (``../shared/research/labelbox.md``, section 2).

Layout: a single ``.ndjson`` file. Each line is an object with ``dataRow`` (``{"id"}`` or
``{"globalKey"}``, exactly one), ``name`` and/or ``schemaId``, an optional ``uuid``, and one shape:

=================  =====================================  ==================================
payload key        canonical kind                         notes
=================  =====================================  ==================================
``bbox``           bbox ``[left, top, width, height]``    negative sizes normalised (min/max)
``polygon``        polygon (one ring, points as given)    the SDK's closing point is kept
``line``           line
``point``          point
``mask``           mask (COCO RLE)                        ``png``, ``imBytes``+``colorRGB``,
                                                          ``instanceURI``+``colorRGB`` (fetched
                                                          by the job), ``counts``+``size``
``relationship``   relationship                           endpoints are uuids of the payload
``location``       entity ``[start, end + 1)``            NDJSON ``end`` is inclusive
``answer(s)``      radio / checklist / text               ``answers`` is an alias of a list
``textSelections`` entity ``{"selections": [...]}``       PDF token ids by page and group;
                                                          PDF boxes take ``page``+``unit``
                                                          (``document.py``)
=================  =====================================  ==================================

Nested ``classifications`` go to any depth. Ids: a UUID in any textual form, or the AIMMO
``<n>-<uuid>`` form so AIMMO-born annotations survive a trip through NDJSON. Coordinates are never
rounded. What this format cannot carry: cuboids, skeleton keypoints, tracks (``track_id``) but
video objects' (``temporal.py`` reads and writes video and audio lines).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid as uuidlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec
import orjson

from labelport.formats.base import (
    Detection,
    ExportContext,
    ExportRow,
    ExportSummary,
    FormatSpec,
    IssueSink,
    issue,
)
from labelport.formats.common import cannot_carry, to_json
from labelport.formats.ndjson import document, temporal
from labelport.model.issues import Location
from labelport.model.records import (
    Annotation,
    Answer,
    Choice,
    Parts,
    Record,
    RowRef,
    packed_shape,
    set_packed,
)
from labelport.model.stored import json as json_text

SHAPES = ("bbox", "polygon", "line", "point", "mask", "relationship", "location", *document.KEYS)
# a UUID as every SDK spells it, or an AIMMO id (<number>-<uuid>), matched without building a UUID;
# the other spellings `uuid.UUID` accepts ({...}, urn:uuid:, no hyphens) still go through it
_UUID = re.compile(r"^(\d+-)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# what _UUID matches of a 36-character id (there is no room for a prefix), in two thirds of the time
_UUID36 = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_KNOWN = {
    "uuid",
    "dataRow",
    "name",
    "schemaId",
    "classifications",
    "answer",
    "answers",
    "messageId",
    "confidence",
    "customMetrics",
    "isBenchmarkReferenceLabel",
    "page",
    "unit",
    *SHAPES,
    *temporal.KEYS,
}


class _Bad(Exception):
    """A structural fault in one line: reported once, the line is skipped."""

    def __init__(self, code: str, message: str, pointer: str, value: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.pointer, self.value = code, message, pointer, value


def valid_id(value: str) -> bool:
    if _UUID.match(value):
        return True
    try:
        uuidlib.UUID(value)
    except ValueError:
        return False
    return True


def read(payload: Path, sink: IssueSink, options: Mapping[str, str] | None = None) -> Iterator[Record]:
    """One Record per line, except that consecutive plain lines of one data row are one Record
    of several lines (see :class:`_Run`)."""
    return _read(payload, sink, None)


def read_packed(payload: Path, sink: IssueSink, options: Mapping[str, str] | None = None) -> Iterator[Record]:
    """:func:`read` for a job: the plain lines' records come packed (``model.records.Packed``),
    made from the decoded line at once. Packing them after (``model.records.pack``) encoded a
    million geometries and sets of answers the reader had just built as objects from the same
    numbers and names; here a run of plain lines keeps its geometry and answers as the text the
    job stores, and each distinct set of answers is checked and encoded once (:class:`_Answers`).
    Unpacked (``Record.unpack_all``), the records are :func:`read`'s."""
    return _read(payload, sink, _Answers())


def _read(payload: Path, sink: IssueSink, answers: _Answers | None) -> Iterator[Record]:
    name = payload.name
    try:
        fh = payload.open("rb")
    except OSError as exc:
        sink(issue("unreadable_payload", f"cannot open {payload}: {exc.strerror}", Location(file=name)))
        return
    with fh:
        run = _Run(name)
        for lineno, raw in enumerate(fh, 1):
            try:
                plain = _plain_line(_PLAIN.decode(raw), answers)
            except msgspec.DecodeError:  # not the plain shape (or not JSON): the general path says
                plain = None
            if plain is not None:
                done = run.add(plain, lineno)
                if done is not None:
                    yield done
                continue
            done = run.end()  # before anything this line reports: the stream stays in line order
            if done is not None:
                yield done
            if not raw.strip():
                continue
            loc = Location(file=name, line=lineno)
            doc = _decode(raw, loc, sink)
            if doc is None:
                continue
            if not isinstance(doc, dict):
                sink(issue("wrong_type", f"a line is a JSON object, got {type(doc).__name__}", loc))
                continue
            record = _record(doc, loc, sink)
            if record is not None:
                yield record
        done = run.end()
        if done is not None:
            yield done


def _decode(raw: bytes, loc: Location, sink: IssueSink) -> Any:
    try:
        return _ANY.decode(raw)  # not orjson: it reads an integer beyond 64 bits as a float
    except msgspec.DecodeError as exc:
        # Python's json writes NaN and Infinity; read them so the real problem is named.
        try:
            return json.loads(raw)
        except ValueError:
            sink(
                issue("invalid_json", f"invalid JSON: {exc}", loc, value=raw[:200].decode("utf-8", "replace"))
            )
            return None


def _record(doc: dict[str, Any], loc: Location, sink: IssueSink) -> Record | None:
    uid = doc.get("uuid")
    loc.annotation_id = uid if isinstance(uid, str) else None
    try:
        row = _row_ref(doc.get("dataRow"))
        loc.data_row = str(row)
        for key in doc:
            if key not in _KNOWN:
                sink(issue("unknown_field", f"unknown field `{key}` is ignored", _at(loc, f"/{key}")))
        anns = temporal.read_line(doc) if temporal.claims(doc) else [_annotation(doc)]
    except _Bad as bad:
        sink(issue(bad.code, bad.message, _at(loc, bad.pointer), value=bad.value))
        return None
    if uid is not None and (not isinstance(uid, str) or not valid_id(uid)):
        sink(issue("bad_annotation_id", f"`uuid` {uid!r} is not a UUID", _at(loc, "/uuid"), value=uid))
    return Record(row=row, annotations=anns, location=loc)


# --- the plain line ------------------------------------------------------------------------------
# Most lines of a large payload are one box, polygon, line or point of a row named by one key,
# with a UUID and nested answers by name. Such a line is decoded into these types at once (no
# dict per object) and made into the Record the general path would make. Anything else (another
# field, a wrong type, a second shape) fails the decode or `_plain_record`, and the line goes to
# the general path, which reports what is wrong. `tests/formats/test_ndjson_plain.py` holds the
# two paths to the same records over generated lines and edge cases.


class _PRow(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    globalKey: str | None = None
    id: str | None = None


class _PPoint(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    x: int | float
    y: int | float


class _PBox(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    top: int | float
    left: int | float
    height: int | float
    width: int | float


class _PChoice(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    name: str
    classifications: list[_PAnswer] | None = None


class _PAnswer(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    name: str
    answer: _PChoice | list[_PChoice] | str


_NO_ANSWERS = msgspec.Raw(b"null")


class _PLine(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    dataRow: _PRow
    name: str
    uuid: str | None = None
    # left as its text: a payload repeats a few sets of answers, each read once (_Answers)
    classifications: msgspec.Raw = _NO_ANSWERS
    bbox: _PBox | None = None
    polygon: list[_PPoint] | None = None
    line: list[_PPoint] | None = None
    point: _PPoint | None = None


_PLAIN = msgspec.json.Decoder(_PLine)
_PANSWERS = msgspec.json.Decoder(list[_PAnswer] | None)
_ANY = msgspec.json.Decoder()


# A large payload's lines come grouped by data row (every exporter writes them so), and a line's
# own Record, row reference and location cost about as much to make, send to the job and check
# as its annotation. So consecutive plain lines of one row are one Record of several lines, up
# to _RUN_LINES: each annotation carries its ``line``, and validation still reports and counts
# every line on its own (``model.records.Record``).
_RUN_LINES = 1000


# A plain line: its row (id, global key), its Annotation, and when the line is read packed, the
# Annotation's packed parts (model.records.Parts)
_Plain = tuple[str | None, str | None, Annotation, Parts | None]
_NULL = json_text(None)  # the stored text of an annotation's ``extra`` that is None


class _Run:
    """The Record of the plain lines read since the last one that was not plain, or of another row."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.record: Record | None = None
        self.parts: list[Parts] = []  # the record's annotations' packed parts, when read packed
        self.key: tuple[str | None, str | None] = (None, None)

    def add(self, plain: _Plain, lineno: int) -> Record | None:
        """Takes a plain line; returns the Record it ends, if it starts another."""
        rid, gkey, ann, parts = plain
        record = self.record
        if record is not None and (rid, gkey) == self.key and record.lines < _RUN_LINES:
            first = record.annotations[0]
            if first.line is None:
                first.line = record.location.line
            ann.line = lineno
            record.annotations.append(ann)
            record.lines += 1
            if parts is not None:
                self.parts.append(parts)
            return None
        done = self.end()
        row = RowRef(id=rid) if rid is not None else RowRef(global_key=gkey)
        loc = Location(file=self.file, line=lineno, annotation_id=ann.uid, data_row=str(row))
        self.record, self.key = Record(row=row, annotations=[ann], location=loc), (rid, gkey)
        if parts is not None:
            self.parts.append(parts)
        return done

    def end(self) -> Record | None:
        record, self.record = self.record, None
        if record is not None and self.parts:
            set_packed(record, self.parts)
            self.parts = []
        return record


class _Answers:
    """Plain lines' nested answers packed (``model.records.Packed``), once per distinct text:
    most payloads repeat a few sets ("occluded": "no") a million times. Up to :data:`_LIMIT`
    texts of up to :data:`_LONGEST` bytes are kept; free-text answers, all different, are packed
    each time past it."""

    _LIMIT = 4096
    _LONGEST = 1024

    def __init__(self) -> None:
        self.texts: dict[bytes, bytes | None] = {}

    def packed(self, raw: msgspec.Raw) -> bytes | None:
        """The answers' packed text, None for none; raises :class:`_NotPlain` for answers the
        plain path does not take (the general path reads them and says what is wrong)."""
        if raw is _NO_ANSWERS:
            return None
        key = bytes(raw)
        try:
            found = self.texts[key]
        except KeyError:
            nested = _answers_of(raw)
            found = _REFUSED if nested is None else json_text(nested) if nested else None
            if len(self.texts) < self._LIMIT and len(key) <= self._LONGEST:
                self.texts[key] = found
        if found is _REFUSED:
            raise _NotPlain
        return found


class _NotPlain(Exception):
    """A line that looked plain but whose answers are not."""


_REFUSED = b"refused"  # what _Answers keeps for answers that are not plain (never packed text)


def _answers_of(raw: msgspec.Raw) -> list[Answer] | None:
    """A plain line's nested answers as the general path makes them ([] for none); None when
    they are not plain."""
    if raw is _NO_ANSWERS:
        return []
    try:
        given = _PANSWERS.decode(raw)
    except msgspec.DecodeError:
        return None
    return _plain_answers(given, "/classifications") if given else []


def _plain_line(doc: _PLine, answers: _Answers | None) -> _Plain | None:
    """A plain line's row (its id or its global key) and its Annotation, exactly as `_record`
    makes them, and with ``answers`` the Annotation packed; None when the line is not plain
    after all (which the general path will see and report)."""
    uid, name, ref = doc.uuid, doc.name, doc.dataRow
    if not name or (uid is not None and not (_UUID36.fullmatch(uid) if len(uid) == 36 else _UUID.match(uid))):
        return None
    if (ref.id is None) == (ref.globalKey is None) or not (ref.id or ref.globalKey):
        return None
    shapes = (doc.bbox is not None) + (doc.polygon is not None) + (doc.line is not None)
    if shapes + (doc.point is not None) != 1:
        return None
    geometry: Any
    if doc.bbox is not None:
        b = doc.bbox
        left, top, w, h = b.left, b.top, b.width, b.height
        if w < 0:
            left, w = left + w, -w
        if h < 0:
            top, h = top + h, -h
        kind, geometry = "bbox", [left, top, w, h]
    elif doc.polygon is not None:
        kind, geometry = "polygon", [[v for p in doc.polygon for v in (p.x, p.y)]]
    elif doc.line is not None:
        kind, geometry = "line", [v for p in doc.line for v in (p.x, p.y)]
    else:
        assert doc.point is not None
        kind, geometry = "point", [doc.point.x, doc.point.y]
    if answers is None:
        nested = _answers_of(doc.classifications)
        if nested is None:
            return None
        ann = Annotation(
            kind=kind, geometry=geometry, classifications=nested, pointer=_POINTERS[kind], uid=uid, name=name
        )
        return ref.id, ref.globalKey, ann, None
    try:
        text = answers.packed(doc.classifications)
    except _NotPlain:
        return None
    shape, right, bottom = packed_shape(kind, geometry)
    ann = Annotation(kind=kind, pointer=_POINTERS[kind], uid=uid, name=name)
    if shape is None:  # the job tests it whole, and says what is wrong
        ann.geometry = geometry
    return ref.id, ref.globalKey, ann, (_NULL, text, shape, right, bottom)


_POINTERS = {kind: f"/{kind}" for kind in ("bbox", "polygon", "line", "point")}


def _plain_answers(given: list[_PAnswer], pointer: str) -> list[Answer] | None:
    out = []
    for i, a in enumerate(given):
        if not a.name:
            return None
        p = f"{pointer}/{i}"
        ap = f"{p}/answer"
        v = a.answer
        value: Choice | list[Choice] | str
        if type(v) is str:
            value = v
        elif type(v) is list:
            value = []
            for j, c in enumerate(v):
                choice = _plain_choice(c, f"{ap}/{j}")
                if choice is None:
                    return None
                value.append(choice)
        else:
            assert isinstance(v, _PChoice)
            choice = _plain_choice(v, ap)
            if choice is None:
                return None
            value = choice
        out.append(Answer(name=a.name, value=value, pointer=p))
    return out


def _plain_choice(c: _PChoice, pointer: str) -> Choice | None:
    if not c.name:
        return None
    nested = _plain_answers(c.classifications, f"{pointer}/classifications") if c.classifications else []
    if nested is None:
        return None
    return Choice(name=c.name, pointer=pointer, classifications=nested)


def _at(loc: Location, pointer: str) -> Location:
    return Location(
        file=loc.file, line=loc.line, pointer=pointer, annotation_id=loc.annotation_id, data_row=loc.data_row
    )


def _row_ref(value: Any) -> RowRef:
    if value is None:
        raise _Bad("missing_field", "missing `dataRow`", "/dataRow")
    if not isinstance(value, dict):
        raise _Bad("wrong_type", "`dataRow` must be an object with `id` or `globalKey`", "/dataRow", value)
    rid, key = value.get("id"), value.get("globalKey")
    if rid is not None and key is not None:
        raise _Bad(
            "ambiguous_data_row",
            "`dataRow` has both `id` and `globalKey`; give exactly one",
            "/dataRow",
            value,
        )
    if rid is None and key is None:
        raise _Bad("missing_field", "`dataRow` needs `id` or `globalKey`", "/dataRow", value)
    given = rid if rid is not None else key
    if not isinstance(given, str) or not given:
        raise _Bad(
            "wrong_type",
            "a data row id or global key is a non-empty string",
            "/dataRow/id" if rid is not None else "/dataRow/globalKey",
            given,
        )
    return RowRef(id=rid) if rid is not None else RowRef(global_key=key)


def _name(doc: dict[str, Any], pointer: str, required: bool = True) -> tuple[str | None, str | None]:
    name, schema_id = doc.get("name"), doc.get("schemaId")
    if schema_id is None and type(name) is str and name:  # the usual line: settled at once
        return name, None
    for key, v in (("name", name), ("schemaId", schema_id)):
        if v is not None and (not isinstance(v, str) or not v):
            raise _Bad("wrong_type", f"`{key}` must be a non-empty string", f"{pointer}/{key}", v)
    if required and name is None and schema_id is None:
        raise _Bad("missing_field", "needs `name` or `schemaId`", pointer or "/")
    return name, schema_id


def _annotation(doc: dict[str, Any]) -> Annotation:
    name, schema_id = _name(doc, "")
    shapes = [k for k in SHAPES if k in doc]
    has_answer = "answer" in doc or "answers" in doc
    if len(shapes) > 1 or (shapes and has_answer):
        raise _Bad(
            "unsupported_annotation",
            f"a line carries one shape; found {shapes + ['answer'] * has_answer}",
            "/",
        )
    common: dict[str, Any] = {"uid": doc.get("uuid"), "name": name, "schema_id": schema_id}
    msg = doc.get("messageId")
    if msg is not None:
        if not isinstance(msg, str):
            raise _Bad("wrong_type", "`messageId` must be a string", "/messageId", msg)
        common["message_id"] = msg
    page = doc.get("page")
    if page is not None:
        common["page"] = _int(page, "/page")
    if has_answer:
        answer = _answer(doc, "")
        temporal.spread(doc, answer)  # the SDK's video `frames` on the line
        return Annotation(kind=_answer_kind(doc), answer=answer, **common)
    if not shapes:
        raise _Bad(
            "unsupported_annotation",
            "no shape: expected one of bbox, polygon, line, point, mask, relationship, location, answer",
            "/",
        )
    kind = shapes[0]
    nested = _classifications(doc.get("classifications"), "/classifications")
    extra = {"unit": document.unit(doc["unit"], "/unit")} if "unit" in doc else None
    geometry, canon = _geometry(kind, doc[kind], f"/{kind}")
    return Annotation(
        kind=canon, geometry=geometry, classifications=nested, extra=extra, pointer=f"/{kind}", **common
    )


_NUMBER = (int, float)  # exact types: a bool is not a coordinate


def _num(v: Any, pointer: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _Bad("wrong_type", f"a coordinate must be a number, got {v!r}", pointer, v)
    return v


def _int(v: Any, pointer: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _Bad("wrong_type", f"expected an integer, got {v!r}", pointer, v)
    return v


def _xy(p: Any, pointer: str) -> tuple[float, float]:
    """A point's coordinates; the pointers of a fault are built only when there is one."""
    if type(p) is dict:
        x: Any = p.get("x")
        y: Any = p.get("y")
        if type(x) in _NUMBER and type(y) in _NUMBER:
            return x, y
    if not isinstance(p, dict):
        raise _Bad("wrong_type", "a point is an object with `x` and `y`", pointer, p)
    if "x" not in p or "y" not in p:
        raise _Bad("missing_field", "a point needs `x` and `y`", pointer, p)
    return _num(p["x"], f"{pointer}/x"), _num(p["y"], f"{pointer}/y")


def _points(v: Any, pointer: str) -> list[float]:
    if not isinstance(v, list):
        raise _Bad("wrong_type", "expected a list of points", pointer, v)
    flat: list[float] = []
    for i, p in enumerate(v):
        xy: tuple[Any, Any] = (p.get("x"), p.get("y")) if type(p) is dict else (None, None)
        if type(xy[0]) in _NUMBER and type(xy[1]) in _NUMBER:
            flat += xy
        else:  # the checks that say what is wrong, and where
            flat.extend(_xy(p, f"{pointer}/{i}"))
    return flat


def _geometry(kind: str, v: Any, pointer: str) -> tuple[Any, str]:
    if kind == "bbox":
        if not isinstance(v, dict):
            raise _Bad("wrong_type", "`bbox` is an object with top, left, height, width", pointer, v)
        top: Any
        left: Any
        h: Any
        w: Any
        top, left, h, w = v.get("top"), v.get("left"), v.get("height"), v.get("width")
        if not (type(top) in _NUMBER and type(left) in _NUMBER and type(h) in _NUMBER and type(w) in _NUMBER):
            for k in ("top", "left", "height", "width"):  # the checks that say what is wrong
                if k not in v:
                    raise _Bad("missing_field", f"`bbox` needs `{k}`", pointer, v)
            top, left = _num(v["top"], f"{pointer}/top"), _num(v["left"], f"{pointer}/left")
            h, w = _num(v["height"], f"{pointer}/height"), _num(v["width"], f"{pointer}/width")
        if w < 0:
            left, w = left + w, -w
        if h < 0:
            top, h = top + h, -h
        return [left, top, w, h], "bbox"
    if kind == "polygon":
        return [_points(v, pointer)], "polygon"
    if kind == "line":
        return _points(v, pointer), "line"
    if kind == "point":
        return list(_xy(v, pointer)), "point"
    if kind in document.KEYS:
        return document.text_selections(v, pointer), "entity"
    if kind == "location":
        if not isinstance(v, dict) or "start" not in v or "end" not in v:
            raise _Bad("missing_field", "`location` needs `start` and `end`", pointer, v)
        start, end = _int(v["start"], f"{pointer}/start"), _int(v["end"], f"{pointer}/end")
        return [start, end + 1], "entity"
    if kind == "relationship":
        if not isinstance(v, dict):
            raise _Bad("wrong_type", "`relationship` is an object", pointer, v)
        for k in ("source", "target"):
            if not isinstance(v.get(k), str):
                raise _Bad(
                    "missing_field", f"`relationship` needs `{k}` (a uuid)", f"{pointer}/{k}", v.get(k)
                )
        rtype = v.get("type", "unidirectional")
        if rtype not in ("unidirectional", "bidirectional"):
            raise _Bad(
                "wrong_type",
                "relationship `type` is unidirectional or bidirectional",
                f"{pointer}/type",
                rtype,
            )
        return {"source": v["source"], "target": v["target"], "type": rtype}, "relationship"
    return _mask(v, pointer), "mask"


def _color(v: Any, pointer: str) -> tuple[int, int, int]:
    ok = (
        isinstance(v, list)
        and len(v) == 3
        and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in v)
    )
    if not ok:
        raise _Bad("wrong_type", "`colorRGB` is three integers from 0 to 255", pointer, v)
    return v[0], v[1], v[2]


def _mask(v: Any, pointer: str) -> Any:
    from labelport.formats import masks  # where a mask is met: see its docstring

    if not isinstance(v, dict):
        raise _Bad("wrong_type", "`mask` is an object", pointer, v)
    try:
        if "png" in v:
            return masks.encode(masks.from_png(_b64(v["png"], f"{pointer}/png")))
        if "imBytes" in v:
            color = _color(v.get("colorRGB"), f"{pointer}/colorRGB")
            data = _b64(v["imBytes"], f"{pointer}/imBytes")
            if color not in masks.colors_in_png(data):
                raise _Bad(
                    "mask_color_not_found",
                    f"colour {list(color)} appears nowhere in the mask PNG",
                    f"{pointer}/colorRGB",
                    list(color),
                )
            return masks.encode(masks.from_png(data, color))
        if "instanceURI" in v:
            uri = v["instanceURI"]
            if not isinstance(uri, str):
                raise _Bad("wrong_type", "`instanceURI` must be a string", f"{pointer}/instanceURI", uri)
            return {"uri": uri, "color": list(_color(v.get("colorRGB"), f"{pointer}/colorRGB"))}
        if "counts" in v and "size" in v:
            if isinstance(v["counts"], list):
                return masks.from_uncompressed(v["counts"], v["size"])
            masks.decode(v)  # checks it
            return {"size": list(v["size"]), "counts": v["counts"]}
    except masks.MaskError as exc:
        raise _Bad("mask_invalid", f"mask cannot be decoded: {exc}", pointer) from None
    raise _Bad(
        "missing_field",
        "`mask` needs png, imBytes+colorRGB, instanceURI+colorRGB or counts+size",
        pointer,
        sorted(v),
    )


def _b64(v: Any, pointer: str) -> bytes:
    if not isinstance(v, str):
        raise _Bad("wrong_type", "expected base64 text", pointer)
    try:
        return base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError):
        raise _Bad("mask_invalid", "not valid base64", pointer) from None


def _answer_kind(doc: dict[str, Any]) -> str:
    if "answers" in doc:
        return "checklist"
    a = doc["answer"]
    return "checklist" if isinstance(a, list) else "text" if isinstance(a, str) else "radio"


def _choice(v: Any, pointer: str) -> Choice:
    if not isinstance(v, dict):
        raise _Bad("wrong_type", "an answer is an object with `name` or `schemaId`", pointer, v)
    if temporal.is_text_item(v):
        return temporal.text_choice(v, pointer)
    name, schema_id = _name(v, pointer)
    return Choice(
        name=name,
        schema_id=schema_id,
        pointer=pointer,
        classifications=_classifications(v.get("classifications"), f"{pointer}/classifications"),
        frames=temporal.frames(v, pointer),
    )


def _answer(doc: dict[str, Any], pointer: str) -> Answer:
    name, schema_id = _name(doc, pointer)
    key = "answers" if "answers" in doc else "answer"
    a = doc[key]
    ap = f"{pointer}/{key}"
    value: Choice | list[Choice] | str
    if isinstance(a, str):
        value = a
    elif isinstance(a, list):
        value = [_choice(c, f"{ap}/{i}") for i, c in enumerate(a)]
    elif isinstance(a, dict):
        value = _choice(a, ap)
    else:
        raise _Bad("answer_type_mismatch", f"`{key}` must be an object, a list or a string", ap, a)
    return Answer(name=name, schema_id=schema_id, value=value, pointer=pointer or "/")


def _classifications(v: Any, pointer: str) -> list[Answer]:
    if v is None:
        return []
    if not isinstance(v, list):
        raise _Bad("wrong_type", "`classifications` must be a list", pointer, v)
    out = []
    for i, c in enumerate(v):
        p = f"{pointer}/{i}"
        if not isinstance(c, dict):
            raise _Bad("wrong_type", "a classification is an object", p, c)
        if "answer" not in c and "answers" not in c:
            raise _Bad("missing_field", "a classification needs `answer`", p)
        out.append(_answer(c, p))
    return out


# --- writing ------------------------------------------------------------------------------------


def _answer_out(a: Answer) -> dict[str, Any]:
    d: dict[str, Any] = {"name": a.name} if a.name is not None else {"schemaId": a.schema_id}
    v = a.value
    if isinstance(v, str):
        d["answer"] = v
    elif isinstance(v, list):
        d["answer"] = [_choice_out(c) for c in v]
    elif v is not None:
        d["answer"] = _choice_out(v)
    return d


def _choice_out(c: Choice) -> dict[str, Any]:
    if c.text is not None:
        return temporal.text_choice_out(c)
    d: dict[str, Any] = {"name": c.name} if c.name is not None else {"schemaId": c.schema_id}
    if c.classifications:
        d["classifications"] = [_answer_out(x) for x in c.classifications]
    if c.frames is not None:
        d["frames"] = temporal.frames_out(c.frames)
    return d


def annotation_to_line(ann: Annotation, data_row: dict[str, str]) -> dict[str, Any] | None:
    """One canonical annotation as an NDJSON object, or None when NDJSON cannot carry it."""
    d: dict[str, Any] = {"uuid": ann.uid, "dataRow": data_row}
    d.update({"name": ann.name} if ann.name is not None else {"schemaId": ann.schema_id})
    if ann.message_id is not None:
        d["messageId"] = ann.message_id
    if ann.page is not None:
        d["page"] = ann.page
    unit = document.unit_out(ann)
    if unit is not None:
        d["unit"] = unit
    if ann.answer is not None:
        d.update({k: v for k, v in _answer_out(ann.answer).items() if k not in ("name", "schemaId")})
        return d
    g = ann.geometry
    d["classifications"] = [_answer_out(a) for a in ann.classifications]
    if ann.kind == "bbox" and (len(g) == 4 or not g[4] % 360):
        d["bbox"] = {"top": g[1], "left": g[0], "height": g[3], "width": g[2]}
    elif ann.kind == "polygon" and len(g) == 1:
        d["polygon"] = [{"x": g[0][i], "y": g[0][i + 1]} for i in range(0, len(g[0]), 2)]
    elif ann.kind == "line":
        d["line"] = [{"x": g[i], "y": g[i + 1]} for i in range(0, len(g), 2)]
    elif ann.kind == "point":
        d["point"] = {"x": g[0], "y": g[1]}
    elif ann.kind == "mask" and "counts" in g:
        from labelport.formats import masks  # where a mask is met: see its docstring

        d["mask"] = {"png": base64.b64encode(masks.to_png(masks.decode(g))).decode()}
    elif ann.kind == "relationship":
        d["relationship"] = dict(g)
    elif document.is_selection(ann):
        d["textSelections"] = document.selections_out(ann)
    elif ann.kind == "entity":
        d["location"] = {"start": g[0], "end": g[1] - 1}
    else:
        return None
    return d


def _not_carried(ann: Annotation, line: dict[str, Any] | None) -> str:
    """What of an annotation an NDJSON line loses: all of it (None line), or some of its fields."""
    if line is None:
        rotated = ann.kind == "bbox" and len(ann.geometry) == 5
        return f"a {'rotated box' if rotated else ann.kind}"
    lost = []
    if ann.track_id is not None:
        lost.append("a track id")
    kept = (ann.extra or {}).get("attributes")
    if kept:
        lost.append(f"the format attributes {', '.join(kept)}")
    return f"the {ann.kind}'s " + " and ".join(lost) if lost else ""


def write(rows: Iterable[ExportRow], out: Path, ctx: ExportContext) -> ExportSummary:
    summary = ExportSummary()
    with out.open("wb") as fh:
        for row in rows:
            summary.rows += 1
            ref = {"globalKey": row.ref.global_key or ""}
            rest = row.annotations
            if row.media_type == "video":
                rest = temporal.write_video(row, ref, fh, summary)
            for ann in rest:
                line = annotation_to_line(ann, ref)
                lost = _not_carried(ann, line)
                if lost:
                    summary.not_expressible.append(cannot_carry("NDJSON", lost, row, ann))
                if line is None:
                    continue
                fh.write(to_json(line) + b"\n")
                summary.annotations += 1
    return summary


def detect(payload: Path) -> Detection:
    if payload.is_dir():
        return Detection(0.0, ["a folder, not an NDJSON file"])
    try:
        with payload.open("rb") as fh:
            head = [ln for ln in (fh.readline() for _ in range(5)) if ln.strip()]
    except OSError as exc:
        return Detection(0.0, [f"cannot read: {exc.strerror}"])
    if not head:
        return Detection(0.0, ["the file is empty"])
    try:
        docs = [orjson.loads(ln) for ln in head]
    except orjson.JSONDecodeError:
        return Detection(0.0, ["the first lines are not one JSON object each"])
    hits = sum(isinstance(d, dict) and "dataRow" in d for d in docs)
    if hits == len(docs):
        conf = 1.0 if payload.suffix.lower() == ".ndjson" else 0.9
        return Detection(conf, [f"{hits} of the first {len(docs)} lines are objects with `dataRow`"])
    return Detection(0.0, [f"only {hits} of the first {len(docs)} lines have `dataRow`"])


SPEC = FormatSpec(
    name="ndjson",
    title="Labelbox NDJSON",
    carries="bbox, polygon, line, point, masks (4 encodings), relationships, text entities, "
    "conversation messages, PDF pages and text selections, video tracks (keyframed segments) and "
    "per-frame masks, answers over video frames or audio milliseconds, radio/checklist/text at any depth",
    read=read,
    read_packed=read_packed,
    write=write,
    detect=detect,
    media_types=("image", "text", "conversation", "html", "pdf", "geospatial", "video", "audio"),
)
