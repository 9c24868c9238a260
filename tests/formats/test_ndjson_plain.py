"""NDJSON's plain-line path (typed decoding) makes exactly the records and issues the general
path makes, line for line: over hand-picked edge cases and generated lines. ``repr`` is compared,
so a tuple for a list or 1.0 for 1 is a difference. Consecutive plain lines of one row are one
record of several lines; taken apart, it is the general path's records of those lines. What a job
reads (``read_packed``) is, unpacked, what ``read`` gives."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import msgspec
import pytest

from labelport.formats import ndjson
from labelport.model.issues import Location
from labelport.model.records import Record

UID = "3f1c1f7e-8d8a-4bb0-9e0c-6c1a5d0b7a11"
BOX = {"left": 1, "top": 2.5, "width": 3, "height": 4.25}


def _read(path: Path, plain: bool, monkeypatch: pytest.MonkeyPatch, *, packed: bool = False) -> list[str]:
    out: list[str] = []
    with monkeypatch.context() as m:
        if not plain:
            m.setattr(ndjson, "_plain_line", lambda *a: None)
        for r in (ndjson.read_packed if packed else ndjson.read)(path, lambda i: out.append(repr(i))):
            r.unpack_all()
            out.extend(repr(one) for one in _lines_of(r))
    return out


def _lines_of(record: Record) -> list[Record]:
    """A record of several lines as the records of its lines, each as the general path makes it."""
    if record.lines == 1:
        return [record]
    loc = record.location
    assert record.annotations[0].line == loc.line and len(record.annotations) == record.lines
    return [
        Record(
            row=record.row,
            annotations=[msgspec.structs.replace(a, line=None)],
            location=Location(file=loc.file, line=a.line, annotation_id=a.uid, data_row=loc.data_row),
        )
        for a in record.annotations
    ]


def _line(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"uuid": UID, "dataRow": {"globalKey": "a.png"}, "name": "car", "bbox": BOX}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


EDGES: list[Any] = [
    _line(),
    _line(uuid=...),
    _line(uuid=UID.upper()),
    _line(uuid="12-" + UID),
    _line(uuid="{" + UID + "}"),
    _line(uuid=UID + "\n"),
    _line(uuid=UID[:-1] + "g"),
    _line(uuid=UID.replace("-", "_")),
    _line(uuid="not-a-uuid"),
    _line(uuid=7),
    _line(uuid=None),
    _line(dataRow={"id": "ck1"}),
    _line(dataRow={"id": "ck1", "globalKey": "a.png"}),
    _line(dataRow={}),
    _line(dataRow={"globalKey": ""}),
    _line(dataRow={"globalKey": 3}),
    _line(dataRow={"globalKey": "a.png", "other": 1}),
    _line(dataRow=...),
    _line(dataRow="a.png"),
    _line(name=""),
    _line(name=...),
    _line(name=5),
    _line(name=..., schemaId="s1"),
    _line(schemaId="s1"),
    _line(bbox={"left": -1, "top": 2, "width": -3, "height": -4}),
    _line(bbox={"left": True, "top": 2, "width": 3, "height": 4}),
    _line(bbox={"left": 1, "top": 2, "width": 3}),
    _line(bbox={**BOX, "depth": 1}),
    _line(bbox=[1, 2, 3, 4]),
    _line(bbox=None),
    _line(bbox=..., polygon=[{"x": 1, "y": 2}, {"x": 3.5, "y": 4}, {"x": 5, "y": 0}]),
    _line(bbox=..., polygon=[{"x": 1, "y": 2}, {"x": "3", "y": 4}]),
    _line(bbox=..., polygon=[{"x": 1, "y": 2, "z": 0}]),
    _line(bbox=..., polygon=[]),
    _line(bbox=..., line=[{"x": 1, "y": 2}, {"x": 3, "y": 4}]),
    _line(bbox=..., point={"x": 1, "y": 2}),
    _line(bbox=..., point={"x": 1}),
    _line(bbox=...),
    _line(point={"x": 1, "y": 2}),
    _line(classifications=[]),
    _line(classifications=None),
    _line(classifications=[{"name": "occluded", "answer": {"name": "yes"}}]),
    _line(classifications=[{"name": "occluded", "answer": {"name": ""}}]),
    _line(classifications=[{"name": "", "answer": {"name": "yes"}}]),
    _line(classifications=[{"name": "tags", "answer": [{"name": "a"}, {"name": "b"}]}]),
    _line(classifications=[{"name": "tags", "answers": [{"name": "a"}]}]),
    _line(classifications=[{"name": "note", "answer": "free text"}]),
    _line(classifications=[{"name": "note", "answer": 3}]),
    _line(classifications=[{"name": "note"}]),
    _line(classifications=[{"schemaId": "s", "answer": {"name": "yes"}}]),
    _line(classifications=[{"name": "o", "answer": {"name": "yes", "confidence": 0.5}}]),
    _line(classifications=[{"name": "o", "answer": {"value": "t", "frames": [{"start": 1, "end": 2}]}}]),
    _line(
        classifications=[
            {
                "name": "o",
                "answer": {
                    "name": "yes",
                    "classifications": [{"name": "deep", "answer": [{"name": "x", "classifications": []}]}],
                },
            }
        ]
    ),
    _line(classifications={"name": "o"}),
    _line(messageId="m1"),
    _line(page=2),
    _line(confidence=0.9),
    _line(extraField=1),
    _line(segments=[]),
    "",
    "   ",
    "[1, 2]",
    "not json",
    '{"uuid": "' + UID + '", "dataRow": {"globalKey": "a.png"}, "name": "car", "bbox": {"left": NaN, '
    '"top": 1, "width": 2, "height": 3}}',
    '{"dataRow": {"globalKey": "a.png"}, "name": "car", "name": "bus", "bbox": {"left": 1, "top": 1, '
    '"width": 2, "height": 3}}',
    '{"dataRow": {"globalKey": "a.png"}, "name": "car", "bbox": {"left": 1e400, "top": 1, "width": 2, '
    '"height": 3}}',
    '{"dataRow": {"globalKey": "a.png"}, "name": "car", "bbox": {"left": 123456789012345678901234567890, '
    '"top": 1, "width": 2, "height": 3}}',
    '{"dataRow": {"globalKey": "caf\\u00e9 \\ud83d\\ude00.png"}, "name": "car", '
    '"point": {"x": -0, "y": 1E2}}',
]


def _text(line: Any) -> str:
    return line if isinstance(line, str) else json.dumps(line)


@pytest.mark.parametrize("case", range(len(EDGES)))
def test_edge_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: int) -> None:
    path = tmp_path / "p.ndjson"
    path.write_text(_text(EDGES[case]) + "\n", encoding="utf-8")
    general = _read(path, False, monkeypatch)
    assert _read(path, True, monkeypatch) == general
    assert _read(path, True, monkeypatch, packed=True) == general


def _random_value(rnd: random.Random) -> Any:
    return rnd.choice(
        [rnd.uniform(-50, 900), rnd.randint(-5, 900), round(rnd.uniform(0, 900), 2), 0, -0.0, 1e-7, 2**63]
    )


def _random_answers(rnd: random.Random, depth: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(rnd.randint(0, 2)):
        kind = rnd.random()
        if kind < 0.5:
            choice: dict[str, Any] = {"name": rnd.choice(["yes", "no", ""])}
            if depth < 2 and rnd.random() < 0.3:
                choice["classifications"] = _random_answers(rnd, depth + 1)
            answer: Any = choice
        elif kind < 0.8:
            answer = [{"name": rnd.choice(["a", "b"])} for _ in range(rnd.randint(0, 3))]
        else:
            answer = rnd.choice(["text", "", "é"])
        out.append({"name": rnd.choice(["occluded", "tags", ""]), "answer": answer})
    return out


def _random_line(rnd: random.Random) -> dict[str, Any]:
    line: dict[str, Any] = {
        "dataRow": {"globalKey": f"img-{rnd.randint(0, 3)}.png"},
        "name": f"c{rnd.randint(0, 3)}",
    }
    if rnd.random() < 0.9:
        line["uuid"] = str(random.Random(rnd.random()).getrandbits(128).to_bytes(16, "big").hex())
        u = line["uuid"]
        line["uuid"] = f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}"
    shape = rnd.choice(["bbox", "polygon", "line", "point"])
    if shape == "bbox":
        line["bbox"] = {k: _random_value(rnd) for k in ("left", "top", "width", "height")}
    elif shape == "point":
        line["point"] = {"x": _random_value(rnd), "y": _random_value(rnd)}
    else:
        line[shape] = [{"x": _random_value(rnd), "y": _random_value(rnd)} for _ in range(rnd.randint(0, 6))]
    if rnd.random() < 0.7:
        line["classifications"] = _random_answers(rnd, 0)
    return line


def test_generated_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(7)
    path = tmp_path / "p.ndjson"
    path.write_text("".join(json.dumps(_random_line(rnd)) + "\n" for _ in range(3000)), encoding="utf-8")
    taken: list[bool] = []
    real = ndjson._plain_line

    def counted(*args: Any) -> Any:
        got = real(*args)
        taken.append(got is not None)
        return got

    monkeypatch.setattr(ndjson, "_plain_line", counted)
    fast = _read(path, True, monkeypatch)
    fast_packed = _read(path, True, monkeypatch, packed=True)
    monkeypatch.undo()
    assert fast == fast_packed == _read(path, False, monkeypatch)
    assert sum(taken) > 4000  # the plain path did most of the work, read both ways


def test_packed_runs_share_each_distinct_set_of_answers(tmp_path: Path) -> None:
    """A set of answers repeated over lines is checked and encoded once, and its packed text is
    the one ``unpack`` reads back; answers the plain path refuses stay refused when seen again."""
    good = [{"name": "occluded", "answer": {"name": "no"}}]
    bad = [{"name": "occluded", "answer": 3}]
    lines = [_line(uuid=..., classifications=c) for c in (good, good, bad, bad, good, None)]
    path = tmp_path / "p.ndjson"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    codes: list[tuple[str, int | None]] = []
    records = list(ndjson.read_packed(path, lambda i: codes.append((i.code, i.location.line))))
    assert codes == [("answer_type_mismatch", 3), ("answer_type_mismatch", 4)]  # the general path's
    assert [(r.lines, r.location.line) for r in records] == [(2, 1), (2, 5)]
    first, last = records[0].packed, records[1].packed
    assert first is not None and last is not None
    assert first.answers[0] is first.answers[1] is last.answers[0] and last.answers[1] is None
    records[0].unpack_all()
    assert [a.classifications[0].value.name for a in records[0].annotations] == ["no", "no"]  # type: ignore[union-attr]


def test_packed_geometry_outside_what_a_reader_can_tell_stays_on_its_annotation(tmp_path: Path) -> None:
    """A box at a negative position has no reach: its geometry crosses whole, for the job to
    test and report."""
    lines = [_line(uuid=...), _line(uuid=..., bbox={**BOX, "left": -5})]
    path = tmp_path / "p.ndjson"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    (record,) = ndjson.read_packed(path, print)
    assert record.packed is not None and record.packed.shapes is not None
    assert record.packed.shapes[0] == b"[1,2.5,3,4.25]" and record.packed.right[0] == 4  # type: ignore[index]
    assert record.packed.shapes[1] is None and record.annotations[1].geometry == [-5, 2.5, 3, 4.25]


def test_an_integer_beyond_64_bits_is_read_exactly_by_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """orjson, which the general path used, read it as a float: 123456789012345678901234567890
    became 1.2345678901234568e+29."""
    big = 123456789012345678901234567890
    path = tmp_path / "p.ndjson"
    plain = _line(uuid=..., bbox={"left": big, "top": 1, "width": 2, "height": 3})
    other = {**plain, "confidence": 1}  # not a plain line
    path.write_text(json.dumps(plain) + "\n" + json.dumps(other) + "\n", encoding="utf-8")
    records = list(ndjson.read(path, print))
    assert [r.annotations[0].geometry[0] for r in records] == [big, big]


def test_consecutive_plain_lines_of_a_row_are_one_record(tmp_path: Path) -> None:
    """A row's run ends at another row, at a line that is not plain (before what that line
    reports), and at the cap; a single line stays a record of its own, without ``line``."""
    lines = [
        _line(uuid=...),
        _line(uuid=..., bbox={**BOX, "left": 2}),
        _line(uuid=..., dataRow={"globalKey": "b.png"}),
        _line(uuid=..., dataRow={"globalKey": "b.png"}, point={"x": 1, "y": 2}, bbox=None),
        _line(uuid=..., extraField=1),  # not plain: reported, then its own record
        _line(uuid=...),
        _line(uuid=..., dataRow={"id": "a.png"}),  # an id is not a global key
    ]
    path = tmp_path / "p.ndjson"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    events: list[Any] = []
    for r in ndjson.read(path, lambda i: events.append((i.code, i.location.line))):
        events.append((str(r.row), r.lines, r.location.line, [a.line for a in r.annotations]))
    assert events == [
        ("a.png", 2, 1, [1, 2]),
        ("b.png", 2, 3, [3, 4]),
        ("unknown_field", 5),
        ("a.png", 1, 5, [None]),
        ("a.png", 1, 6, [None]),
        ("a.png", 1, 7, [None]),
    ]


def test_a_run_is_cut_at_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ndjson, "_RUN_LINES", 3)
    path = tmp_path / "p.ndjson"
    path.write_text("".join(json.dumps(_line(uuid=...)) + "\n" for _ in range(7)), encoding="utf-8")
    assert [(r.lines, r.location.line) for r in ndjson.read(path, print)] == [(3, 1), (3, 4), (1, 7)]
