"""What readers yield and writers take: one canonical form for every format.

A reader turns its input into :class:`Record` objects: a reference to a data row (however the
format names it) and the annotations for that row, each with the location it came from. Readers
do not resolve names or rows and never touch the database; validation does that against a
snapshot of the project, so every format gets exactly the same checks.

Canonical geometry (``Annotation.geometry``), in the units of ``../shared/DESIGN.md``::

    bbox       [x, y, w, h]                 pixels from the top-left; x, y the top-left corner
               [x, y, w, h, r]              a rotated box: the box above turned r degrees clockwise
                                            about its centre (CVAT's convention)
    polygon    [[x0, y0, x1, y1, ...], ...]  one flat list per ring (COCO multi-polygons: several)
    line       [x0, y0, x1, y1, ...]
    point      [x, y]
    ellipse    [cx, cy, rx, ry] or [cx, cy, rx, ry, r]   centre, radii; r degrees clockwise
    keypoints  [x0, y0, v0, x1, y1, v1, ...] v = COCO visibility (0 absent, 1 hidden, 2 visible)
    mask       {"size": [h, w], "counts": "<COCO compressed RLE>"}
    cuboid     [cx, cy, cz, length, width, height, yaw]   metres, yaw in radians
    entity     [start, end]                 character offsets, end EXCLUSIVE
    relationship {"source": uid, "target": uid, "type": "unidirectional" | "bidirectional"}

Where an annotation sits in its asset, per media type (one convention each, converted at the
format boundary)::

    video          frame n (1-based: the nth decoded frame, 1..frame_count), pixels of the frame.
                   An object is one Annotation per keyframe: ``frame``, ``track_id`` = the object's
                   id (the payload's, or derived from its content), ``extra["segment"]`` = index of its
                   segment; per-frame masks are mask Annotations with ``frame``. Frame-range answers
                   carry ``Choice.frames`` [(start, end)] inclusive; global ones none.
    image_sequence the row is the scene (a folder of frames); ``frame`` = 1-based position of the
    point_cloud    frame file in the row's probed ``frames`` list; objects persist by ``track_id``
    text, html     entity [start, end) in characters (code points, not bytes)
    conversation   entity [start, end) inside the message ``message_id``; answers may carry it too
    pdf            ``page`` 1-based; boxes in PDF points from the page's top-left; a text selection
                   is an entity whose geometry is ``{"selections": [{"tokenIds", "groupId", "page"}]}``
    audio          answers with ``Choice.frames`` in milliseconds [(start, end)]
    geospatial     x = longitude, y = latitude (EPSG:4326); bbox [min_lng, min_lat, w, h]

Formats that write coordinates relative to the image (YOLO's fractions, Label Studio's percents)
yield them as given with ``Annotation.units`` set; validation converts them with the data row's
real width and height, since only it knows the row. Formats that state the image size they were
drawn on set ``Record.image_size`` and validation refuses the record when the row differs.

Classification answers (``Answer``) keep the shape the payload gave (one choice, a list of
choices, or a string) so validation can say "a list for the radio `weather`" rather than guess.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from labelport.model.issues import Location
from labelport.model.stored import json as json_text

_unjson = msgspec.json.decode

GEOMETRY_KINDS = (
    "bbox",
    "polygon",
    "line",
    "point",
    "ellipse",
    "keypoints",
    "mask",
    "cuboid",
    "entity",
    "relationship",
)
CLASSIFICATION_KINDS = ("radio", "checklist", "text")


class Choice(msgspec.Struct, kw_only=True):
    """One chosen option: by value (``name``) or by feature id, with its nested answers."""

    name: str | None = None
    schema_id: str | None = None
    classifications: list[Answer] = msgspec.field(default_factory=list)
    frames: list[tuple[int, int]] | None = None  # video / audio: where this answer holds
    text: str | None = None  # a temporal text answer: the text that holds over ``frames``
    pointer: str = ""


class Answer(msgspec.Struct, kw_only=True):
    """An answer to a classification, as the payload gave it.

    ``value`` is a :class:`Choice` (radio), a list of them (checklist) or a string (text); a text
    answered over time ranges (video, audio) is a list of choices that carry ``text`` and ``frames``. A
    ``loose`` answer comes from a format that writes options as bare strings (AIMMO attributes):
    a string then names an option when the classification is a radio.
    """

    name: str | None = None
    schema_id: str | None = None
    value: Choice | list[Choice] | str | None = None
    loose: bool = False
    pointer: str = ""


class Annotation(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One annotation as a reader made it. Its defaults are left out when it is encoded: most of
    its eighteen fields are None for most annotations, and the records' trip from a reader
    process to the job (``jobs.reader``) then writes, and the job matches, a third of the keys
    (1M COCO: 263 MB of frames instead of 380). What the store gives back is a
    :class:`StoredAnnotation`, which writes every field, as the API and the SDK always have."""

    kind: str  # GEOMETRY_KINDS, CLASSIFICATION_KINDS, or "classification" (type from the ontology)
    uid: str | None = None  # the annotation's id as the payload gave it
    name: str | None = None  # class name
    schema_id: str | None = None  # or feature id
    geometry: Any = None
    classifications: list[Answer] = msgspec.field(default_factory=list)  # nested under an object
    answer: Answer | None = None  # for classification annotations
    frame: int | None = None
    frame_end: int | None = None
    page: int | None = None
    message_id: str | None = None
    track_id: str | None = None
    # format fields kept for round trips; extra["attributes"]: a foreign format's attributes, typed
    # as the file gave them; validation answers the tool's classifications of the same names from
    # them and keeps the rest here
    extra: dict[str, Any] | None = None
    units: str | None = None  # None: canonical; "fraction" (0..1) or "percent" (0..100) of the row's size
    pointer: str = ""  # JSON pointer of this annotation inside its record's source
    line: int | None = None  # its own line when the record spans several (an XML object's element)
    # the file's own box of a polygon or mask (COCO writes both): what a class whose tool is a
    # rectangle takes, the segmentation then kept in extra["segmentation"]
    box: list[int | float] | None = None


class StoredAnnotation(Annotation, omit_defaults=False):
    """An annotation read back from the store (labels, the API's and the SDK's): every field
    written, null or not, so that a client sees the same keys on every annotation."""


class RowRef(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """How a payload names its data row. Validation resolves it; exactly what was given is kept."""

    id: str | None = None
    global_key: str | None = None
    parent_path: str | None = None  # AIMMO
    filename: str | None = None  # AIMMO, COCO file_name (a relative path or a basename)
    stem: bool = False  # filename has no extension (YOLO label files): match rows by path minus suffix
    file_id: str | None = None  # AIMMO: must match the row when given
    scene_id: str | None = None

    def __str__(self) -> str:
        if self.global_key is not None:
            return self.global_key
        if self.id is not None:
            return self.id
        if self.parent_path is not None and self.filename is not None:
            return f"{self.parent_path.rstrip('/')}/{self.filename}"
        return self.filename or "?"


class LabelFields(msgspec.Struct, kw_only=True):
    """Row-level fields a format carries beside its annotations (AIMMO's envelope)."""

    last_modifier: str | None = None
    last_workers: dict[str, str | None] | None = None
    tags: list[str] | None = None
    overwrite: bool = False
    extra: dict[str, Any] | None = None


class Record(msgspec.Struct, kw_only=True, omit_defaults=True):
    row: RowRef
    annotations: list[Annotation]
    location: Location
    fields: LabelFields | None = None
    # input lines or files this record stands for. Above 1, the record joins consecutive lines
    # of one row (NDJSON): one annotation per line, each with its ``line``, the location the first
    # line's; each line is still reported on its own (a row not found is said once per line)
    lines: int = 1
    image_size: tuple[int | float, int | float] | None = None  # (width, height) as the payload says
    # the annotations packed for the trip from a reader process to the job (``Packed``); None
    # elsewhere, and :meth:`unpack` gives an annotation back what was packed of it
    packed: Packed | None = None
    # more annotations of the place an earlier record came from (a COCO image whose annotations
    # are apart in the file): its row was found and checked with that record, so a record refused
    # there refuses these too, without saying so again
    continues: bool = False

    def unpack(self, k: int) -> None:
        """Annotation ``k`` as it was before packing, for what reads its ``extra`` or answers."""
        p = self.packed
        if p is None:
            return
        ann = self.annotations[k]
        text = p.extras[k]
        if text is not None:  # None: its extra was never packed (see Packed)
            ann.extra = _unjson(text)
        answers = p.answers[k]
        if answers is not None:
            ann.classifications = unpack_answers(answers)
        if p.shapes is not None and (shape := p.shapes[k]) is not None:
            ann.geometry = _unjson(shape)

    def unpack_all(self) -> None:
        """Every annotation as it was before packing, and the record no longer packed: what takes
        annotations out of the record calls it first, since the packed parts follow them by
        position."""
        if self.packed is None:
            return
        for k in range(len(self.annotations)):
            self.unpack(k)
        self.packed = None


class Packed(msgspec.Struct, array_like=True):
    """What of a record's annotations crosses from a reader process to the job as JSON text
    (:func:`pack`), one item per annotation, in order: the parts the job's fast lane only
    stores or looks up, never reads. Decoding is most of what the trip costs the job, and a dict
    or a list of answers costs it an object per item and per name where the text costs one.
    1M COCO boxes decoded and freed in 3.9-4.5 s with ``extra`` as text, 4.9-5.6 s as dicts
    (alternating, in one process).

    The annotations' ``extra`` are None while packed, and their ``classifications`` empty; but an
    ``extra`` that validation reads (:func:`extra_is_read`) stays on its annotation, its packed
    text None, so that the job learns which ones the fast lane must leave to the full path without
    searching every text (two byte-string searches were 0.54 us of the job's CPU per annotation)."""

    extras: list[bytes | None]  # each annotation's ``extra``, as the text it is stored as
    # each annotation's nested answers (``classifications``) as given, None where there are none:
    # the fast lane resolves each distinct text once (``validate.engine``)
    answers: list[bytes | None]
    # each annotation's geometry as the text it is stored as, where the reader process found it
    # passes every bounds test but the image's size (:func:`plain_reach`), else
    # None; those annotations' ``geometry`` is None while packed. With it, how far right and down
    # each reaches (0 where there is no text), which the job compares with its row's size: a
    # bbox crosses as two numbers, not four, and a polygon's 20 or 30 are not decoded, tested and
    # encoded again in the job. None: no annotation's geometry is packed
    shapes: list[bytes | None] | None = None
    right: list[int | float] | None = None
    bottom: list[int | float] | None = None


# the kinds whose reach a reader can tell (plain_reach), and the job's fast lane takes
PLAIN_KINDS = frozenset({"bbox", "polygon", "line", "point"})


def plain_reach(kind: str, g: Any) -> tuple[Any, Any] | None:
    """How far right and down the shape reaches, if it passes every test of
    ``validate.geometry.check_image`` that does not depend on the image's size, else None: the
    part of ``validate.geometry.plainly_inside`` a reader can make (:func:`pack`, a
    format's ``read_packed``), so that the job only compares the reach with its row's size.
    Every coordinate is finite (its stored text would write an infinite one as null). It lives
    here, beside :class:`Packed`, since formats make it and import nothing but the model."""
    if kind == "bbox":
        if len(g) != 4:
            return None
        x, y, w, h = g
        right, bottom = x + w, y + h
        # no negative term: a finite sum is of finite terms
        ok = w > 0 and h > 0 and x >= 0 and y >= 0 and right < math.inf and bottom < math.inf
        return (right, bottom) if ok else None
    if kind == "point":
        right, bottom = g if len(g) == 2 else (-1, -1)
        return (right, bottom) if 0 <= right < math.inf and 0 <= bottom < math.inf else None
    rings = g if kind == "polygon" else [g]
    need = 3 if kind == "polygon" else 2
    if not rings:
        return None
    right = bottom = -math.inf
    for ring in rings:
        if len(ring) % 2 or len(ring) < 2 * need:
            return None
        xs, ys = ring[0::2], ring[1::2]
        if not (min(xs) >= 0 and min(ys) >= 0):
            return None
        if not math.isfinite(sum(ring)):
            return None
        # enough distinct points: the first `need` are distinct (the usual case), or count them all
        a, b = (ring[0], ring[1]), (ring[2], ring[3])
        distinct = a != b and (need == 2 or a != (ring[4], ring[5]) != b)
        if not distinct and len(set(zip(xs, ys, strict=True))) < need:
            return None
        mx, my = max(xs), max(ys)
        right, bottom = (mx if mx > right else right), (my if my > bottom else bottom)
    return right, bottom


def extra_is_read(extra: dict[str, Any] | None) -> bool:
    """Whether validation reads this ``extra`` (a foreign format's ``attributes``, YOLO's
    ``bbox_units``) rather than only storing it: the fast lane leaves such an annotation to the
    full path."""
    return extra is not None and ("attributes" in extra or "bbox_units" in extra)


# One annotation's packed parts, in the order of Packed's lists: its extra's text, its answers'
# text, its geometry's text, and how far that reaches right and down
Parts = tuple[bytes | None, bytes | None, bytes | None, Any, Any]
UNPACKED: Parts = (None, None, None, 0, 0)  # an annotation left whole: nothing of it is packed


def packed_parts(a: Annotation, shapes: bool = True) -> Parts:
    """What of the annotation crosses as text (:class:`Packed`), taken off it: its ``extra``
    (but one that validation reads), its nested answers, and with ``shapes`` its geometry where
    only the image's size is left to test (a plain kind, in pixels, not in time: what the fast
    lane could take). An annotation that holds a value JSON cannot carry is left whole
    (:data:`UNPACKED`)."""
    extra = a.extra
    try:
        extra_text = None if extra_is_read(extra) else json_text(extra)
        answers = json_text(a.classifications) if a.classifications else None
    except (TypeError, ValueError):
        return UNPACKED
    shape, right, bottom = None, 0, 0
    kind = a.kind
    if shapes and kind in PLAIN_KINDS and a.units is None and a.frame is None and a.track_id is None:
        # a shape it cannot read is one the fast lane refuses too: left for the job. A try, not
        # contextlib.suppress: making and entering one was 6 % of a COCO reader process's CPU
        try:  # noqa: SIM105
            shape, right, bottom = packed_shape(kind, a.geometry)
        except (TypeError, ValueError, IndexError):
            pass
    if extra_text is not None:
        a.extra = None
    if answers is not None:
        a.classifications = []
    if shape is not None:
        a.geometry = None
    return extra_text, answers, shape, right, bottom


def packed_shape(kind: str, g: Any) -> tuple[bytes | None, Any, Any]:
    """A plain geometry's packed parts: its stored text and how far it reaches right and down
    (:func:`plain_reach`); (None, 0, 0) when only the job can test it. It raises as
    :func:`plain_reach` does on a shape it cannot read."""
    reach = plain_reach(kind, g)
    return (None, 0, 0) if reach is None else (json_text(g), reach[0], reach[1])


def pack(record: Record, shapes: bool = True) -> None:
    """The record's annotations packed for the trip from a reader process to the job
    (:class:`Packed`), their geometry with ``shapes`` (without, the job tests and encodes it).
    A record already packed (a format's ``read_packed``) is left as it is."""
    if record.packed is None:
        set_packed(record, [packed_parts(a, shapes) for a in record.annotations])


def set_packed(record: Record, parts: list[Parts]) -> None:
    """The record packed from each of its annotations' parts, in order (a format that makes
    them as it reads gives them here)."""
    if not parts:
        record.packed = Packed([], [])
        return
    # transposed in C: five list comprehensions were 1.0-1.4 us an annotation, this 0.7-0.8
    extras, answers, shapes, right, bottom = map(list, zip(*parts, strict=True))
    if shapes.count(None) == len(shapes):  # no geometry packed: the lists are left out
        record.packed = Packed(extras, answers)
        return
    record.packed = Packed(extras, answers, shapes, right, bottom)


# packed answers back as they were
unpack_answers = msgspec.json.Decoder(list[Answer]).decode


# --- foreign formats' attributes ----------------------------------------------------------------


def attribute_text(value: Any) -> str:
    """An attribute value as an option name or text answer: ``true``/``false``, ``3``, ``0.5``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def attribute_answer(name: str, value: Any, pointer: str) -> Answer | None:
    """A format attribute as a loose answer: a string names an option of a radio (or the one item
    of a checklist) or is the text itself; a list names checklist options. None carries nothing."""
    if value is None:
        return None
    if isinstance(value, list):
        return Answer(
            name=name,
            value=[Choice(name=attribute_text(v), pointer=pointer) for v in value],
            loose=True,
            pointer=pointer,
        )
    return Answer(name=name, value=attribute_text(value), loose=True, pointer=pointer)


def answer_attribute(a: Answer) -> tuple[Any, bool]:
    """The reverse, for writers of flat formats: an answer's value as an attribute value, and
    whether that loses anything (answers nested under an option, or per-frame ranges)."""
    v = a.value
    if isinstance(v, list):
        return [c.name for c in v], any(c.classifications or c.frames for c in v)
    if isinstance(v, Choice):
        return v.name, bool(v.classifications or v.frames)
    return v, False


# --- the stored form of answers -----------------------------------------------------------------
# Answers are stored resolved: both the name and the feature id of every classification and option,
# so an export can name them either way and a later rename of nothing breaks them.


def answer_to_json(a: Answer) -> dict[str, Any]:
    d: dict[str, Any] = {"name": a.name, "featureId": a.schema_id}
    v = a.value
    if isinstance(v, list):
        d["value"] = [_choice_to_json(c) for c in v]
    elif isinstance(v, Choice):
        d["value"] = _choice_to_json(v)
    else:
        d["value"] = v
    return d


def _choice_to_json(c: Choice) -> dict[str, Any]:
    d: dict[str, Any] = {"name": c.name, "featureId": c.schema_id}
    if c.classifications:
        d["classifications"] = [answer_to_json(x) for x in c.classifications]
    if c.frames is not None:
        d["frames"] = [list(f) for f in c.frames]
    if c.text is not None:
        d["text"] = c.text
    return d


def answer_from_json(d: dict[str, Any]) -> Answer:
    v = d.get("value")
    value: Choice | list[Choice] | str | None
    if isinstance(v, list):
        value = [_choice_from_json(c) for c in v]
    elif isinstance(v, dict):
        value = _choice_from_json(v)
    else:
        value = v
    return Answer(name=d.get("name"), schema_id=d.get("featureId"), value=value)


def _choice_from_json(d: dict[str, Any]) -> Choice:
    frames = d.get("frames")
    return Choice(
        name=d.get("name"),
        schema_id=d.get("featureId"),
        classifications=[answer_from_json(x) for x in d.get("classifications", [])],
        frames=[(f[0], f[1]) for f in frames] if frames is not None else None,
        text=d.get("text"),
    )
