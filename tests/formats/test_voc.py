"""Pascal VOC XML: reading every layout, the issues it reports (code and location), the 1-based
pixel convention, writing, exact round trips of integer and float boxes, and detection.

Fixtures are small XML files written by hand in the shape of the VOC devkit's own files.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from defusedxml.ElementTree import parse as safe_parse

from labelport.formats import voc
from labelport.formats.base import ExportContext, ExportRow
from labelport.model.errors import InvalidInputError
from labelport.model.issues import CODES, Issue, Severity
from labelport.model.ontology import parse_ontology
from labelport.model.records import Annotation, Answer, Choice, Record, RowRef

ONTOLOGY = parse_ontology(
    {
        "tools": [
            {"name": "lake", "tool": "polygon"},
            {"name": "car", "tool": "rectangle", "color": "#ff8000"},
            {"name": "dog", "tool": "rectangle"},
        ]
    }
)
CTX = ExportContext(project="p", media_type="image", ontology=ONTOLOGY)
BAD_NAME = parse_ontology(
    {"tools": [{"name": "dog", "tool": "rectangle"}, {"name": "a:b", "tool": "rectangle"}]}
)


def obj(
    name: str | None = "dog",
    box: tuple[Any, Any, Any, Any] | None = (48, 240, 195, 371),
    more: str = "",
) -> str:
    parts = [f"<name>{name}</name>" if name is not None else ""]
    parts.append(more)
    if box is not None:
        parts.append(
            "<bndbox>"
            + "".join(f"<{k}>{v}</{k}>" for k, v in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True))
            + "</bndbox>"
        )
    return "<object>" + "".join(parts) + "</object>"


def doc(*objects: str, filename: str | None = "000001.jpg", size: str | None = None, head: str = "") -> str:
    size = size if size is not None else "<size><width>353</width><height>500</height><depth>3</depth></size>"
    fn = f"<filename>{filename}</filename>" if filename is not None else ""
    body = "\n".join(objects)
    lines = [f"{head}<annotation>", "<folder>VOC2007</folder>", fn, size, "<segmented>0</segmented>", body]
    return "\n".join([*lines, "</annotation>", ""])


def put(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run(payload: Path, **options: str) -> tuple[list[Record], list[Issue]]:
    issues: list[Issue] = []
    records = list(voc.read(payload, issues.append, options))
    return records, issues


def codes(issues: list[Issue]) -> list[str]:
    return [i.code for i in issues]


# --- reading -----------------------------------------------------------------------------------------


def test_devkit_file(tmp_path: Path) -> None:
    """A file as the VOC devkit writes it: 1-based inclusive integer pixels."""
    more = "<pose>Left</pose><truncated>1</truncated><difficult>0</difficult>"
    path = put(
        tmp_path, "000001.xml", doc(obj("dog", (48, 240, 195, 371), more), obj("person", (8, 12, 352, 498)))
    )
    records, issues = run(path)
    assert issues == []
    [rec] = records
    assert rec.row == RowRef(filename="000001.jpg")
    assert rec.image_size == (353, 500)
    assert rec.location.file == "000001.xml"
    dog, person = rec.annotations
    assert (dog.kind, dog.name, dog.pointer) == ("bbox", "dog", "/annotation/object[1]")
    # pixels 48..195 inclusive, 1-based: continuous [47, 195], width 148
    assert dog.geometry == [47, 239, 148, 132]
    assert all(type(v) is int for v in dog.geometry)
    assert dog.extra == {"attributes": {"pose": "Left", "truncated": True, "difficult": False}}
    assert person.geometry == [7, 11, 345, 487] and person.extra is None


def test_full_image_box_is_exactly_the_image(tmp_path: Path) -> None:
    path = put(tmp_path, "a.xml", doc(obj("dog", (1, 1, 353, 500))))
    [rec], _ = run(path)
    assert rec.annotations[0].geometry == [0, 0, 353, 500]


def test_origin_zero(tmp_path: Path) -> None:
    path = put(tmp_path, "a.xml", doc(obj("dog", (0, 0, 10.5, 20))))
    [rec], issues = run(path, origin="0")
    assert issues == [] and rec.annotations[0].geometry == [0, 0, 10.5, 20]


def test_zero_under_origin_one_says_so(tmp_path: Path) -> None:
    path = put(tmp_path, "a.xml", doc(obj("dog", (5, 5, 9, 9)), obj("cat", (3, 0, 10, 10))))
    [rec], issues = run(path)
    [bad] = issues
    assert bad.code == "invalid_value" and bad.hint == "this file looks 0-based: pass --option origin=0"
    assert bad.location.pointer == "/annotation/object[2]/bndbox/ymin"
    assert bad.location.file == "a.xml" and bad.location.line == 7 and bad.location.data_row == "000001.jpg"
    assert [a.name for a in rec.annotations] == ["dog"]  # the rest goes on


def test_floats_kept_exact(tmp_path: Path) -> None:
    """Float coordinates are never rounded: arithmetic is exact on the decimal text."""
    path = put(tmp_path, "a.xml", doc(obj("dog", ("48.5", "1.1", "195.2", "0.3e3"))))
    [rec], _ = run(path)
    x, y, w, h = rec.annotations[0].geometry
    assert (x, y, w, h) == (47.5, 0.1, 147.7, 299.9)
    assert 1.1 - 1 != 0.1  # binary float arithmetic would have drifted; the decimal text does not
    assert w == float(Decimal("195.2") - Decimal("47.5"))
    [rec0], _ = run(path, origin="0")
    assert rec0.annotations[0].geometry == [48.5, 1.1, 146.7, 298.9]


def test_attributes_block_and_lists(tmp_path: Path) -> None:
    """Datumaro's / CVAT's <attributes>: text values; a repeated name is a list (checklist)."""
    block = (
        "<attributes>"
        "<attribute><name>color</name><value>red</value></attribute>"
        "<attribute><name>parts</name><value>a</value></attribute>"
        "<attribute><name>parts</name><value>b</value></attribute>"
        "<attribute><name>parts</name><value>c</value></attribute>"
        "<attribute><name>note</name><value /></attribute>"
        "</attributes>"
    )
    path = put(tmp_path, "a.xml", doc(obj("dog", more="<occluded>1</occluded>" + block)))
    [rec], issues = run(path)
    assert issues == []
    assert rec.annotations[0].extra == {
        "attributes": {"occluded": True, "color": "red", "parts": ["a", "b", "c"], "note": ""}
    }


def test_zeros_absent(tmp_path: Path) -> None:
    more = "<truncated>0</truncated><occluded>1</occluded><difficult>0</difficult>"
    path = put(tmp_path, "a.xml", doc(obj("dog", more=more), obj("cat", more="<difficult>0</difficult>")))
    [rec], _ = run(path, zeros="absent")
    assert rec.annotations[0].extra == {"attributes": {"occluded": True}}
    assert rec.annotations[1].extra is None


def test_empty_flags_and_pose_are_not_given(tmp_path: Path) -> None:
    path = put(tmp_path, "a.xml", doc(obj("dog", more="<pose></pose><difficult/>")))
    [rec], issues = run(path)
    assert issues == [] and rec.annotations[0].extra is None


def test_no_objects_no_size(tmp_path: Path) -> None:
    path = put(tmp_path, "a.xml", doc(size=""))
    [rec], issues = run(path)
    assert issues == [] and rec.annotations == [] and rec.image_size is None


def test_zero_size_means_unknown(tmp_path: Path) -> None:
    path = put(tmp_path, "a.xml", doc(size="<size><width>0</width><height>0</height><depth>3</depth></size>"))
    [rec], issues = run(path)
    assert issues == [] and rec.image_size is None


# --- rows and layouts ----------------------------------------------------------------------------------


def test_voc_folder_mirrors_subfolders(tmp_path: Path) -> None:
    put(tmp_path, "Annotations/2007_000027.xml", doc(filename="2007_000027.jpg"))
    put(tmp_path, "Annotations/sub/b.xml", doc(filename="b.jpg"))
    put(tmp_path, "Annotations/sub/c.xml", doc(filename="deep/c.jpg"))  # a path: taken as it is
    put(tmp_path, "Annotations/.hidden.xml", "junk")
    put(tmp_path, "JPEGImages/x.xml", "<not-read/>")
    put(tmp_path, "labelmap.txt", "dog:::\n")
    records, issues = run(tmp_path)
    assert issues == []
    assert [(r.row.filename, r.location.file) for r in records] == [
        ("2007_000027.jpg", "Annotations/2007_000027.xml"),
        ("sub/b.jpg", "Annotations/sub/b.xml"),
        ("deep/c.jpg", "Annotations/sub/c.xml"),
    ]


def test_plain_folder_and_windows_paths(tmp_path: Path) -> None:
    put(tmp_path, "a.xml", doc(filename=r".\a.jpg"))
    put(tmp_path, "day/b.XML", doc(filename=r"night\b.jpg"))
    records, _ = run(tmp_path)
    assert [r.row.filename for r in records] == ["a.jpg", "night/b.jpg"]


def test_missing_filename_matches_by_stem(tmp_path: Path) -> None:
    put(tmp_path, "sub/000007.xml", doc(filename=None))
    [rec], issues = run(tmp_path)
    assert issues == [] and rec.row == RowRef(filename="sub/000007", stem=True)


def test_subset_list(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        put(tmp_path, f"Annotations/{name}.xml", doc(filename=f"{name}.jpg"))
    put(tmp_path, "ImageSets/Main/train.txt", "# ids\nc\n\na  1\nsub/empty\n../a\n")
    records, issues = run(tmp_path, subset="train")
    # a listed id without XML (Datumaro writes none for an image without objects): no objects
    assert [(r.row, r.annotations, r.location.line) for r in records] == [
        (RowRef(filename="c.jpg"), [], None),
        (RowRef(filename="a.jpg"), [], None),
        (RowRef(filename="sub/empty", stem=True), [], 5),
    ]
    assert records[2].location.file == "ImageSets/Main/train.txt"
    assert [(i.code, i.location.file, i.location.line) for i in issues] == [
        ("invalid_value", "ImageSets/Main/train.txt", 6)
    ]
    records, issues = run(tmp_path, subset="val")
    assert records == [] and codes(issues) == ["unreadable_payload"]
    assert issues[0].location.file == "ImageSets/Main/val.txt"


def test_bad_options() -> None:
    for options in ({"origin": "2"}, {"zeros": "no"}, {"subset": "../x"}):
        with pytest.raises(InvalidInputError):
            list(voc.read(Path("."), lambda i: None, options))


def test_subset_needs_a_folder(tmp_path: Path) -> None:
    path = put(tmp_path, "a.xml", doc())
    with pytest.raises(InvalidInputError):
        run(path, subset="train")


def test_missing_payload(tmp_path: Path) -> None:
    records, issues = run(tmp_path / "nope")
    assert records == [] and codes(issues) == ["unreadable_payload"]


def test_folder_without_xml_is_reported(tmp_path: Path) -> None:
    empty = tmp_path / "labels"
    put(empty, "a.json", "{}")
    put(empty, ".hidden.xml", doc())
    records, issues = run(empty)
    assert records == []
    assert [(i.code, i.message, i.location.file) for i in issues] == [
        ("unreadable_payload", "no VOC XML files under labels", ".")
    ]
    (tmp_path / "voc" / "Annotations").mkdir(parents=True)
    records, issues = run(tmp_path / "voc")
    assert records == []
    assert [(i.code, i.message) for i in issues] == [
        ("unreadable_payload", "no VOC XML files under voc/Annotations")
    ]


# --- structural errors: code and location, and the rest goes on ----------------------------------------


def test_invalid_xml_keeps_going(tmp_path: Path) -> None:
    put(tmp_path, "a.xml", "<annotation>\n<object>\n</annotation>\n")
    put(tmp_path, "b.xml", doc())
    records, issues = run(tmp_path)
    [bad] = issues
    assert (bad.code, bad.location.file, bad.location.line) == ("invalid_xml", "a.xml", 3)
    assert [r.location.file for r in records] == ["b.xml"]


@pytest.mark.parametrize(
    ("head", "line"),
    [
        ('<!DOCTYPE annotation [\n<!ENTITY x "boom">\n]>\n', 1),
        ('<?xml version="1.0"?>\n<!DOCTYPE annotation SYSTEM "http://example.com/voc.dtd">\n', 2),
    ],
)
def test_dtd_and_entities_refused(tmp_path: Path, head: str, line: int) -> None:
    path = put(tmp_path, "a.xml", doc(head=head))
    records, issues = run(path)
    assert records == []
    [bad] = issues
    assert (bad.code, bad.location.file, bad.location.line) == ("invalid_xml", "a.xml", line)
    assert "refused" in bad.message


def test_billion_laughs_refused(tmp_path: Path) -> None:
    bomb = '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>\n'
    path = put(tmp_path, "a.xml", bomb + "<annotation>&lol2;</annotation>")
    records, issues = run(path)
    assert records == [] and codes(issues) == ["invalid_xml"]


def test_wrong_root(tmp_path: Path) -> None:
    path = put(tmp_path, "a.xml", '<annotations><image name="a.jpg"/></annotations>')
    records, issues = run(path)
    assert records == []
    [bad] = issues
    assert (bad.code, bad.location.pointer, bad.location.line) == ("wrong_type", "/annotations", 1)
    assert "cvat" in (bad.hint or "")


def test_object_errors(tmp_path: Path) -> None:
    path = put(
        tmp_path,
        "a.xml",
        doc(
            obj(None),
            obj(""),
            obj("dog", None),
            obj("dog", ("1", "2", "x", "4")),
            obj("dog", more="<truncated>2</truncated>"),
            "<object><name>dog</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax></bndbox></object>",
            obj("ok"),
        ),
    )
    [rec], issues = run(path)
    got = [(i.code, i.location.pointer, i.location.line) for i in issues]
    assert got == [
        ("missing_field", "/annotation/object[1]/name", 6),
        ("invalid_value", "/annotation/object[2]/name", 7),
        ("missing_field", "/annotation/object[3]/bndbox", 8),
        ("wrong_type", "/annotation/object[4]/bndbox/xmax", 9),
        ("invalid_value", "/annotation/object[5]/truncated", 10),
        ("missing_field", "/annotation/object[6]/bndbox/ymax", 11),
    ]
    assert all(i.location.data_row == "000001.jpg" for i in issues)
    # the bad flag is reported and dropped, its box kept; the good object is there
    assert [a.name for a in rec.annotations] == ["dog", "ok"]
    assert rec.annotations[0].extra is None


def test_attribute_block_errors(tmp_path: Path) -> None:
    block = (
        "<attributes>"
        "<attribute><value>x</value></attribute>"
        "<attribute><name>a</name></attribute>"
        "<attribute><name>difficult</name><value>1</value></attribute>"
        "<junk/>"
        "</attributes>"
    )
    path = put(tmp_path, "a.xml", doc(obj("dog", more="<difficult>0</difficult>" + block)))
    [rec], issues = run(path)
    assert [(i.code, i.location.pointer) for i in issues] == [
        ("missing_field", "/annotation/object[1]/attributes/attribute[1]/name"),
        ("missing_field", "/annotation/object[1]/attributes/attribute[2]/value"),
        ("unknown_field", "/annotation/object[1]/attributes/attribute[3]"),
        ("unknown_field", "/annotation/object[1]/attributes/junk[4]"),
    ]
    assert rec.annotations[0].extra == {"attributes": {"difficult": False}}


def test_parts_and_segmentation_are_reported(tmp_path: Path) -> None:
    part = "<part><name>head</name>" + obj(None, (1, 1, 3, 3))[8:-9] + "</part>"
    text = doc(obj("person", more=part)).replace("<segmented>0</segmented>", "<segmented>1</segmented>")
    [rec], issues = run(put(tmp_path, "a.xml", text))
    seg, bad = issues
    assert (seg.code, seg.severity, seg.location.pointer) == (
        "unsupported_annotation",
        Severity.WARNING,
        "/annotation/segmented",
    )
    assert (bad.code, bad.severity, bad.location.pointer, bad.value) == (
        "unsupported_annotation",
        Severity.ERROR,
        "/annotation/object[1]/part[1]",
        "head",
    )
    assert [a.name for a in rec.annotations] == ["person"]


def test_unknown_elements_warn(tmp_path: Path) -> None:
    actions = "<actions><jumping>1</jumping></actions><point><x>1</x><y>2</y></point><colour>red</colour>"
    text = doc(obj("person", more=actions)).replace(
        "<folder>", "<owner><name>me</name></owner><extra/><folder>"
    )
    [rec], issues = run(put(tmp_path, "a.xml", text))
    assert [(i.code, i.severity, i.location.pointer) for i in issues] == [
        ("unknown_field", Severity.WARNING, "/annotation/extra"),
        ("unknown_field", Severity.WARNING, "/annotation/object[1]/actions"),
        ("unknown_field", Severity.WARNING, "/annotation/object[1]/point"),
        ("unknown_field", Severity.WARNING, "/annotation/object[1]/colour"),
    ]
    assert len(rec.annotations) == 1


@pytest.mark.parametrize(
    ("size", "code", "pointer"),
    [
        ("<size><width>10</width></size>", "missing_field", "/annotation/size/height"),
        ("<size><width>ten</width><height>5</height></size>", "wrong_type", "/annotation/size/width"),
        ("<size><width>10</width><height>-5</height></size>", "invalid_value", "/annotation/size/height"),
    ],
)
def test_size_errors(tmp_path: Path, size: str, code: str, pointer: str) -> None:
    [rec], issues = run(put(tmp_path, "a.xml", doc(size=size)))
    assert [(i.code, i.location.pointer) for i in issues] == [(code, pointer)]
    assert rec.image_size is None


def test_non_finite_passes_to_validation(tmp_path: Path) -> None:
    [rec], issues = run(put(tmp_path, "a.xml", doc(obj("dog", ("nan", "2", "inf", "4")))))
    assert issues == []
    g = rec.annotations[0].geometry
    assert math.isnan(g[0]) and math.isnan(g[2]) and g[1] == 1


def test_every_code_is_catalogued(tmp_path: Path) -> None:
    for code in ("invalid_xml", "wrong_type", "missing_field", "invalid_value", "unknown_field"):
        assert code in CODES
    assert "unsupported_annotation" in CODES and "unreadable_payload" in CODES


# --- writing -----------------------------------------------------------------------------------------


def row(
    filename: str, annotations: list[Annotation], parent: str = "/", size: tuple[int, int] | None = (353, 500)
) -> ExportRow:
    ref = RowRef(id="r", global_key=f"{parent.rstrip('/')}/{filename}", parent_path=parent, filename=filename)
    md = {"width": size[0], "height": size[1]} if size else {}
    return ExportRow(ref=ref, media_type="image", metadata=md, annotations=annotations)


def box(g: list[Any], name: str = "dog", **extra: Any) -> Annotation:
    return Annotation(kind="bbox", name=name, geometry=g, extra={"tool": "rectangle", **extra})


def xml_of(path: Path) -> Any:
    return safe_parse(str(path), forbid_dtd=True).getroot()


def test_write_layout_and_text(tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = voc.write(
        [
            row("a.jpg", [box([47, 239, 148, 132], attributes={"pose": "Left", "truncated": True})]),
            row("b.png", [box([47.5, 0.1, 147.7, 10])], parent="/sub/dir", size=None),
        ],
        out,
        CTX,
    )
    assert (summary.rows, summary.annotations, summary.not_expressible) == (2, 2, [])
    a = xml_of(out / "Annotations/a.xml")
    assert [c.tag for c in a] == ["folder", "filename", "size", "segmented", "object"]
    assert (a.findtext("folder"), a.findtext("filename"), a.findtext("size/depth")) == ("", "a.jpg", "3")
    o = a.find("object")
    assert [c.tag for c in o] == ["name", "pose", "truncated", "bndbox"]
    assert [o.findtext(f"bndbox/{k}") for k in ("xmin", "ymin", "xmax", "ymax")] == [
        "48",
        "240",
        "195",
        "371",
    ]
    b = xml_of(out / "Annotations/sub/dir/b.xml")
    assert (b.findtext("folder"), b.findtext("filename"), b.find("size")) == ("sub/dir", "b.png", None)
    assert [b.findtext(f"object/bndbox/{k}") for k in ("xmin", "ymin", "xmax", "ymax")] == [
        "48.5",
        "1.1",
        "195.2",
        "10.1",
    ]
    assert (out / "ImageSets/Main/default.txt").read_text() == "a\nsub/dir/b\n"
    assert (out / "labelmap.txt").read_text() == "# label:color_rgb:parts:actions\ncar:255,128,0::\ndog:::\n"


# Cases where float arithmetic (xmin - 1, xmax - x, x + w) would drift by a last bit.
FLOAT_CASES = [
    [47.5, 239.0, 147.7, 132.0],  # 48.5/195.2 in the file
    [0.1, 0.2, 0.7, 0.30000000000000004],
    [1e-7, 3.3333333333333335, 1.1, 2.2],
    [123456.789, 0.5, 1e-12, 98765.4321],
    [199.99999999999997, 5e-324, 0.1, 1.7976931348623157e300],
]


@pytest.mark.parametrize("origin", ["1", "0"])
@pytest.mark.parametrize("g", FLOAT_CASES)
def test_float_round_trip_exact(tmp_path: Path, g: list[float], origin: str) -> None:
    out = tmp_path / "out"
    ctx = ExportContext(project="p", media_type="image", ontology=ONTOLOGY, options={"origin": origin})
    voc.write([row("a.jpg", [box(g)], size=None)], out, ctx)
    [rec], issues = run(out, origin=origin)
    assert issues == []
    got = rec.annotations[0].geometry
    assert got == g and all(float(a).hex() == float(b).hex() for a, b in zip(got, g, strict=True))


def test_file_text_reproduced(tmp_path: Path) -> None:
    """Import → export writes back the very numbers of the file (48.5/195.2 included)."""
    src = put(tmp_path, "in/a.xml", doc(obj("dog", ("48.5", "240", "195.2", "371.25"))))
    [rec], _ = run(src)
    out = tmp_path / "out"
    voc.write([row("000001.jpg", rec.annotations)], out, CTX)
    o = xml_of(out / "Annotations/000001.xml")
    assert [o.findtext(f"object/bndbox/{k}") for k in ("xmin", "ymin", "xmax", "ymax")] == [
        "48.5",
        "240",
        "195.2",
        "371.25",
    ]


def test_round_trip_identical(tmp_path: Path) -> None:
    more = "<pose>Frontal</pose><truncated>0</truncated><occluded>1</occluded><difficult>0</difficult>"
    block = (
        "<attributes><attribute><name>color</name><value>red</value></attribute>"
        "<attribute><name>tags</name><value>a</value></attribute>"
        "<attribute><name>tags</name><value>b</value></attribute></attributes>"
    )
    put(tmp_path, "in/Annotations/000001.xml", doc(obj("dog", (48, 240, 195, 371), more + block)))
    put(
        tmp_path,
        "in/Annotations/sub/x.xml",
        doc(obj("car", ("1.5", "2.25", "300.125", "499")), filename="x.jpg"),
    )
    first, issues = run(tmp_path / "in")
    assert issues == []
    rows = [row(r.row.filename or "", r.annotations) for r in first]
    rows[1] = row("x.jpg", first[1].annotations, parent="/sub")
    out = tmp_path / "out"
    assert voc.write(rows, out, CTX).not_expressible == []
    again, issues = run(out)
    assert issues == []
    assert [r.row for r in again] == [r.row for r in first]
    for r in [*first, *again]:  # the writer lays elements out its own way: lines differ, shapes may not
        for a in r.annotations:
            assert a.line is not None
            a.line = None
    assert [r.annotations for r in again] == [r.annotations for r in first]
    assert [r.image_size for r in again] == [r.image_size for r in first]


def test_answers_become_elements_and_attributes(tmp_path: Path) -> None:
    ann = box(
        [0, 0, 10, 10],
        attributes={"note": "kept"},
    )
    ann.classifications = [
        Answer(name="difficult", value=Choice(name="true")),
        Answer(name="occluded", value=[Choice(name="front"), Choice(name="back")]),
        Answer(name="truncated", value=Choice(name="0")),
        Answer(name="pose", value="Rear"),
        Answer(name="count", value="3"),
    ]
    out = tmp_path / "out"
    summary = voc.write([row("a.jpg", [ann])], out, CTX)
    assert summary.not_expressible == []
    o = xml_of(out / "Annotations/a.xml").find("object")
    assert [c.tag for c in o] == ["name", "pose", "truncated", "difficult", "bndbox", "attributes"]
    assert (o.findtext("pose"), o.findtext("truncated"), o.findtext("difficult")) == ("Rear", "0", "1")
    pairs = [(a.findtext("name"), a.findtext("value")) for a in o.find("attributes")]
    assert pairs == [("note", "kept"), ("occluded", "front"), ("occluded", "back"), ("count", "3")]
    [rec], _ = run(out)
    assert rec.annotations[0].extra == {
        "attributes": {
            "pose": "Rear",
            "truncated": False,
            "difficult": True,
            "note": "kept",
            "occluded": ["front", "back"],
            "count": "3",
        }
    }


def test_zeros_absent_writes_every_flag(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ctx = ExportContext(project="p", media_type="image", ontology=ONTOLOGY, options={"zeros": "absent"})
    voc.write([row("a.jpg", [box([0, 0, 5, 5], attributes={"occluded": True})])], out, ctx)
    o = xml_of(out / "Annotations/a.xml").find("object")
    assert [(c.tag, c.text) for c in o][1:4] == [("truncated", "0"), ("occluded", "1"), ("difficult", "0")]
    [rec], _ = run(out, zeros="absent")
    assert rec.annotations[0].extra == {"attributes": {"occluded": True}}


def test_write_reports_what_voc_cannot_carry(tmp_path: Path) -> None:
    nested = box([0, 0, 5, 5])
    nested.classifications = [
        Answer(name="color", value=Choice(name="red", classifications=[Answer(name="s")]))
    ]
    anns = [
        Annotation(kind="polygon", name="lake", geometry=[[0, 0, 5, 0, 5, 5]]),
        box([10, 10, 5, 5, 30]),
        box([10, 10, 5, 5, 360]),  # a turn of 360 degrees is no turn
        Annotation(kind="radio", name="weather", answer=Answer(name="weather", value=Choice(name="sunny"))),
        Annotation(kind="classification", name=None, answer=Answer(value="day", loose=True)),
        box([1, 1, 2, 2], name=""),
        box([1, 1, 2, 2], attributes={"empty": [], "deep": {"a": 1}, "none": None}),
        nested,
    ]
    out = tmp_path / "out"
    ctx = ExportContext(project="p", media_type="image", ontology=BAD_NAME)
    summary = voc.write([row("a.jpg", anns), row("a.png", [box([0, 0, 1, 1])])], out, ctx)
    msgs = [i.message for i in summary.not_expressible]
    assert all(i.code == "unsupported_annotation" for i in summary.not_expressible)
    assert msgs == [
        "VOC cannot carry a polygon (`lake`): VOC carries boxes only",
        "VOC cannot carry a rotated box (`dog`, 30 degrees)",
        "VOC cannot carry the image-level classification `weather`",
        "VOC cannot carry the image-level classification `label`",
        "VOC cannot carry a box without a class name",
        "VOC cannot carry the empty list answer of `empty`",
        "VOC cannot carry the attribute `deep` (a dict value)",
        "VOC cannot carry the attribute `none` (no value)",
        "VOC cannot carry the answers nested under `color` of `dog`",
        "VOC cannot carry a second image 'a' (another extension): VOC names items by path without extension",
        "VOC labelmap.txt cannot carry the class 'a:b' (':' separates its fields)",
    ]
    assert summary.not_expressible[-2].location.data_row == "/a.png"
    assert (summary.rows, summary.annotations) == (1, 3)


def test_write_options_and_refusals(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ctx = ExportContext(project="p", media_type="image", ontology=ONTOLOGY, options={"subset": "trainval"})
    voc.write([row("a.jpg", [])], out, ctx)
    assert (out / "ImageSets/Main/trainval.txt").read_text() == "a\n"
    assert xml_of(out / "Annotations/a.xml").find("object") is None
    with pytest.raises(InvalidInputError) as exc:
        voc.write([], out, CTX)  # a used folder: refused, nothing overwritten
    assert (exc.value.code, exc.value.hint) == ("output_exists", "choose a new path or empty it")
    (tmp_path / "file.xml").write_text("old")
    with pytest.raises(InvalidInputError) as exc:
        voc.write([], tmp_path / "file.xml", CTX)  # a file where the folder goes
    assert exc.value.code == "output_exists"
    assert (tmp_path / "file.xml").read_text() == "old"
    with pytest.raises(ValueError, match="safe relative path"):
        voc.write([row("a.jpg", [], parent="/../up")], tmp_path / "o2", CTX)
    with pytest.raises(InvalidInputError):
        voc.write(
            [],
            tmp_path / "o3",
            ExportContext(project="p", media_type="image", ontology=ONTOLOGY, options={"origin": "x"}),
        )


def test_export_then_read_by_subset(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ctx = ExportContext(project="p", media_type="image", ontology=ONTOLOGY, options={"subset": "val"})
    voc.write([row("a.jpg", [box([0, 0, 3, 3])]), row("b.jpg", [], parent="/s")], out, ctx)
    records, issues = run(out, subset="val")
    assert issues == [] and [r.row.filename for r in records] == ["a.jpg", "s/b.jpg"]


# --- detection ---------------------------------------------------------------------------------------


def test_detect_voc_folder(tmp_path: Path) -> None:
    put(tmp_path, "Annotations/a.xml", doc(obj()))
    put(tmp_path, "ImageSets/Main/trainval.txt", "a\n")
    put(tmp_path, "ImageSets/Main/test.txt", "")
    d = voc.detect(tmp_path)
    assert d.confidence == 0.95
    assert d.reasons == [
        "a VOC folder: Annotations/ holds <annotation> files (1 checked)",
        "ImageSets/Main lists test, trainval (--option subset=NAME)",
    ]


def test_detect_plain_folder_and_file_with_origin_evidence(tmp_path: Path) -> None:
    put(tmp_path, "a.xml", doc(obj("dog", (0, 5, 10, 10))))
    put(tmp_path, "b.xml", doc(obj("dog", ("2.5", 5, 10, 10))))
    d = voc.detect(tmp_path)
    assert d.confidence == 0.85
    assert d.reasons[0] == "a folder of Pascal VOC <annotation> files (2 checked)"
    assert d.reasons[1] == "a.xml has a box with xmin = 0: it looks 0-based (--option origin=0)"
    assert d.reasons[2].startswith("b.xml has fractional coordinates")
    f = voc.detect(tmp_path / "a.xml")
    assert f.confidence == 0.9 and f.reasons[0] == "a.xml is a Pascal VOC <annotation>"


def test_detect_signs_of_a_zero_based_writer(tmp_path: Path) -> None:
    datumaro = "<source><database>Unknown</database><annotation>Unknown</annotation></source>"
    attrs = "<attributes><attribute><name>c</name><value>red</value></attribute></attributes>"
    put(tmp_path, "d/a.xml", doc(obj(more=attrs)).replace("<folder>", datumaro + "<folder>"))
    put(tmp_path, "d/labelmap.txt", "# label:color_rgb:parts:actions\ndog:0,0,0::\n")
    assert voc.detect(tmp_path / "d").reasons[1:] == [
        "a.xml: <source> as Datumaro/CVAT write it (their default is 0-based: --option origin=0; keep "
        "the default for coordinate_mode=voc-one-based)"
    ]  # <attributes> and labelmap.txt say the same, more weakly: not repeated
    put(tmp_path, "e/a.xml", doc(obj(more=attrs)))
    put(tmp_path, "e/labelmap.txt", "")
    assert voc.detect(tmp_path / "e").reasons[1:] == [
        "a.xml: <attributes> in objects, as Datumaro/CVAT write (their default is 0-based: --option "
        "origin=0)",
        "a labelmap.txt, as Datumaro/CVAT write (their default is 0-based: --option origin=0; "
        "labelport's export writes one too, under the origin it was given)",
    ]
    globox = "<annotation><filename>a.jpg</filename><size><width>9</width><height>9</height></size>"
    globox += "<object><name>dog</name><bndbox><xmin>2.0</xmin><ymin>1.0</ymin><xmax>3.0</xmax>"
    put(tmp_path, "g/a.xml", globox + "<ymax>4.0</ymax></bndbox></object></annotation>")
    assert voc.detect(tmp_path / "g").reasons[1:] == [
        "a.xml: whole corners written as floats (2.0), as globox does (0-based: --option origin=0)",
        "a.xml: globox's layout (no <folder>, <segmented>, <depth>), 0-based: --option origin=0",
    ]
    # the devkit's and LabelImg's files say nothing of the kind
    labelimg = "<source><database>Unknown</database></source>"
    put(tmp_path, "v/a.xml", doc(obj()).replace("<folder>", labelimg + "<folder>"))
    assert voc.detect(tmp_path / "v").reasons == ["a folder of Pascal VOC <annotation> files (1 checked)"]


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({}, "no .xml files"),
        ({"Annotations/readme.txt": "x"}, "Annotations/ holds no .xml files"),
        (
            {"a.xml": "<annotations/>"},
            "a.xml: the root element is <annotations>, not <annotation> (CVAT for images XML?)",
        ),
        (
            {
                "a.xml": "<annotation><filename>a.jpg</filename><imagesize/>"
                "<object><polygon/></object></annotation>"
            },
            "a.xml: <annotation> has neither <size> nor <bndbox> (MIT LabelMe XML has <imagesize>)",
        ),
    ],
)
def test_detect_non_matches(tmp_path: Path, files: dict[str, str], reason: str) -> None:
    for rel, text in files.items():
        put(tmp_path, rel, text)
    d = voc.detect(tmp_path)
    assert (d.confidence, d.reasons) == (0.0, [reason])


def test_detect_refuses_bad_files(tmp_path: Path) -> None:
    put(tmp_path, "x/a.xml", "<annotation>")
    assert voc.detect(tmp_path / "x").reasons[0].startswith("a.xml is not usable XML")
    put(tmp_path, "y/a.xml", '<!DOCTYPE a [<!ENTITY x "y">]><annotation/>')
    assert voc.detect(tmp_path / "y").confidence == 0.0
    assert voc.detect(put(tmp_path, "z.json", "{}")).reasons == ["z.json is not an .xml file"]
    assert voc.detect(tmp_path / "missing").confidence == 0.0


def test_spec() -> None:
    assert voc.SPEC.name == "voc" and voc.SPEC.read is voc.read and voc.SPEC.write is voc.write
    assert set(voc.SPEC.options) == {"origin", "subset", "zeros"}
    assert voc.SPEC.carries
