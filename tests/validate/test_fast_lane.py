"""The validator's fast lane (``Validator._plain``) must decide exactly as the full path does.

Each case is validated twice over the same snapshot, once with the fast lane and once with it
switched off, and the two must agree on every accepted annotation (id, feature, geometry,
answers) and on every issue. The cases are hand-picked edges (NaN, infinities, touching and
passing each edge, degenerate rings, repeated ids, unknown classes, wrong nested answers,
relative units on and just outside the edge) plus a few thousand generated ones.
"""

from __future__ import annotations

import copy
import math
import random
from typing import Any

import msgspec
import pytest

from labelport.model.issues import Issue, Location
from labelport.model.ontology import parse_ontology
from labelport.model.records import Annotation, Answer, Choice, Record, RowRef, pack
from labelport.model.snapshot import RowInfo, Snapshot
from labelport.validate.engine import Validator

W, H = 640.0, 480.0
ONTOLOGY = {
    "tools": [
        {
            "name": "car",
            "tool": "rectangle",
            "classifications": [
                {"name": "occluded", "type": "radio", "options": [{"value": "yes"}, {"value": "no"}]},
                {"name": "note", "type": "text"},
            ],
        },
        {
            "name": "truck",
            "tool": "rectangle",
            "classifications": [
                {"name": "plate", "type": "text", "required": True},
            ],
        },
        {"name": "lake", "tool": "polygon"},
        {"name": "road", "tool": "line"},
        {"name": "pin", "tool": "point"},
    ],
    "classifications": [{"name": "weather", "type": "radio", "options": [{"value": "sunny"}]}],
}
NAN, INF = math.nan, math.inf
FR = "fraction"


def _snapshot() -> Snapshot:
    ontology = parse_ontology(ONTOLOGY)
    pks = {
        ("tool:" if n in {"car", "truck", "lake", "road", "pin"} else "cls:") + n: i
        for i, n in enumerate(["car", "truck", "lake", "road", "pin", "weather"], 1)
    }
    rows = [
        RowInfo(
            1, "u1", "a.png", "image", {"width": W, "height": H}, "/", "a.png", None, "not_started", None
        ),
        RowInfo(
            2, "u2", "b.png", "image", {"width": 640, "height": 480}, "/", "b.png", None, "not_started", None
        ),
        RowInfo(3, "u3", "c.png", "image", {}, "/", "c.png", None, "not_started", None),
    ]
    return Snapshot(project_id=1, media_type="image", ontology=ontology, top_level_pk=pks, rows=rows)


_TRIP = msgspec.msgpack.Decoder(list[Record])


def _run(records: list[Record], *, fast: bool, packed: bool = False) -> tuple[list[Any], list[Any]]:
    """``packed``: as records arrive from a reader process (``model.records.Packed``)."""
    issues: list[Issue] = []
    v = Validator(_snapshot(), on_existing="fail", class_map={"auto": "car"}, sink=issues.append)
    v._plain_ok = fast  # the switch this test exists to compare
    accepted = []
    for r in copy.deepcopy(records):
        if packed:
            pack(r)
            # across the pipe as the reader process sends it (jobs.reader: msgpack frames)
            (r,) = _TRIP.decode(msgspec.msgpack.encode([r]))
        accepted.extend(v.check(r))
    v.finish()
    return (
        [(a.owner, a.uid, a.feature_pk, a.kind, a.geometry, a.classifications, a.extra) for a in accepted],
        # repr: a NaN that crossed the pipe is another object, and NaN equals only itself
        [(i.code, i.message, i.location, repr(i.value), i.hint) for i in issues],
    )


def _radio(name: str, value: str) -> Answer:
    return Answer(name=name, value=Choice(name=value))


def _box(g: list[float], **kw: Any) -> Annotation:
    return Annotation(kind="bbox", name=kw.pop("name", "car"), geometry=g, **kw)


EDGES: list[Annotation] = [
    _box([0, 0, W, H]),
    _box([0, 0, W + 0.001, H]),
    _box([-0.0, 0, 10, 10]),
    _box([-1e-9, 0, 10, 10]),
    _box([1, 1, 0, 5]),
    _box([1, 1, 5, -1]),
    _box([NAN, 1, 5, 5]),
    _box([1, 1, INF, 5]),
    _box([-INF, 1, 5, 5]),
    _box([1, 2, 3, 4, 30]),
    _box([1, 2, 3, 4, 360]),
    _box([1, 2, 3, 4], name="zebra"),
    _box([1, 2, 3, 4], name="weather"),
    _box([1, 2, 3, 4], name="lake"),
    _box([1, 2, 3, 4], name="auto"),
    _box([1, 2, 3, 4], name=None, schema_id="nope"),
    _box([1, 2, 3, 4], uid="dup"),
    _box([5, 6, 7, 8], uid="dup"),
    _box([9, 9, 9, 9]),
    _box([9, 9, 9, 9]),
    _box([3, 3, 3, 3], uid=""),  # an empty id: derived, as none given
    _box([1, 2, 3, 4], classifications=[_radio("occluded", "yes")]),
    _box([1, 2, 3, 4], classifications=[_radio("occluded", "maybe")]),
    _box([1, 2, 3, 4], classifications=[_radio("occluded", "yes"), _radio("occluded", "no")]),
    _box([1, 2, 3, 4], classifications=[Answer(name="note", value="hello")]),
    _box([1, 2, 3, 4], classifications=[Answer(name="note", value=Choice(name="x"))]),
    _box([1, 2, 3, 4], classifications=[Answer(name="occluded", value="yes", loose=True)]),
    _box([1, 2, 3, 4], classifications=[Answer(name="colour", value="red")]),
    _box([2, 3, 4, 5], name="truck"),
    _box([2, 3, 4, 5], name="truck", classifications=[Answer(name="plate", value="AB-1")]),
    _box([2, 3, 4, 5], extra={"attributes": {"occluded": "no", "speed": 3}}),
    _box([2, 3, 4, 5], extra={"id": 7, "iscrowd": 0}),
    _box([2, 3, 4, 6], extra={"note": "attributes", "n": [1.5, None, True]}),
    _box([2, 3, 4, 7], extra={"attributes": {"speed": 3}}, name="truck"),
    _box([W, 3, 4, 7], extra={"id": 8}),
    _box([0.1, 0.2, 0.3, 0.4], extra={"bbox": [0.1, 0.2, 0.3, 0.4], "bbox_units": "fraction"}, units=FR),
    _box([0.1, 0.2, 0.3, 0.5], extra={"bbox": [0.1, 0.2, 0.3, 0.5], "bbox_units": "percent"}, units=FR),
    _box([2, 3, 4, 8], extra={"bbox_units": None}),
    _box([2, 3, 4, 9], extra={"attributes": None}),
    _box([2, 3, 4, 10], extra={"attributes": ["occluded"]}),
    _box([0.1, 0.1, 0.5, 0.5], units="fraction"),
    _box([0.0, 0.0, 1.0, 1.0], units="fraction"),
    _box([-0.0000004, 0.2, 0.5, 0.5], units="fraction"),
    _box([0.6, 0.2, 0.4000004, 0.5], units="fraction"),
    _box([-0.01, 0.2, 0.5, 0.5], units="fraction"),
    _box([10, 10, 50, 50], units="percent"),
    Annotation(kind="polygon", name="lake", geometry=[[0, 0, 10, 0, 10, 10]]),
    Annotation(kind="polygon", name="lake", geometry=[[0, 0, 10, 0, 10, 10], [20, 20, 30, 20, 30, 30]]),
    Annotation(kind="polygon", name="lake", geometry=[[0, 0, 10, 0, 0, 0]]),
    Annotation(kind="polygon", name="lake", geometry=[[0, 0, 10, 0, 10]]),
    Annotation(kind="polygon", name="lake", geometry=[[0, 0, 10, 0, 10, NAN]]),
    Annotation(kind="polygon", name="lake", geometry=[[0, 0, 10, 0, INF, 10]]),
    Annotation(kind="polygon", name="lake", geometry=[[0, 0, W, 0, W, H]]),
    Annotation(kind="polygon", name="lake", geometry=[[0, 0, W + 1, 0, W, H]]),
    Annotation(kind="polygon", name="lake", geometry=[]),
    Annotation(kind="polygon", name="lake", geometry=[[]]),
    Annotation(kind="polygon", name="car", geometry=[[0, 0, 10, 0, 10, 10]], box=[0, 0, 10, 10]),
    Annotation(kind="polygon", name="lake", geometry=[[0, 0, 10, 0, 10, 10]], box=[0, 0, 10, 10]),
    Annotation(kind="polygon", name="lake", geometry=[[0.0, 0.0, 0.5, 0.0, 0.5, 0.5]], units="fraction"),
    Annotation(kind="line", name="road", geometry=[0, 0, 5, 5]),
    Annotation(kind="line", name="road", geometry=[5, 5, 5, 5]),
    Annotation(kind="line", name="road", geometry=[5, 5, 5, -5]),
    Annotation(kind="point", name="pin", geometry=[W, H]),
    Annotation(kind="point", name="pin", geometry=[W, H + 1]),
    Annotation(kind="point", name="pin", geometry=[NAN, 1]),
    Annotation(kind="point", name="pin", geometry=[1, 2, 3]),
    Annotation(kind="point", name="road", geometry=[1, 2]),
    Annotation(kind="point", name="pin", geometry=[1, 2], track_id="t1"),
    Annotation(kind="ellipse", name="car", geometry=[5, 5, 2, 2, 0]),
]


def _records(
    anns: list[Annotation],
    keys: tuple[str, ...] = ("a.png", "b.png", "c.png"),
    size: tuple[float, float] | None = None,
) -> list[Record]:
    """``size``: the image size each record states, as COCO's do."""
    return [
        Record(
            row=RowRef(global_key=key),
            annotations=[copy.deepcopy(a) for a in anns],
            location=Location(file="p.ndjson", line=n),
            image_size=size,
        )
        for n, key in enumerate(keys, 1)
    ]


def test_every_hand_picked_edge_is_decided_as_the_full_path_decides() -> None:
    records = _records(EDGES)
    fast, slow = _run(records, fast=True), _run(records, fast=False)
    assert fast == slow
    assert fast[0], "some annotations are accepted"
    assert fast[1], "and some refused"


@pytest.mark.parametrize("fast", [True, False])
def test_records_packed_as_from_a_reader_process_are_decided_alike(fast: bool) -> None:
    """A packed ``extra`` is stored as sent, packed answers are resolved as given, and both are
    unpacked for whatever the full path reads of them; an ``extra`` that validation reads stays
    unpacked on its annotation."""
    records = _records(EDGES)
    assert _run(records, fast=fast, packed=True) == _run(records, fast=False)


@pytest.mark.parametrize("size", [(W, H), (640, 480), (W, H + 1)])
@pytest.mark.parametrize("fast", [True, False])
def test_shapes_packed_in_records_that_state_their_image_size_are_decided_alike(
    fast: bool, size: tuple[float, float]
) -> None:
    """As COCO's, VOC's, CVAT's and LabelMe's records do: the size is checked against the row's
    (``c.png`` has none; (W, H + 1) is refused) before any packed shape is taken."""
    records = _records(EDGES, size=size)
    assert _run(records, fast=fast, packed=True) == _run(records, fast=False)


def test_pack_sends_a_shape_as_its_text_and_reach_where_only_the_image_size_is_left_to_test() -> None:
    anns = [
        _box([1, 2, 3, 4]),
        _box([1.5, 2, 3, 4.25]),
        _box([1, 2, W, 4]),  # past the right edge of a.png: the job, which knows the row, says so
        _box([1, 2, 3, NAN]),
        _box([-1, 2, 3, 4]),
        _box([0.1, 0.2, 0.3, 0.4], units=FR),
        Annotation(kind="polygon", name="lake", geometry=[[0, 0, 10, 0, 10, 12], [1, 1, 2, 1, 2, 2]]),
        Annotation(kind="point", name="pin", geometry=[1, 2], track_id="t1"),
        Annotation(kind="ellipse", name="car", geometry=[5, 5, 2, 2]),
        _box(["1", 2, 3, 4]),  # type: ignore[list-item]
        # its text would say null: the full path says it is not finite
        _box([1, 2, INF, 4]),
        Annotation(kind="point", name="pin", geometry=[1, INF]),
    ]
    record = _records(anns, ("a.png",))[0]
    given = [copy.deepcopy(a.geometry) for a in record.annotations]
    pack(record)
    (record,) = _TRIP.decode(msgspec.msgpack.encode([record]))
    p = record.packed
    assert p is not None and p.shapes is not None
    texts = [
        b"[1,2,3,4]",
        b"[1.5,2,3,4.25]",
        b"[1,2,640.0,4]",
        *[None] * 3,
        b"[[0,0,10,0,10,12],[1,1,2,1,2,2]]",
    ]
    assert p.shapes == texts + [None] * 5
    assert list(zip(p.right, p.bottom, strict=True))[:7] == [
        (4, 6),
        (4.5, 6.25),
        (1 + W, 6),
        *[(0, 0)] * 3,
        (10, 12),
    ]
    assert [a.geometry is None for a in record.annotations] == [t is not None for t in p.shapes]
    record.unpack_all()
    assert repr([a.geometry for a in record.annotations]) == repr(given)
    assert record.packed is None


def test_an_extra_that_validation_reads_is_left_on_its_annotation_by_pack() -> None:
    """Its packed text is None, and that None is what tells the fast lane to leave it to the
    full path; a key's name as a mere value is packed like any other extra."""
    read = [{"attributes": {"speed": 3}}, {"bbox": [0, 0, 1, 1], "bbox_units": "fraction"}]
    stored = [{"note": "attributes"}, None, {"id": 7}]
    record = _records([_box([1, 2, 3, 4], extra=e) for e in read + stored])[0]
    pack(record)
    # across the pipe as the reader process sends it (jobs.reader: msgpack frames of records)
    (record,) = msgspec.msgpack.Decoder(list[Record]).decode(msgspec.msgpack.encode([record]))
    assert record.packed is not None
    assert record.packed.extras == [None, None, b'{"note":"attributes"}', b"null", b'{"id":7}']
    assert [a.extra for a in record.annotations] == [*read, None, None, None]
    record.unpack_all()
    assert [a.extra for a in record.annotations] == read + stored


@pytest.mark.parametrize("seed", [4, 5])
def test_generated_annotations_packed_are_decided_alike(seed: int) -> None:
    anns = _generated(random.Random(seed), 1000)
    records = _records(anns[:500], ("a.png",)) + _records(anns[500:], ("b.png",))
    assert _run(records, fast=True, packed=True) == _run(records, fast=False)


def test_one_annotation_at_a_time_agrees_too() -> None:
    """Alone on its row, each edge meets no earlier state (ids seen, classes looked up)."""
    for ann in EDGES:
        records = _records([ann], ("a.png",))
        assert _run(records, fast=True) == _run(records, fast=False), ann


def _generated(rng: random.Random, n: int) -> list[Annotation]:
    def coord(limit: float) -> float:
        r = rng.random()
        if r < 0.03:
            return rng.choice([NAN, INF, -INF, -0.5, limit + 0.5, limit, 0.0])
        return round(rng.uniform(0, limit), rng.choice([0, 2, 6]))

    out: list[Annotation] = []
    for _ in range(n):
        kind = rng.choice(["bbox", "bbox", "polygon", "line", "point"])
        name = {"bbox": "car", "polygon": "lake", "line": "road", "point": "pin"}[kind]
        if rng.random() < 0.03:
            name = rng.choice(["zebra", "car", "lake", "weather"])
        if kind == "bbox":
            g: Any = [coord(W), coord(H), coord(W / 4), coord(H / 4)]
        elif kind == "point":
            g = [coord(W), coord(H)]
        else:
            pts = [v for _ in range(rng.randint(1, 6)) for v in (coord(W), coord(H))]
            g = [pts] if kind == "polygon" else pts
        answers = []
        if kind == "bbox" and name == "car" and rng.random() < 0.5:
            answers = [_radio("occluded", rng.choice(["yes", "no", "perhaps"]))]
        uid = rng.choice([None, None, f"id-{rng.randint(0, n // 2)}"])
        out.append(Annotation(kind=kind, name=name, geometry=g, classifications=answers, uid=uid))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_annotations_are_decided_alike(seed: int) -> None:
    anns = _generated(random.Random(seed), 1500)
    records = (
        _records(anns[:500], ("a.png",))
        + _records(anns[500:1000], ("b.png",))
        + _records(anns[1000:], ("a.png",))
    )
    fast, slow = _run(records, fast=True), _run(records, fast=False)
    assert fast == slow
    assert len(fast[0]) > 500 and len(fast[1]) > 50


def test_rows_resolved_once_for_consecutive_lines_are_the_same_and_misses_still_each_reported() -> None:
    """The validator keeps the last row it resolved; a miss is not kept, so every line naming
    an unknown row is reported, and a row named again after another is found again."""
    keys = ("a.png", "a.png", "nope.png", "nope.png", "b.png", "a.png", "c.png", "c.png")
    issues: list[Issue] = []
    v = Validator(_snapshot(), on_existing="fail", class_map=None, sink=issues.append)
    accepted = [a for r in _records([_box([1, 2, 3, 4])], keys) for a in v.check(r)]
    assert [a.owner for a in accepted] == [1, 1, 2, 1]  # c.png has no size: refused
    assert [i.location.line for i in issues if i.code == "data_row_not_found"] == [3, 4]
    assert [i.location.line for i in issues if i.code == "identical_annotations"] == [2, 6, 8]
    assert [i.location.line for i in issues if i.code == "missing_dimensions"] == [7]


@pytest.mark.parametrize("given", [None, ["occluded"], "occluded", 3])
def test_attributes_that_are_not_an_object_are_refused_where_they_are(given: object) -> None:
    """Every reader gives ``extra["attributes"]`` as an object of names and values; anything else
    is refused with its location on both paths rather than stopping the job with an internal
    error (it did: ``AttributeError`` on ``.items()``)."""
    box = _box([1, 2, 3, 4], extra={"attributes": given, "id": 7}, pointer="/labels/0")
    record = _records([box], ("a.png",))[0]
    for fast in (True, False):
        accepted, issues = _run([record], fast=fast)
        assert accepted == []
        where = [(i[0], i[2].line, i[2].pointer, i[3]) for i in issues]
        assert where == [("wrong_type", 1, "/labels/0", repr(given))]
