"""CVAT for images 1.1 XML: reading every shape, the issues the reader reports (code and
location), writing, what export cannot carry, and detection.

The fixture ``fixtures/cvat/annotations.xml`` is written by hand the way CVAT's own exporter lays a task out
(``cvat/apps/dataset_manager/formats/cvat.py``: ``source``/``occluded`` first, two decimals,
``z_order`` on every shape, ``rotation`` only when not 0, masks as ``rle left top width height``,
skeleton points as ``<points>`` children with ``outside``/``occluded``, sub-labels in ``<meta>``
with ``<parent>``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from defusedxml import ElementTree

from labelport.formats import cvat, masks
from labelport.formats.base import ExportContext, ExportRow
from labelport.model.errors import InvalidInputError
from labelport.model.issues import Issue, Location, Severity
from labelport.model.ontology import parse_ontology
from labelport.model.records import Annotation, Answer, Choice, Record, RowRef

FIXTURE = Path(__file__).parent / "fixtures" / "cvat" / "annotations.xml"
CVAT_XML = FIXTURE.read_text(encoding="utf-8")

ONTOLOGY = {
    "tools": [
        {
            "name": "car",
            "tool": "rectangle",
            "color": "#ff0000",
            "classifications": [
                {
                    "name": "color",
                    "type": "radio",
                    "options": [
                        {"value": "red", "options": [{"name": "shade", "type": "text"}]},
                        {"value": "blue"},
                    ],
                },
                {"name": "parts", "type": "checklist", "options": [{"value": "door"}, {"value": "wheel"}]},
                {"name": "note", "type": "text"},
            ],
        },
        {"name": "lake", "tool": "polygon"},
        {"name": "road", "tool": "line"},
        {"name": "eye", "tool": "point"},
        {"name": "blob", "tool": "ellipse"},
        {"name": "seg", "tool": "raster-segmentation"},
        {
            "name": "person",
            "tool": "skeleton",
            "keypoints": ["head", "hand", "foot"],
            "edges": [[1, 2], [2, 3]],
        },
        {"name": "box3d", "tool": "cuboid"},
    ],
    "classifications": [
        {"name": "weather", "type": "radio", "options": [{"value": "sunny"}, {"value": "car"}]},
        {"name": "caption", "type": "text"},
    ],
}
CTX = ExportContext(project="streets", media_type="image", ontology=parse_ontology(ONTOLOGY))


NOT_OCCLUDED = {"occluded": False}


def put(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(payload: Path) -> tuple[list[Record], list[Issue]]:
    """Read a payload; each annotation's own line is checked here and then cleared, so the tests
    below compare shapes (the lines are the elements' start tags, after the image's)."""
    issues: list[Issue] = []
    records = list(cvat.read(payload, issues.append, {}))
    for r in records:
        for a in r.annotations:
            assert a.line is not None and r.location.line is not None and a.line >= r.location.line
            a.line = None
    return records, issues


def doc(images: str, meta: str = "") -> str:
    head = '<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n<version>1.1</version>\n'
    return f"{head}{meta}{images}</annotations>\n"


def image(body: str, name: str = "a.png", extra: str = 'width="200" height="100"') -> str:
    return f'<image id="0" name="{name}" {extra}>\n{body}\n</image>\n'


# --- reading ---------------------------------------------------------------------------------------


def test_every_shape_as_cvat_writes_it(tmp_path: Path) -> None:
    put(tmp_path, "annotations.xml", CVAT_XML)
    records, issues = run(tmp_path)
    assert issues == []
    first, second = records
    assert first.row == RowRef(filename="img-1.png") and first.image_size == (200, 100)
    assert first.location == Location(
        file="annotations.xml", line=66, pointer="/annotations/image[@id='0']", data_row="img-1.png"
    )
    assert second.row == RowRef(filename="sub/img-2.png") and second.annotations == []
    img = "/annotations/image[@id='0']"
    a = first.annotations
    assert a[0] == Annotation(
        kind="bbox",
        name="car",
        geometry=[10.5, 20.0, 99.75, 50.0, 30.0],
        extra={
            "z_order": 2,
            "group_id": 3,
            "source": "manual",
            "attributes": {"color": "red", "parked": "false", "occluded": True},
        },
        pointer=f"{img}/box[1]",
    )
    assert (a[1].kind, a[1].name, a[1].geometry, a[1].extra) == (
        "polygon",
        "lake",
        [[1.0, 1.0, 5.0, 1.0, 5.0, 5.0]],
        {"source": "manual", "attributes": NOT_OCCLUDED},
    )
    assert (a[2].kind, a[2].geometry) == ("line", [0.0, 0.0, 10.0, 10.0])
    assert (a[3].kind, a[3].geometry, a[3].extra) == (
        "point",
        [3.5, 4.0],
        {"source": "manual", "attributes": NOT_OCCLUDED},
    )
    # one <points> of three points: three point annotations that know they belong together
    assert [(p.kind, p.geometry, p.extra, p.pointer) for p in a[4:7]] == [
        (
            "point",
            xy,
            {"group_id": 4, "source": "manual", "attributes": NOT_OCCLUDED, "cvat_points": [i, 3]},
            f"{img}/points[2]",
        )
        for i, xy in enumerate([[1.0, 2.0], [7.0, 8.0], [9.0, 9.5]])
    ]
    assert (a[7].kind, a[7].geometry) == ("ellipse", [50.0, 50.0, 10.0, 5.0, 15.0])
    assert a[8].kind == "mask"
    assert a[8].extra == {"z_order": 1, "source": "semi-auto", "attributes": NOT_OCCLUDED}
    expected = np.zeros((100, 200), bool)
    expected[10, 20:22] = True
    expected[11, 20:23] = True
    assert (masks.decode(a[8].geometry) == expected).all()
    assert a[9] == Annotation(
        kind="keypoints",
        name="person",
        geometry=[9.0, 9.0, 1.0, 0.0, 0.0, 0.0, 5.0, 5.0, 0.0],
        extra={
            "source": "manual",
            "element_attributes": {"head": {"looking": "left"}},
            "keypoint_names": ["head", "hand", "foot"],
        },
        pointer=f"{img}/skeleton[1]",
    )
    assert a[10] == Annotation(
        kind="classification",
        answer=Answer(value="sunny", loose=True, pointer=f"{img}/tag[1]"),
        extra={"source": "manual", "attributes": {"confidence": "high"}},
        pointer=f"{img}/tag[1]",
    )
    assert len(a) == 11


def test_globox_style_without_version_meta_or_ids(tmp_path: Path) -> None:
    path = put(
        tmp_path,
        "boxes.xml",
        '<annotations><image name="a.png" width="640" height="480">'
        '<box label="cat" xtl="1.5" ytl="2" xbr="3" ybr="4.25" /></image>'
        '<image name="b.png" width="640" height="480" /></annotations>',
    )
    records, issues = run(path)
    assert issues == []
    assert [r.row.filename for r in records] == ["a.png", "b.png"]
    assert records[0].annotations[0].geometry == [1.5, 2.0, 1.5, 2.25]
    assert records[0].annotations[0].pointer == "/annotations/image[1]/box[1]"
    assert records[1].location.pointer == "/annotations/image[2]"


def test_folder_of_subset_files(tmp_path: Path) -> None:
    put(tmp_path, "train.xml", doc(image('<box label="a" xtl="0" ytl="0" xbr="1" ybr="1"/>')))
    put(tmp_path, "val.xml", doc(image("", name="b.png")))
    put(tmp_path, "images/x.xml.txt", "not read")
    records, issues = run(tmp_path)
    assert issues == []
    assert [(r.location.file, r.row.filename) for r in records] == [
        ("train.xml", "a.png"),
        ("val.xml", "b.png"),
    ]


def test_zero_rotation_and_datumaro_fields_are_dropped(tmp_path: Path) -> None:
    body = (
        '<box label="a" occluded="0" outside="0" keyframe="0" xtl="0" ytl="0" xbr="1" ybr="1" '
        'rotation="0.00" z_order="0" group_id="0"/>'
    )
    [rec], issues = run(put(tmp_path, "a.xml", doc(image(body))))
    assert issues == []
    assert rec.annotations[0].geometry == [0.0, 0.0, 1.0, 1.0]
    assert rec.annotations[0].extra == {"attributes": NOT_OCCLUDED}  # occluded="0" is stated: false


def test_occluded_is_the_object_attribute_occluded(tmp_path: Path) -> None:
    """One convention with VOC: CVAT's flag is the attribute `occluded`, a bool, only when stated."""
    body = (
        '<box label="a" occluded="1" xtl="0" ytl="0" xbr="1" ybr="1"/>\n'
        '<box label="a" occluded="0" xtl="0" ytl="0" xbr="1" ybr="1"/>\n'
        '<box label="a" xtl="0" ytl="0" xbr="1" ybr="1"/>\n'
        '<box label="a" occluded="1" xtl="0" ytl="0" xbr="1" ybr="1">'
        '<attribute name="occluded">false</attribute></box>'
    )
    [rec], issues = run(put(tmp_path, "a.xml", doc(image(body))))
    assert [a.extra for a in rec.annotations] == [
        {"attributes": {"occluded": True}},
        {"attributes": {"occluded": False}},
        None,
    ]
    assert all("occluded" not in (a.extra or {}) for a in rec.annotations)  # never a plain key
    assert [(i.code, i.location.pointer, i.location.line) for i in issues] == [
        ("invalid_value", "/annotations/image[@id='0']/box[4]/@occluded", 8)
    ]


def test_track_is_reported_not_dropped(tmp_path: Path) -> None:
    track = (
        '<track id="4" label="car" source="manual">\n'
        '<box frame="0" keyframe="1" outside="0" occluded="0" xtl="1" ytl="1" xbr="5" ybr="5" z_order="0"/>\n'
        "</track>\n"
    )
    records, issues = run(put(tmp_path, "a.xml", doc(image("") + track)))
    assert len(records) == 1
    [i] = issues
    assert i.code == "unsupported_annotation" and "issue #5" in i.message
    assert i.location == Location(file="a.xml", line=7, pointer="/annotations/track[@id='4']")


@pytest.mark.parametrize(
    ("body", "code", "pointer"),
    [
        ('<box xtl="0" ytl="0" xbr="1" ybr="1"/>', "missing_field", "/box[1]"),
        ('<box label="a" xtl="0" ytl="0" xbr="1"/>', "missing_field", "/box[1]"),
        ('<box label="a" xtl="zero" ytl="0" xbr="1" ybr="1"/>', "wrong_type", "/box[1]/@xtl"),
        (
            '<box label="a" occluded="yes" xtl="0" ytl="0" xbr="1" ybr="1"/>',
            "invalid_value",
            "/box[1]/@occluded",
        ),
        (
            '<box label="a" z_order="top" xtl="0" ytl="0" xbr="1" ybr="1"/>',
            "invalid_value",
            "/box[1]/@z_order",
        ),
        ('<polygon label="a" points="1,2;3"/>', "invalid_value", "/polygon[1]/@points"),
        ('<polyline label="a"/>', "missing_field", "/polyline[1]"),
        ('<ellipse label="a" cx="1" cy="1" rx="1"/>', "missing_field", "/ellipse[1]"),
        (
            '<box label="a" xtl="0" ytl="0" xbr="1" ybr="1"><attribute name="c">x</attribute>'
            '<attribute name="c">y</attribute></box>',
            "invalid_value",
            "/box[1]/attribute[2]",
        ),
        (
            '<box label="a" xtl="0" ytl="0" xbr="1" ybr="1"><attribute>x</attribute></box>',
            "missing_field",
            "/box[1]/attribute[1]",
        ),
        (
            '<mask label="m" rle="1, x" left="0" top="0" width="1" height="2"/>',
            "invalid_value",
            "/mask[1]/@rle",
        ),
        ('<mask label="m" rle="0, 2" left="199" top="0" width="2" height="1"/>', "mask_invalid", "/mask[1]"),
        ('<mask label="m" rle="0, 3" left="0" top="0" width="2" height="1"/>', "mask_invalid", "/mask[1]"),
        ('<mask label="m" rle="0, 2" left="0" width="2" height="1"/>', "missing_field", "/mask[1]"),
        ('<cuboid label="c" xtl1="0"/>', "unsupported_annotation", "/cuboid[1]"),
        (
            '<skeleton label="who"><points label="x" points="1,1"/></skeleton>',
            "unsupported_annotation",
            "/skeleton[1]",
        ),
    ],
)
def test_bad_elements_are_reported_and_the_rest_goes_on(
    tmp_path: Path, body: str, code: str, pointer: str
) -> None:
    good = '<polyline label="road" points="0,0;1,1"/>'
    [rec], issues = run(put(tmp_path, "a.xml", doc(image(f"{body}\n{good}"))))
    assert [(i.code, i.location.pointer, i.location.line) for i in issues] == [
        (code, "/annotations/image[@id='0']" + pointer, 5)
    ]
    assert issues[0].location.file == "a.xml" and issues[0].location.data_row == "a.png"
    assert [a.name for a in rec.annotations] == ["road"]


SKELETON_META = """<meta><task><labels>
<label><name>person</name><type>skeleton</type></label>
<label><name>head</name><type>points</type><parent>person</parent></label>
<label><name>foot</name><type>points</type><parent>person</parent></label>
</labels></task></meta>
"""


@pytest.mark.parametrize(
    ("points", "code", "pointer"),
    [
        ('<points label="tail" points="1,1"/>', "unknown_category", "/skeleton[1]/points[1]/@label"),
        (
            '<points label="head" points="1,1"/><points label="head" points="2,2"/>',
            "invalid_value",
            "/skeleton[1]/points[2]",
        ),
        ('<points label="head" points="1,1;2,2"/>', "invalid_value", "/skeleton[1]/points[1]/@points"),
        (
            '<points label="head" outside="2" points="1,1"/>',
            "invalid_value",
            "/skeleton[1]/points[1]/@outside",
        ),
        ('<points points="1,1"/>', "missing_field", "/skeleton[1]/points[1]"),
    ],
)
def test_bad_skeleton_points(tmp_path: Path, points: str, code: str, pointer: str) -> None:
    body = f'<skeleton label="person">{points}</skeleton>'
    [rec], issues = run(put(tmp_path, "a.xml", doc(image(body), SKELETON_META)))
    assert [(i.code, i.location.pointer) for i in issues] == [(code, "/annotations/image[@id='0']" + pointer)]
    assert rec.annotations == []


def test_skeleton_missing_points_are_absent(tmp_path: Path) -> None:
    body = '<skeleton label="person"><points label="foot" points="3,4"/></skeleton>'
    [rec], issues = run(put(tmp_path, "a.xml", doc(image(body), SKELETON_META)))
    assert issues == []
    assert rec.annotations[0].geometry == [0.0, 0.0, 0.0, 3.0, 4.0, 2.0]


def test_image_problems(tmp_path: Path) -> None:
    text = doc(
        '<image id="0" width="10" height="10"/>\n'
        '<image id="1" name="b.png" width="wide" height="10"/>\n'
        '<image id="2" name="c.png"><mask label="m" rle="0, 1" left="0" top="0" width="1" height="1"/>'
        "</image>\n"
    )
    records, issues = run(put(tmp_path, "a.xml", text))
    assert [(i.code, i.location.line, i.location.pointer) for i in issues] == [
        ("missing_field", 4, "/annotations/image[@id='0']"),
        ("wrong_type", 5, "/annotations/image[@id='1']/@width"),
        ("missing_field", 6, "/annotations/image[@id='2']/mask[1]"),
    ]
    assert [(r.row.filename, r.image_size) for r in records] == [("b.png", None), ("c.png", None)]


def test_unknown_elements_and_attributes_warn_once(tmp_path: Path) -> None:
    body = (
        '<box label="a" colour="red" xtl="0" ytl="0" xbr="1" ybr="1"/>\n'
        '<box label="a" colour="blue" xtl="0" ytl="0" xbr="1" ybr="1"/>\n'
        '<sticker label="a"/>'
    )
    [rec], issues = run(put(tmp_path, "a.xml", doc(image(body) + "<extras/>\n")))
    assert [(i.code, i.severity.value, i.location.line, i.location.pointer) for i in issues] == [
        ("unknown_field", "warning", 5, "/annotations/image[@id='0']/box[1]/@colour"),
        ("unknown_field", "warning", 7, "/annotations/image[@id='0']/sticker[1]"),
        ("unknown_field", "warning", 9, "/annotations/extras"),
    ]
    assert len(rec.annotations) == 2


def test_broken_xml_keeps_what_came_before(tmp_path: Path) -> None:
    text = doc(image('<box label="a" xtl="0" ytl="0" xbr="1" ybr="1"/>') + image("<box", name="b.png"))
    records, issues = run(put(tmp_path, "a.xml", text))
    assert [r.row.filename for r in records] == ["a.png"]
    [i] = issues
    assert (i.code, i.location.file, i.location.line) == ("invalid_xml", "a.xml", 9)


def test_entities_are_refused(tmp_path: Path) -> None:
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY lol "lol">]>\n'
        '<annotations><image name="&lol;.png"/></annotations>\n'
    )
    records, issues = run(put(tmp_path, "a.xml", text))
    assert records == []
    assert [(i.code, i.location.line) for i in issues] == [("invalid_xml", 2)]


def test_not_cvat_root(tmp_path: Path) -> None:
    records, issues = run(put(tmp_path, "voc.xml", "<annotation><filename>a.png</filename></annotation>"))
    assert records == []
    assert [(i.code, i.location.pointer) for i in issues] == [("invalid_value", "/annotation")]


def test_unreadable_payloads(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    _, issues = run(tmp_path / "empty")
    assert [i.code for i in issues] == ["unreadable_payload"]
    _, issues = run(tmp_path / "missing.xml")
    assert [i.code for i in issues] == ["unreadable_payload"]


# --- writing ---------------------------------------------------------------------------------------


def row(anns: list[Annotation], name: str = "a.png", parent: str = "/sub") -> ExportRow:
    return ExportRow(
        ref=RowRef(id="r1", global_key=f"{parent}/{name}", parent_path=parent, filename=name),
        media_type="image",
        metadata={"width": 200, "height": 100},
        annotations=anns,
    )


def written(tmp_path: Path, rows: list[ExportRow]) -> tuple[str, list[Record], list[Issue], Any]:
    out = tmp_path / "out"
    summary = cvat.write(rows, out, CTX)
    text = (out / "annotations.xml").read_text(encoding="utf-8")
    records, issues = run(out)
    return text, records, issues, summary


def test_read_write_read_is_exact(tmp_path: Path) -> None:
    put(tmp_path / "in", "annotations.xml", CVAT_XML)
    first, _ = run(tmp_path / "in")
    rows = [row(r.annotations, name=Path(str(r.row.filename)).name) for r in first]
    text, again, issues, summary = written(tmp_path, rows)
    assert issues == [] and summary.not_expressible == []
    assert summary.rows == 2 and summary.annotations == 11
    assert [r.annotations for r in again] == [r.annotations for r in first]
    assert [r.row.filename for r in again] == ["sub/img-1.png", "sub/img-2.png"]
    assert (
        '<points label="eye" points="1,2;7,8;9,9.5" source="manual" occluded="0" z_order="0" group_id="4"'
        in text
    )


def test_meta_lists_every_class_in_ontology_order(tmp_path: Path) -> None:
    text, records, issues, _ = written(tmp_path, [])
    assert records == [] and issues == []
    root = ElementTree.fromstring(text)
    names = [(label.findtext("name"), label.findtext("type")) for label in root.iter("label")]
    assert names == [
        ("car", "rectangle"),
        ("lake", "polygon"),
        ("road", "polyline"),
        ("eye", "points"),
        ("blob", "ellipse"),
        ("seg", "mask"),
        ("person", "skeleton"),
        ("head", "points"),
        ("hand", "points"),
        ("foot", "points"),
        ("sunny", "tag"),
    ]
    assert root.findtext("meta/task/name") == "streets"
    assert "<type>skeleton</type>" in text and "<parent>person</parent>" in text
    assert "<input_type>select</input_type>" in text and "<values>red\nblue</values>" in text
    assert 'data-node-from="1" data-node-to="2"' in text


def test_answers_become_attributes_and_tags(tmp_path: Path) -> None:
    car = Annotation(
        kind="bbox",
        name="car",
        geometry=[1, 2, 3, 4],
        classifications=[
            Answer(name="color", value=Choice(name="blue")),
            Answer(name="parts", value=[Choice(name="door")]),
            Answer(name="note", value="dented"),
        ],
        extra={"tool": "rectangle", "attributes": {"truncated": True, "score": 0.5}},
    )
    weather = Annotation(
        kind="radio", name="weather", answer=Answer(name="weather", value=Choice(name="sunny"))
    )
    _, [rec], issues, summary = written(tmp_path, [row([car, weather])])
    assert issues == [] and summary.not_expressible == [] and summary.annotations == 2
    box, tag = rec.annotations
    assert box.geometry == [1.0, 2.0, 3.0, 4.0]
    assert box.extra == {
        "attributes": {
            "truncated": "true",
            "score": "0.5",
            "color": "blue",
            "parts": "door",
            "note": "dented",
            "occluded": False,  # CVAT states it on every shape
        }
    }
    assert tag.kind == "classification" and tag.answer is not None and tag.answer.value == "sunny"


def test_what_cvat_cannot_carry_is_reported(tmp_path: Path) -> None:
    lost = [
        Annotation(kind="polygon", uid="u1", name="lake", geometry=[[0, 0, 1, 0, 1, 1], [5, 5, 6, 5, 6, 6]]),
        Annotation(
            kind="bbox",
            uid="u2",
            name="car",
            geometry=[1, 2, 3, 4],
            track_id="7",
            extra={"iscrowd": 0, "z_order": "top"},
            classifications=[
                Answer(
                    name="color", value=Choice(name="red", classifications=[Answer(name="shade", value="x")])
                ),
                Answer(name="parts", value=[Choice(name="door"), Choice(name="wheel")]),
            ],
        ),
        Annotation(kind="cuboid", uid="u3", name="box3d", geometry=[1, 2, 3, 4, 5, 6, 0]),
        Annotation(kind="text", uid="u4", name="caption", answer=Answer(name="caption", value="hi")),
        Annotation(kind="keypoints", uid="u5", name="person", geometry=[1, 1, 2]),
        Annotation(kind="mask", uid="u6", name="seg", geometry=masks.encode(np.zeros((100, 200), bool))),
    ]
    _, [rec], issues, summary = written(tmp_path, [row(lost)])
    assert issues == []
    got = [(i.location.annotation_id, i.message) for i in summary.not_expressible]
    assert got == [
        ("u1", "CVAT cannot carry a polygon with 2 rings (holes or parts)"),
        ("u2", "CVAT cannot carry the field `iscrowd`"),
        ("u2", "CVAT cannot carry track ids (CVAT video tracks are part of issue #5)"),
        ("u2", "CVAT cannot carry `z_order` 'top' (CVAT's is an integer)"),
        ("u2", "CVAT cannot carry the answers nested under `color`"),
        ("u2", "CVAT cannot carry `parts` with 2 options chosen (a CVAT attribute holds one)"),
        ("u3", "CVAT cannot carry `cuboid` annotations"),
        ("u4", "CVAT cannot carry the text classification `caption` (a CVAT tag is one label)"),
        ("u5", "CVAT cannot carry keypoints without a skeleton tool of as many points"),
        ("u6", "CVAT cannot carry an empty or undecodable mask"),
    ]
    assert all(
        i.code == "unsupported_annotation" and i.location.data_row == "/sub/a.png"
        for i in summary.not_expressible
    )
    assert [a.name for a in rec.annotations] == ["car"]  # the box itself is written
    assert summary.annotations == 1


def test_occluded_is_written_from_the_attribute_or_answer(tmp_path: Path) -> None:
    def box(uid: str, attrs: dict[str, Any] | None = None, **kw: Any) -> Annotation:
        extra = {"attributes": attrs} if attrs is not None else None
        return Annotation(kind="bbox", uid=uid, name="car", geometry=[1, 2, 3, 4], extra=extra, **kw)

    anns = [
        box("kept-true", {"occluded": True}),
        box("kept-false", {"occluded": False}),
        box("radio", classifications=[Answer(name="occluded", value=Choice(name="true"))]),
        box("checklist", classifications=[Answer(name="occluded", value=[Choice(name="1")])]),
        box("none"),
        box("partly", {"occluded": "partly"}),
        Annotation(kind="bbox", uid="legacy", name="car", geometry=[1, 2, 3, 4], extra={"occluded": True}),
    ]
    text, [rec], issues, summary = written(tmp_path, [row(anns)])
    assert issues == []
    flags = [
        ElementTree.fromstring(line.strip()).get("occluded") for line in text.splitlines() if "<box" in line
    ]
    assert flags == ["1", "0", "1", "1", "0", "0", "1"]
    assert [(i.location.annotation_id, i.message, i.severity) for i in summary.not_expressible] == [
        ("partly", "CVAT cannot carry `occluded` 'partly' (CVAT's occluded is true or false)", Severity.ERROR)
    ]
    assert [(a.extra or {}).get("attributes") for a in rec.annotations] == [
        {"occluded": v} for v in (True, False, True, True, False, False, True)
    ]
    assert '<attribute name="occluded">' not in text


def test_skeleton_occluded_only_when_stated(tmp_path: Path) -> None:
    g = [1, 1, 2, 2, 2, 1, 3, 3, 0]
    anns = [
        Annotation(kind="keypoints", name="person", geometry=g),
        Annotation(kind="keypoints", name="person", geometry=g, extra={"attributes": {"occluded": True}}),
    ]
    text, [rec], issues, summary = written(tmp_path, [row(anns)])
    assert issues == [] and summary.not_expressible == []
    skeletons = [line.strip() for line in text.splitlines() if "<skeleton" in line]
    assert ["occluded=" in s for s in skeletons] == [False, True]
    assert [a.extra.get("attributes") if a.extra else None for a in rec.annotations] == [
        None,
        {"occluded": True},
    ]


def test_bookkeeping_of_other_formats_is_info_label_content_an_error(tmp_path: Path) -> None:
    """A COCO object's own id, area, supercategory, iscrowd 0 and a model's confidence are not
    labels: reported as INFO (the export succeeds); iscrowd 1 or a kept segmentation is an error."""
    coco = Annotation(
        kind="bbox",
        uid="c1",
        name="car",
        geometry=[1, 2, 3, 4],
        extra={"id": 7, "area": 12.5, "iscrowd": 0, "supercategory": "vehicle", "confidence": 0.9},
    )
    crowd = Annotation(
        kind="bbox",
        uid="c2",
        name="car",
        geometry=[1, 2, 3, 4],
        extra={"iscrowd": 1, "segmentation": [[0, 0]]},
    )
    tag = Annotation(
        kind="radio", uid="t1", name="weather", answer=Answer(value=Choice(name="sunny")), extra={"id": 3}
    )
    _, _, issues, summary = written(tmp_path, [row([coco, crowd, tag])])
    assert issues == []
    got = [
        (i.location.annotation_id, i.message.removeprefix("CVAT cannot carry "), i.severity.value)
        for i in summary.not_expressible
    ]
    assert got == [
        ("c1", "the field `area`", "info"),
        ("c1", "the field `confidence`", "info"),
        ("c1", "the field `id`", "info"),
        ("c1", "the field `iscrowd`", "info"),
        ("c1", "the field `supercategory`", "info"),
        ("c2", "the field `iscrowd`", "error"),
        ("c2", "the field `segmentation`", "error"),
        ("t1", "the field `id`", "info"),
    ]


def test_tag_attributes_are_written_back(tmp_path: Path) -> None:
    tag = Annotation(
        kind="radio",
        name="weather",
        answer=Answer(name="weather", value=Choice(name="sunny")),
        extra={"attributes": {"confidence": "high", "by": "bob"}, "group_id": 2},
    )
    text, [rec], issues, summary = written(tmp_path, [row([tag])])
    assert issues == [] and summary.not_expressible == []
    assert '<tag label="sunny" group_id="2">' in text
    assert rec.annotations[0].extra == {"attributes": {"confidence": "high", "by": "bob"}, "group_id": 2}


def test_points_split_apart_are_written_one_by_one(tmp_path: Path) -> None:
    pts = [
        Annotation(kind="point", name="eye", geometry=[1, 1], extra={"cvat_points": [0, 2]}),
        Annotation(
            kind="point",
            name="eye",
            geometry=[2, 2],
            extra={"cvat_points": [1, 2], "attributes": {"occluded": True}},
        ),
    ]
    text, [rec], _, summary = written(tmp_path, [row(pts)])
    assert text.count("<points ") == 2 and summary.annotations == 2
    assert [a.geometry for a in rec.annotations] == [[1.0, 1.0], [2.0, 2.0]]


def test_export_refuses_to_overwrite_and_writes_a_named_file(tmp_path: Path) -> None:
    target = tmp_path / "x.xml"
    cvat.write([row([])], target, CTX)
    assert target.read_text(encoding="utf-8").startswith(
        '<?xml version="1.0" encoding="utf-8"?>\n<annotations>'
    )
    with pytest.raises(InvalidInputError) as exc:
        cvat.write([], target, CTX)
    assert exc.value.code == "output_exists"
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "old.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InvalidInputError) as exc:
        cvat.write([], tmp_path / "full", CTX)
    assert exc.value.code == "output_exists" and not (tmp_path / "full" / "annotations.xml").exists()
    (tmp_path / "empty").mkdir()
    cvat.write([], tmp_path / "empty", CTX)  # an empty folder is used
    assert (tmp_path / "empty" / "annotations.xml").is_file()


# --- detection -------------------------------------------------------------------------------------


def test_detect(tmp_path: Path) -> None:
    cvat_file = put(tmp_path, "task/annotations.xml", CVAT_XML)
    assert cvat.detect(cvat_file) == cvat.Detection(
        0.95, ["annotations.xml: <annotations> with <version> (CVAT for images 1.1)"]
    )
    assert cvat.detect(tmp_path / "task").confidence == 0.95
    globox = put(tmp_path, "g.xml", '<annotations><image name="a.png"/></annotations>')
    assert cvat.detect(globox).confidence == 0.8
    voc = put(tmp_path, "voc/a.xml", "<annotation><filename>a.png</filename></annotation>")
    assert cvat.detect(voc) == cvat.Detection(
        0.0, ["a.xml: the root element is <annotation>, not <annotations>"]
    )
    assert cvat.detect(tmp_path / "voc").confidence == 0.0
    assert cvat.detect(put(tmp_path, "a.json", "{}")).reasons == ["a.json is not an .xml file"]
    assert cvat.detect(put(tmp_path, "bad.xml", "<<<")).reasons == ["bad.xml is not well-formed XML"]
    (tmp_path / "empty").mkdir()
    assert cvat.detect(tmp_path / "empty").reasons == ["empty has no annotations.xml and no other .xml file"]


def test_detect_reads_only_the_head(tmp_path: Path) -> None:
    boxes = '<box label="a" xtl="0" ytl="0" xbr="1" ybr="1"/>\n' * 25000
    path = put(tmp_path, "big.xml", doc(image(boxes)))
    assert path.stat().st_size > 1 << 20
    assert cvat.detect(path).confidence == 0.95


def test_spec() -> None:
    from labelport.formats import get

    spec = get("cvat")
    assert spec is cvat.SPEC and spec.read is cvat.read and spec.write is cvat.write
    assert spec.options == {}
