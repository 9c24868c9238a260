"""Packing a record for the trip from a reader process (``model.records.pack``) takes off each
annotation what crosses as text, and unpacking gives back exactly what was there; an annotation
that holds a value JSON cannot carry is left whole, its neighbours packed."""

from __future__ import annotations

from labelport.model.issues import Location
from labelport.model.records import Annotation, Answer, Choice, Record, RowRef, pack


def _record() -> Record:
    return Record(
        row=RowRef(global_key="a.png"),
        annotations=[
            Annotation(
                kind="bbox",
                name="car",
                geometry=[1, 2.5, 3, 4],
                extra={"id": 7},
                classifications=[Answer(name="occluded", value=Choice(name="no"))],
            ),
            Annotation(kind="bbox", name="car", geometry=[5, 6, 7, 8], extra={"odd": complex(1, 2)}),
            Annotation(kind="bbox", name="car", geometry=[-1, 0, 2, 2]),
        ],
        location=Location(file="p.json"),
    )


def test_what_json_cannot_carry_is_left_on_its_annotation_alone() -> None:
    record, before = _record(), repr(_record())
    pack(record)
    p = record.packed
    assert p is not None and p.shapes is not None and p.right is not None and p.bottom is not None
    first, odd, outside = record.annotations
    assert (p.extras[0], p.shapes[0], p.right[0], p.bottom[0]) == (b'{"id":7}', b"[1,2.5,3,4]", 4, 6.5)
    assert first.extra is None and first.geometry is None and first.classifications == []
    assert (p.extras[1], p.answers[1], p.shapes[1]) == (None, None, None)  # left whole
    assert odd.extra == {"odd": complex(1, 2)} and odd.geometry == [5, 6, 7, 8]
    # a box left of the image has no reach: its geometry stays for the job to test and report
    assert p.shapes[2] is None and outside.geometry == [-1, 0, 2, 2] and p.extras[2] == b"null"
    record.unpack_all()
    assert record.packed is None and repr(record) == before


def test_a_record_packed_twice_is_packed_once() -> None:
    record = _record()
    pack(record)
    packed = record.packed
    pack(record)
    assert record.packed is packed


def test_a_record_of_no_annotations_packs_to_empty_lists_of_its_own() -> None:
    """A COCO image without annotations is a record of none: its packed lists are empty, and not
    one list shared between them."""
    record = Record(row=RowRef(global_key="a.png"), annotations=[], location=Location(file="p.json"))
    pack(record)
    assert record.packed is not None
    assert record.packed.extras == [] and record.packed.answers == [] and record.packed.shapes is None
    assert record.packed.extras is not record.packed.answers
    record.unpack_all()
    assert record == Record(row=RowRef(global_key="a.png"), annotations=[], location=Location(file="p.json"))
