"""CVAT for images 1.1 XML (``annotations.xml``), as CVAT, Datumaro and globox write it.

Layout: one XML file whose root is ``<annotations>``, or a folder holding ``annotations.xml``
(CVAT's export zip, unpacked) or other top-level ``*.xml`` files (Datumaro writes one per subset,
``default.xml``). ``<meta>`` declares the labels; each ``<image id name width height>`` holds its
shapes. The file is streamed: each ``<image>`` is read, yielded as one record and cleared.

====================================  ===================================  ===========================
CVAT element                          canonical                            notes
====================================  ===================================  ===========================
``<image name width height>``         record, ``RowRef(filename=name)``    ``image_size`` = (w, h)
``<box xtl ytl xbr ybr rotation>``    bbox ``[x, y, xbr-x, ybr-y(, r)]``   r: degrees clockwise about
                                                                           the centre (CVAT's), if ≠ 0
``<polygon points="x,y;x,y">``        polygon (one ring)
``<polyline points>``                 line
``<points points>``                   one point annotation per point       N > 1: ``extra["cvat_points"]
                                                                           = [i, N]``, merged on export
``<ellipse cx cy rx ry rotation>``    ellipse ``[cx, cy, rx, ry(, r)]``
``<mask rle left top width height>``  mask (COCO RLE of the whole image)   placed at left/top
``<skeleton>`` of ``<points label>``  keypoints, in the order of the       ``outside`` → v 0,
                                      skeleton's sub-labels in ``<meta>``  ``occluded`` → v 1, else 2
``<tag label>``                       classification, ``name=None``,       the top-level radio that
                                      loose answer = label                 has that option
``<attribute name>text``              ``extra["attributes"][name]``        the text exactly as written
``occluded="0|1"``                    ``extra["attributes"]["occluded"]``  False / True (as VOC's flag);
                                                                           absent when the element
                                                                           has none
``z_order group_id source``           plain keys of ``extra``              only when not 0 / empty
``<track>`` (video), ``<cuboid>``     ``unsupported_annotation``           video tracks: issue #5
====================================  ===================================  ===========================

Labels are passed through by the name the element gives; ``<meta>`` is used only for the order of
skeleton points (a label missing from ``<meta>`` is not reported here: the ontology decides).
``outside`` and ``keyframe`` on shapes of an ``<image>`` mean nothing there (Datumaro writes them
as ``0``) and are ignored. Skeleton points' own attributes go to ``extra["element_attributes"]``.

``occluded`` is an object attribute like any other: validation answers the tool's classification
``occluded`` from it (a radio with the options ``true`` and ``false``), else keeps it with one
warning. A ``<tag>``'s own ``<attribute>``s stay in the answer's ``extra["attributes"]`` (not
nested answers of the option: validation resolves nested answers strictly, and a tag attribute the
ontology does not know would then refuse the file); the CVAT writer writes them back, other
writers report them.

Export writes one ``annotations.xml`` (``out`` ending in ``.xml`` is the file, otherwise a folder):
``<meta><task>`` named after the project, with every ontology tool CVAT has a shape for as a label
(rectangle, polygon, polyline, points, ellipse, mask, skeleton with its points as sub-labels) and
each tool's classifications as attributes (radio and checklist → ``select``, text → ``text``), and
every option of a top-level radio classification as a ``tag`` label. What CVAT cannot carry is
listed in the summary: polygons with several rings, checklist answers with other than one option,
answers nested under an option, top-level checklist/text answers, frames and track ids, cuboids,
entities, relationships, and other formats' fields. ``occluded="1"`` is written when the object's
``occluded`` attribute or answer is true (``true``/``1``, or a checklist of that one option),
``"0"`` otherwise (CVAT's importer needs it on every shape). Other formats' bookkeeping (their
own ``id``, ``source``, ``area``, ``supercategory``, ``confidence``, ``iscrowd`` 0) is reported
with severity INFO; lost label content (attributes, ``z_order``, ``group_id``, ...) is an error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from labelport.formats import masks
from labelport.formats.base import (
    Detection,
    ExportContext,
    ExportRow,
    ExportSummary,
    FormatSpec,
    IssueSink,
    issue,
)
from labelport.formats.common import (
    bookkeeping,
    cannot_carry,
    flat_attributes,
    number,
    prepare_output,
    row_path,
)
from labelport.model.issues import Location, Severity
from labelport.model.ontology import ClassificationType, Tool, ToolKind
from labelport.model.records import Annotation, Answer, Choice, Record, RowRef, attribute_text

NAME = "cvat"
_ROOT = "annotations"
_SHAPE_TAGS = ("box", "polygon", "polyline", "points", "ellipse", "mask", "skeleton", "cuboid", "tag")
# XML attributes each element may carry (beyond `label`); others get one `unknown_field` warning
_COMMON = {"label", "source", "occluded", "z_order", "group_id", "outside", "keyframe"}
_KNOWN_ATTRS: dict[str, set[str]] = {
    "box": _COMMON | {"xtl", "ytl", "xbr", "ybr", "rotation"},
    "polygon": _COMMON | {"points"},
    "polyline": _COMMON | {"points"},
    "points": _COMMON | {"points"},
    "ellipse": _COMMON | {"cx", "cy", "rx", "ry", "rotation"},
    "mask": _COMMON | {"rle", "left", "top", "width", "height"},
    "skeleton": _COMMON,
    "tag": {"label", "source", "group_id"},
    "image": {"id", "name", "width", "height", "subset", "task_id"},
}
_DETECT_BYTES = 1 << 16


# --------------------------------------------------------------------------------------------------
# read


class _Bad(Exception):
    """A structural fault in one element: reported once, the element is skipped."""

    def __init__(self, code: str, message: str, el: Element, pointer: str, value: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.line, self.pointer, self.value = (
            code,
            message,
            _line(el),
            pointer,
            value,
        )


class _Lined(Element):
    """An element that knows the line its start tag is on (expat's, read as the tag is built)."""

    line: int | None = None


def _line(el: Element) -> int | None:
    line: int | None = getattr(el, "line", None)
    return line


def _lined_parser() -> Any:
    """A defused parser whose elements carry their line numbers."""
    parser: Any = None

    def factory(tag: str, attrib: dict[str, str]) -> Element:
        el = _Lined(tag, attrib)
        el.line = parser.parser.CurrentLineNumber
        return el

    parser = DefusedXMLParser(target=TreeBuilder(element_factory=factory))
    return parser


@dataclass
class _Meta:
    """What ``<meta>`` declares that reading needs: each skeleton's points, in order."""

    skeletons: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _File:
    name: str  # relative to the payload root
    sink: IssueSink
    meta: _Meta | None = None
    warned: set[tuple[str, str]] = field(default_factory=set)

    def report(self, code: str, message: str, line: int | None, pointer: str, **kw: Any) -> None:
        self.sink(issue(code, message, Location(file=self.name, line=line, pointer=pointer), **kw))

    def bad(self, bad: _Bad, data_row: str | None = None) -> None:
        loc = Location(file=self.name, line=bad.line, pointer=bad.pointer, data_row=data_row)
        self.sink(issue(bad.code, bad.message, loc, value=bad.value))


def _files(payload: Path) -> tuple[list[tuple[Path, str]], str | None]:
    """The XML files of a payload with their names relative to it, or why there are none."""
    if payload.is_file():
        return [(payload, payload.name)], None
    if not payload.is_dir():
        return [], f"{payload} does not exist"
    main = payload / "annotations.xml"
    if main.is_file():
        return [(main, main.name)], None
    found = sorted(p for p in payload.iterdir() if p.is_file() and p.suffix.lower() == ".xml")
    if not found:
        return [], f"{payload.name} has no annotations.xml and no other .xml file"
    return [(p, p.name) for p in found], None


def read(payload: Path, sink: IssueSink, options: Mapping[str, str] | None = None) -> Iterator[Record]:
    files, why = _files(payload)
    if why is not None:
        sink(issue("unreadable_payload", why, Location(file=payload.name)))
        return
    for path, name in files:
        yield from _read_file(path, _File(name=name, sink=sink))


def _read_file(path: Path, f: _File) -> Iterator[Record]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        f.report("unreadable_payload", f"cannot open {f.name}: {exc.strerror}", None, "")
        return
    parser = _lined_parser()
    with fh:
        root: Element | None = None
        depth = 0
        ordinal = 0
        try:
            for event, el in iterparse(fh, events=("start", "end"), parser=parser):
                if event == "start":
                    depth += 1
                    if root is None:
                        root = el
                        if el.tag != _ROOT:
                            f.report(
                                "invalid_value",
                                f"the root element is <{el.tag}>, not <{_ROOT}>: not a CVAT file",
                                _line(el),
                                f"/{el.tag}",
                                hint="give CVAT for images 1.1 XML (root <annotations>)",
                            )
                            return
                    continue
                depth -= 1
                if depth != 1 or root is None:
                    continue
                # a child of <annotations> is complete
                tag = el.tag
                if tag == "image":
                    ordinal += 1
                    record = _image(el, ordinal, f)
                    if record is not None:
                        yield record
                elif tag == "meta":
                    f.meta = _meta(el)
                elif tag == "track":
                    tid = el.get("id")
                    where = f"[@id='{tid}']" if tid is not None else ""
                    f.report(
                        "unsupported_annotation",
                        f"a CVAT video track (label {el.get('label')!r}) cannot be imported; "
                        "CVAT video tracks are part of issue #5",
                        _line(el),
                        f"/{_ROOT}/track{where}",
                        hint="export the task as CVAT for images 1.1",
                    )
                elif tag != "version":
                    f.report(
                        "unknown_field",
                        f"<{tag}> is not part of CVAT for images 1.1; it is ignored",
                        _line(el),
                        f"/{_ROOT}/{tag}",
                    )
                el.clear()
                root.remove(el)
        except ParseError as exc:
            line = exc.position[0] if exc.position else None
            f.report("invalid_xml", f"{f.name} is not well-formed XML: {exc}", line, "")
        except DefusedXmlException as exc:
            f.report(
                "invalid_xml",
                f"{f.name} uses a forbidden XML construct ({type(exc).__name__}): {exc}",
                parser.parser.CurrentLineNumber,
                "",
            )


def _meta(el: Element) -> _Meta:
    """Skeletons and their points, from every ``<labels>`` of the meta (task, project or job)."""
    meta = _Meta()
    kinds: dict[str, str] = {}
    subs: dict[str, list[str]] = {}
    for labels in el.iter("labels"):
        for label in labels.findall("label"):
            name = (label.findtext("name") or "").strip()
            if not name:
                continue
            parent = (label.findtext("parent") or "").strip()
            if parent:
                points = subs.setdefault(parent, [])
                if name not in points:  # a project's meta may list its labels more than once
                    points.append(name)
            else:
                kinds[name] = (label.findtext("type") or "").strip()
    for name, kind in kinds.items():
        if kind == "skeleton" or name in subs:
            meta.skeletons[name] = subs.get(name, [])
    return meta


def _image(el: Element, ordinal: int, f: _File) -> Record | None:
    iid = el.get("id")
    ptr = f"/{_ROOT}/image[@id='{iid}']" if iid is not None else f"/{_ROOT}/image[{ordinal}]"
    _unknown_attrs(el, "image", ptr, f)
    name = el.get("name")
    if not name:
        f.report("missing_field", "an <image> needs a `name`", _line(el), ptr, value=dict(el.attrib))
        return None
    size: list[float] = []
    for key in ("width", "height"):
        raw = el.get(key)
        if raw is None:
            continue
        try:
            size.append(_positive(raw, key, el, ptr))
        except _Bad as bad:
            f.bad(bad, name)
    image_size = (size[0], size[1]) if len(size) == 2 else None
    anns: list[Annotation] = []
    seen: dict[str, int] = {}
    for child in el:
        tag = child.tag
        seen[tag] = seen.get(tag, 0) + 1
        cptr = f"{ptr}/{tag}[{seen[tag]}]"
        if tag not in _SHAPE_TAGS:
            f.report("unknown_field", f"<{tag}> is not a CVAT shape; it is ignored", _line(child), cptr)
            continue
        try:
            anns.extend(_shape(child, tag, cptr, image_size, f))
        except _Bad as bad:
            f.bad(bad, name)
    loc = Location(file=f.name, line=_line(el), pointer=ptr, data_row=name)
    return Record(row=RowRef(filename=name), annotations=anns, location=loc, image_size=image_size)


def _unknown_attrs(el: Element, tag: str, ptr: str, f: _File) -> None:
    for key in el.attrib:
        if key not in _KNOWN_ATTRS[tag] and (tag, key) not in f.warned:
            f.warned.add((tag, key))
            f.report(
                "unknown_field",
                f"<{tag}> attribute `{key}` is not part of CVAT for images 1.1; it is ignored "
                "(reported once per file)",
                _line(el),
                f"{ptr}/@{key}",
            )


def _shape(
    el: Element, tag: str, ptr: str, image_size: tuple[float, float] | None, f: _File
) -> list[Annotation]:
    if tag == "cuboid":
        raise _Bad(
            "unsupported_annotation", "CVAT 2D cuboids have no labelport shape", el, ptr, el.get("label")
        )
    _unknown_attrs(el, tag, ptr, f)
    label = el.get("label")
    if not label:
        raise _Bad("missing_field", f"a <{tag}> needs a `label`", el, ptr)
    extra = _extra(el, ptr)
    attributes: dict[str, Any] = dict(_attributes(el, ptr, f, allow=("points",) if tag == "skeleton" else ()))
    _occluded(el, ptr, attributes)
    if attributes:
        extra["attributes"] = attributes
    if tag == "tag":
        return [
            Annotation(
                kind="classification",
                answer=Answer(value=label, loose=True, pointer=ptr),
                extra=extra or None,
                pointer=ptr,
                line=_line(el),
            )
        ]
    common: dict[str, Any] = {"name": label, "pointer": ptr, "line": _line(el)}
    if tag == "box":
        xtl, ytl = _num(el, "xtl", ptr), _num(el, "ytl", ptr)
        xbr, ybr = _num(el, "xbr", ptr), _num(el, "ybr", ptr)
        g: list[float] = [xtl, ytl, xbr - xtl, ybr - ytl]
        rotation = _rotation(el, ptr)
        if rotation:
            g.append(rotation)
        return [Annotation(kind="bbox", geometry=g, extra=extra or None, **common)]
    if tag == "ellipse":
        g = [_num(el, k, ptr) for k in ("cx", "cy", "rx", "ry")]
        rotation = _rotation(el, ptr)
        if rotation:
            g.append(rotation)
        return [Annotation(kind="ellipse", geometry=g, extra=extra or None, **common)]
    if tag == "polygon":
        return [Annotation(kind="polygon", geometry=[_points(el, ptr)], extra=extra or None, **common)]
    if tag == "polyline":
        return [Annotation(kind="line", geometry=_points(el, ptr), extra=extra or None, **common)]
    if tag == "points":
        flat = _points(el, ptr)
        n = len(flat) // 2
        if n == 1:
            return [Annotation(kind="point", geometry=flat, extra=extra or None, **common)]
        return [
            Annotation(
                kind="point",
                geometry=flat[2 * i : 2 * i + 2],
                extra={**extra, "cvat_points": [i, n]},
                **common,
            )
            for i in range(n)
        ]
    if tag == "mask":
        return [Annotation(kind="mask", geometry=_mask(el, ptr, image_size), extra=extra or None, **common)]
    # skeleton
    g, element_attributes = _skeleton(el, label, ptr, f)
    if element_attributes:
        extra["element_attributes"] = element_attributes
    if f.meta is not None:  # validation puts the points in the ontology's order by these names
        extra["keypoint_names"] = list(f.meta.skeletons[label])
    return [Annotation(kind="keypoints", geometry=g, extra=extra or None, **common)]


def _extra(el: Element, ptr: str) -> dict[str, Any]:
    """The element's CVAT-specific fields: ``z_order`` and ``group_id`` (when not 0), ``source``."""
    extra: dict[str, Any] = {}
    for key in ("z_order", "group_id"):
        raw = el.get(key)
        if raw is None:
            continue
        try:
            value = int(raw)
        except ValueError:
            raise _Bad("invalid_value", f"`{key}` must be an integer", el, f"{ptr}/@{key}", raw) from None
        if value:
            extra[key] = value
    source = el.get("source")
    if source:
        extra["source"] = source
    return extra


def _occluded(el: Element, ptr: str, attributes: dict[str, Any]) -> None:
    """``occluded="0|1"`` as the object attribute ``occluded`` (False or True), as VOC's flag: the
    tool's classification of that name answers it, else it is kept. Absent: no attribute."""
    raw = el.get("occluded")
    if raw is None:
        return
    if raw not in ("0", "1"):
        raise _Bad("invalid_value", "`occluded` is 0 or 1", el, f"{ptr}/@occluded", raw)
    if "occluded" in attributes:
        raise _Bad(
            "invalid_value",
            "`occluded` is given twice: as the element's flag and as an <attribute>",
            el,
            f"{ptr}/@occluded",
            raw,
        )
    attributes["occluded"] = raw == "1"


def _attributes(el: Element, ptr: str, f: _File, allow: tuple[str, ...] = ()) -> dict[str, str]:
    """``<attribute name>`` children as ``{name: text}``; other children are reported."""
    out: dict[str, str] = {}
    n = 0
    for child in el:
        if child.tag != "attribute":
            if child.tag not in allow:
                f.report(
                    "unknown_field",
                    f"<{child.tag}> inside <{el.tag}> is not CVAT; it is ignored",
                    _line(child),
                    f"{ptr}/{child.tag}",
                )
            continue
        n += 1
        name = child.get("name")
        aptr = f"{ptr}/attribute[{n}]"
        if not name:
            raise _Bad("missing_field", "an <attribute> needs a `name`", child, aptr)
        if name in out:
            raise _Bad("invalid_value", f"attribute `{name}` is given twice", child, aptr, name)
        out[name] = child.text or ""
    return out


def _float(raw: str, el: Element, pointer: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise _Bad("wrong_type", f"{raw!r} is not a number", el, pointer, raw) from None


def _num(el: Element, key: str, ptr: str) -> float:
    raw = el.get(key)
    if raw is None:
        raise _Bad("missing_field", f"a <{el.tag}> needs `{key}`", el, ptr)
    return _float(raw, el, f"{ptr}/@{key}")


def _positive(raw: str, key: str, el: Element, ptr: str) -> float:
    v = _float(raw, el, f"{ptr}/@{key}")
    if not math.isfinite(v) or v <= 0:
        raise _Bad("invalid_value", f"`{key}` must be a positive number", el, f"{ptr}/@{key}", raw)
    return v


def _rotation(el: Element, ptr: str) -> float:
    raw = el.get("rotation")
    return 0.0 if raw is None else _float(raw, el, f"{ptr}/@rotation")


def _points(el: Element, ptr: str, key: str = "points") -> list[float]:
    raw = el.get(key)
    pointer = f"{ptr}/@{key}"
    if raw is None:
        raise _Bad("missing_field", f"a <{el.tag}> needs `{key}`", el, ptr)
    flat: list[float] = []
    for pair in raw.split(";"):
        xy = pair.split(",")
        if len(xy) != 2:
            raise _Bad("invalid_value", f"points are `x,y;x,y;…`; got {pair!r}", el, pointer, raw)
        flat.append(_float(xy[0].strip(), el, pointer))
        flat.append(_float(xy[1].strip(), el, pointer))
    return flat


def _int(el: Element, key: str, ptr: str) -> int:
    raw = el.get(key)
    if raw is None:
        raise _Bad("missing_field", f"a <{el.tag}> needs `{key}`", el, ptr)
    try:
        return int(raw)
    except ValueError:
        raise _Bad("invalid_value", f"`{key}` must be an integer", el, f"{ptr}/@{key}", raw) from None


def _mask(el: Element, ptr: str, image_size: tuple[float, float] | None) -> dict[str, Any]:
    raw = el.get("rle")
    if raw is None:
        raise _Bad("missing_field", "a <mask> needs `rle`", el, ptr)
    try:
        counts = [int(v) for v in raw.split(",")]
    except ValueError:
        raise _Bad(
            "invalid_value", "`rle` is a comma-separated list of integers", el, f"{ptr}/@rle"
        ) from None
    left, top = _int(el, "left", ptr), _int(el, "top", ptr)
    width, height = _int(el, "width", ptr), _int(el, "height", ptr)
    if image_size is None or not all(float(v).is_integer() for v in image_size):
        raise _Bad(
            "missing_field",
            "a <mask> is placed in its image: the <image> needs an integer `width` and `height`",
            el,
            ptr,
        )
    try:
        full = masks.from_cvat_rle(counts, left, top, width, height, int(image_size[1]), int(image_size[0]))
    except masks.MaskError as exc:
        raise _Bad("mask_invalid", f"the mask cannot be decoded: {exc}", el, ptr) from None
    return masks.encode(full)


def _skeleton(el: Element, label: str, ptr: str, f: _File) -> tuple[list[float], dict[str, dict[str, str]]]:
    names = f.meta.skeletons.get(label) if f.meta is not None else None
    if not names:
        raise _Bad(
            "unsupported_annotation",
            f"skeleton `{label}` is not declared with its points in <meta>, so their order is unknown",
            el,
            ptr,
            label,
        )
    g = [0.0] * (3 * len(names))
    seen: set[str] = set()
    element_attributes: dict[str, dict[str, str]] = {}
    n = 0
    for child in el:
        if child.tag != "points":
            continue
        n += 1
        cptr = f"{ptr}/points[{n}]"
        _unknown_attrs(child, "points", cptr, f)
        name = child.get("label")
        if not name:
            raise _Bad("missing_field", "a skeleton's <points> needs a `label`", child, cptr)
        if name not in names:
            raise _Bad(
                "unknown_category",
                f"skeleton `{label}` declares no point `{name}` in <meta> (it has {', '.join(names)})",
                child,
                f"{cptr}/@label",
                name,
            )
        if name in seen:
            raise _Bad(
                "invalid_value", f"point `{name}` of skeleton `{label}` is given twice", child, cptr, name
            )
        seen.add(name)
        xy = _points(child, cptr)
        if len(xy) != 2:
            raise _Bad("invalid_value", "a skeleton point has exactly one `x,y`", child, f"{cptr}/@points")
        outside, occluded = child.get("outside", "0"), child.get("occluded", "0")
        for key, v in (("outside", outside), ("occluded", occluded)):
            if v not in ("0", "1"):
                raise _Bad("invalid_value", f"`{key}` is 0 or 1", child, f"{cptr}/@{key}", v)
        i = names.index(name)
        g[3 * i : 3 * i + 3] = [xy[0], xy[1], 0.0 if outside == "1" else 1.0 if occluded == "1" else 2.0]
        attrs = _attributes(child, cptr, f)
        if attrs:
            element_attributes[name] = attrs
    return g, element_attributes


# --------------------------------------------------------------------------------------------------
# write

_LABEL_TYPES: dict[ToolKind, str] = {
    ToolKind.RECTANGLE: "rectangle",
    ToolKind.POLYGON: "polygon",
    ToolKind.POLY_SEG: "polygon",
    ToolKind.LINE: "polyline",
    ToolKind.POINT: "points",
    ToolKind.ELLIPSE: "ellipse",
    ToolKind.RASTER_SEGMENTATION: "mask",
    ToolKind.SKELETON: "skeleton",
}
_WRITTEN_EXTRA = {
    "attributes",
    "occluded",
    "z_order",
    "group_id",
    "source",
    "cvat_points",
    "element_attributes",
    "keypoint_names",  # written as the skeleton's points (the ontology's order after validation)
    "tool",
}


# another format's record of where an object came from, not a label: losing it is INFO (the
# export still succeeds); anything else kept beside an annotation is label content (an error)


class _Xml:
    """CVAT's own layout: two-space indentation, one element a line, UTF-8."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.gen = XMLGenerator(fh, "utf-8", short_empty_elements=True)
        self.level = 0

    def _start(self, tag: str, attrs: Mapping[str, str] | None) -> None:
        self.gen.ignorableWhitespace("\n" + "  " * self.level)
        self.gen.startElement(tag, AttributesImpl(dict(attrs or {})))

    def open(self, tag: str, attrs: Mapping[str, str] | None = None) -> None:
        self._start(tag, attrs)
        self.level += 1

    def close(self, tag: str) -> None:
        self.level -= 1
        self.gen.ignorableWhitespace("\n" + "  " * self.level)
        self.gen.endElement(tag)

    def leaf(self, tag: str, text: str = "", attrs: Mapping[str, str] | None = None) -> None:
        self._start(tag, attrs)
        if text:
            self.gen.characters(text)
        self.gen.endElement(tag)


@dataclass
class _Elem:
    """One shape or tag to write: its tag, XML attributes, ``<attribute>`` values and children."""

    tag: str
    attrs: dict[str, str]
    attributes: list[tuple[str, str]] = field(default_factory=list)
    children: list[_Elem] = field(default_factory=list)

    def write(self, xml: _Xml) -> None:
        if not self.attributes and not self.children:
            xml.leaf(self.tag, "", self.attrs)
            return
        xml.open(self.tag, self.attrs)
        for child in self.children:
            child.write(xml)
        for name, value in self.attributes:
            xml.leaf("attribute", value, {"name": name})
        xml.close(self.tag)


def _target(out: Path) -> Path:
    if out.suffix.lower() == ".xml":
        return prepare_output(out, kind="file")
    return prepare_output(out, kind="dir") / "annotations.xml"


def write(rows: Iterable[ExportRow], out: Path, ctx: ExportContext) -> ExportSummary:
    """Write ``out`` (a ``.xml`` file) or ``out/annotations.xml`` (``out`` a new or empty folder);
    anything already there is refused (``output_exists``)."""
    target = _target(out)
    summary = ExportSummary()
    tools = {t.name: t for t in ctx.ontology.tools}
    with target.open("xb") as fh:
        xml = _Xml(fh)
        xml.gen.startDocument()
        xml.gen.startElement(_ROOT, AttributesImpl({}))
        xml.level = 1
        xml.leaf("version", "1.1")
        _write_meta(xml, ctx)
        for index, row in enumerate(rows):
            attrs = {"id": str(index), "name": row_path(row)}
            for key in ("width", "height"):
                v = (row.metadata or {}).get(key)
                if isinstance(v, int | float) and not isinstance(v, bool):
                    attrs[key] = number(v)
            _Elem("image", attrs, children=_row_elems(row, tools, summary)).write(xml)
            summary.rows += 1
        xml.close(_ROOT)
        xml.gen.ignorableWhitespace("\n")
        xml.gen.endDocument()
    return summary


def _write_meta(xml: _Xml, ctx: ExportContext) -> None:
    xml.open("meta")
    xml.open("task")
    xml.leaf("name", ctx.project)
    xml.leaf("mode", "annotation")
    xml.open("labels")
    names: set[str] = set()
    for tool in ctx.ontology.tools:
        kind = _LABEL_TYPES.get(tool.kind)
        if kind is None or tool.name in names:
            continue
        names.add(tool.name)
        _write_label(xml, tool.name, kind, tool.color, tool)
        if tool.kind is ToolKind.SKELETON:
            for point in tool.keypoints:
                _write_label(xml, point, "points", None, None, parent=tool.name)
    for cls in ctx.ontology.classifications:
        if cls.type is not ClassificationType.RADIO:
            continue
        for opt in cls.options:
            if opt.value not in names:
                names.add(opt.value)
                _write_label(xml, opt.value, "tag", None, None)
    xml.close("labels")
    xml.close("task")
    xml.close("meta")


def _write_label(
    xml: _Xml, name: str, kind: str, color: str | None, tool: Tool | None, parent: str | None = None
) -> None:
    xml.open("label")
    xml.leaf("name", name)
    if color:
        xml.leaf("color", color)
    xml.leaf("type", kind)
    classifications = tool.classifications if tool is not None else ()
    if classifications:
        xml.open("attributes")
        for c in classifications:
            values = [o.value for o in c.options]
            xml.open("attribute")
            xml.leaf("name", c.name)
            xml.leaf("mutable", "False")
            xml.leaf("input_type", "text" if c.type is ClassificationType.TEXT else "select")
            xml.leaf("default_value", values[0] if values else "")
            xml.leaf("values", "\n".join(values))
            xml.close("attribute")
        xml.close("attributes")
    else:
        xml.leaf("attributes", "")
    if parent is not None:
        xml.leaf("parent", parent)
    if tool is not None and tool.kind is ToolKind.SKELETON:
        xml.leaf("svg", _svg(tool))
    xml.close("label")


def _svg(tool: Tool) -> str:
    """The skeleton drawing CVAT keeps with the label: points on a circle, edges between them."""
    n = len(tool.keypoints)
    at = [
        (
            number(round(50 + 40 * math.cos(2 * math.pi * i / n), 3)),
            number(round(50 + 40 * math.sin(2 * math.pi * i / n), 3)),
        )
        for i in range(n)
    ]
    lines = [
        f'<line x1="{at[a - 1][0]}" y1="{at[a - 1][1]}" x2="{at[b - 1][0]}" y2="{at[b - 1][1]}" '
        f'data-type="edge" data-node-from="{a}" data-node-to="{b}"></line>'
        for a, b in tool.edges
    ]
    circles = [
        f'<circle r="1.5" cx="{x}" cy="{y}" data-type="element node" data-element-id="{i + 1}" '
        f'data-node-id="{i + 1}" data-label-name="{name}"></circle>'
        for i, ((x, y), name) in enumerate(zip(at, tool.keypoints, strict=True))
    ]
    return "".join(lines + circles)


class _Row:
    """One row being written: what CVAT cannot say goes to the summary, located at the annotation."""

    def __init__(self, row: ExportRow, summary: ExportSummary) -> None:
        self.row, self.summary = row, summary

    def lost(self, what: str, ann: Annotation | None = None, severity: Severity | None = None) -> None:
        self.summary.not_expressible.append(cannot_carry("CVAT", what, self.row, ann, severity=severity))


def _row_elems(row: ExportRow, tools: Mapping[str, Tool], summary: ExportSummary) -> list[_Elem]:
    o = _Row(row, summary)
    shapes: list[_Elem] = []
    tags: list[_Elem] = []
    anns = row.annotations
    i = 0
    while i < len(anns):
        ann = anns[i]
        i += 1
        if ann.kind in ("radio", "checklist", "text", "classification"):
            tag = _tag_elem(ann, o)
            if tag is not None:
                tags.append(tag)
                summary.annotations += 1
            continue
        group = [ann]
        if ann.kind == "point":
            group = _point_group(anns, i - 1)
            i += len(group) - 1
        elem = _shape_elem(group, tools, o)
        if elem is not None:
            shapes.append(elem)
            summary.annotations += len(group)
    return shapes + tags


def _point_group(anns: list[Annotation], start: int) -> list[Annotation]:
    """The points one ``<points>`` element was split into, when they are still together and alike."""
    first = anns[start]
    marker = (first.extra or {}).get("cvat_points")
    if not (isinstance(marker, list) and len(marker) == 2 and marker[0] == 0 and isinstance(marker[1], int)):
        return [first]
    n = marker[1]
    group = anns[start : start + n]
    alike = len(group) == n and all(
        a.kind == "point"
        and a.name == first.name
        and (a.extra or {}).get("cvat_points") == [k, n]
        and _same_besides_marker(a, first)
        for k, a in enumerate(group)
    )
    return group if alike else [first]


def _same_besides_marker(a: Annotation, b: Annotation) -> bool:
    def rest(x: Annotation) -> Any:
        return {k: v for k, v in (x.extra or {}).items() if k != "cvat_points"}, flat_attributes(x)

    return bool(rest(a) == rest(b))


def _common_attrs(ann: Annotation, values: dict[str, Any], o: _Row) -> dict[str, str]:
    """``source`` and ``occluded`` (taken out of ``values``, the object's flat attributes); what
    else the annotation holds that CVAT has no place for is reported."""
    extra = ann.extra or {}
    attrs: dict[str, str] = {}
    if extra.get("source"):
        attrs["source"] = str(extra["source"])
    occluded = _occluded_flag(ann, values, o)
    if occluded is not None:
        attrs["occluded"] = occluded
    for key in sorted(set(extra) - _WRITTEN_EXTRA):
        o.lost(f"the field `{key}`", ann, bookkeeping(key, extra[key]))
    if ann.frame is not None or ann.frame_end is not None:
        o.lost("frame numbers on an image", ann)
    if ann.track_id is not None:
        o.lost("track ids (CVAT video tracks are part of issue #5)", ann)
    return attrs


def _occluded_flag(ann: Annotation, values: dict[str, Any], o: _Row) -> str | None:
    """CVAT's ``occluded`` from the object's ``occluded`` attribute or answer (true/false, 1/0, or
    a checklist of one such option); None when it has none. Taken out of ``values``."""
    if values.get("occluded") is None:
        values.pop("occluded", None)
        legacy = (ann.extra or {}).get("occluded")  # where labels stored before 0.x kept it
        return None if legacy is None else "1" if legacy else "0"
    value = values.pop("occluded")
    one = value[0] if isinstance(value, list) and len(value) == 1 else value
    text = None if isinstance(one, list | dict) else attribute_text(one).lower()
    if text in ("true", "1"):
        return "1"
    if text in ("false", "0"):
        return "0"
    o.lost(f"`occluded` {value!r} (CVAT's occluded is true or false)", ann)
    return None


def _whole(ann: Annotation, key: str, o: _Row) -> str | None:
    """``extra[key]`` as CVAT's integer text; None when absent or 0 (reported when not an integer)."""
    value = (ann.extra or {}).get(key)
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        o.lost(f"`{key}` {value!r} (CVAT's is an integer)", ann)
        return None
    return str(value)


def _tail_attrs(ann: Annotation, attrs: dict[str, str], o: _Row) -> None:
    attrs["z_order"] = _whole(ann, "z_order", o) or "0"
    group = _whole(ann, "group_id", o)
    if group is not None:
        attrs["group_id"] = group


def _attribute_list(
    ann: Annotation, values: dict[str, Any], nested: list[str], o: _Row
) -> list[tuple[str, str]]:
    for name in nested:
        o.lost(f"the answers nested under `{name}`", ann)
    out: list[tuple[str, str]] = []
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, list):
            if len(value) != 1:
                o.lost(f"`{name}` with {len(value)} options chosen (a CVAT attribute holds one)", ann)
                continue
            value = value[0]
        out.append((name, attribute_text(value)))
    return out


def _xy(flat: list[float]) -> str:
    return ";".join(f"{number(flat[i])},{number(flat[i + 1])}" for i in range(0, len(flat) - 1, 2))


def _shape_elem(group: list[Annotation], tools: Mapping[str, Tool], o: _Row) -> _Elem | None:
    ann = group[0]
    g = ann.geometry
    label = ann.name or ""
    attrs: dict[str, str] = {"label": label}
    kind = ann.kind
    children: list[_Elem] = []
    if kind == "bbox":
        tag = "box"
        x, y, w, h = g[0], g[1], g[2], g[3]
        attrs |= {"xtl": number(x), "ytl": number(y), "xbr": number(x + w), "ybr": number(y + h)}
        if len(g) > 4 and g[4]:
            attrs["rotation"] = number(g[4])
    elif kind == "ellipse":
        tag = "ellipse"
        attrs |= {"cx": number(g[0]), "cy": number(g[1]), "rx": number(g[2]), "ry": number(g[3])}
        if len(g) > 4 and g[4]:
            attrs["rotation"] = number(g[4])
    elif kind == "polygon":
        if len(g) != 1:
            o.lost(f"a polygon with {len(g)} rings (holes or parts)", ann)
            return None
        tag, attrs["points"] = "polygon", _xy(g[0])
    elif kind == "line":
        tag, attrs["points"] = "polyline", _xy(g)
    elif kind == "point":
        tag, attrs["points"] = "points", _xy([v for a in group for v in a.geometry[:2]])
    elif kind == "mask":
        tag = "mask"
        try:
            counts, left, top, width, height = masks.to_cvat_rle(masks.decode(g))
        except (masks.MaskError, TypeError):
            o.lost("an empty or undecodable mask", ann)
            return None
        attrs |= {
            "rle": ", ".join(str(c) for c in counts),
            "left": str(left),
            "top": str(top),
            "width": str(width),
            "height": str(height),
        }
    elif kind == "keypoints":
        tool = tools.get(label)
        names = tool.keypoints if tool is not None and tool.kind is ToolKind.SKELETON else ()
        if not names or len(g) != 3 * len(names):
            o.lost("keypoints without a skeleton tool of as many points", ann)
            return None
        tag = "skeleton"
        children = _skeleton_points(ann, names)
    else:
        o.lost(f"`{kind}` annotations", ann)
        return None
    values, nested = flat_attributes(ann)
    attrs |= _common_attrs(ann, values, o)
    if tag != "skeleton":  # CVAT writes a skeleton's occlusion on its points; a file's own flag is kept
        attrs.setdefault("occluded", "0")
    _tail_attrs(ann, attrs, o)
    return _Elem(tag, attrs, _attribute_list(ann, values, nested, o), children)


def _skeleton_points(ann: Annotation, names: tuple[str, ...]) -> list[_Elem]:
    g = ann.geometry
    per_point = (ann.extra or {}).get("element_attributes") or {}
    out = []
    for i, name in enumerate(names):
        x, y, v = g[3 * i], g[3 * i + 1], g[3 * i + 2]
        attrs = {
            "label": name,
            "outside": "1" if v == 0 else "0",
            "occluded": "1" if v == 1 else "0",
            "points": _xy([x, y]),
        }
        values = per_point.get(name) or {}
        out.append(_Elem("points", attrs, [(k, attribute_text(val)) for k, val in values.items()]))
    return out


def _tag_elem(ann: Annotation, o: _Row) -> _Elem | None:
    if ann.kind not in ("radio", "classification"):
        o.lost(f"the {ann.kind} classification `{ann.name}` (a CVAT tag is one label)", ann)
        return None
    value = ann.answer.value if ann.answer is not None else None
    if isinstance(value, Choice) and value.name is not None:
        if value.classifications:
            o.lost(f"the answers nested under option `{value.name}` of `{ann.name}`", ann)
        label = value.name
    elif isinstance(value, str):
        label = value
    else:
        o.lost(f"the classification `{ann.name}` without one option", ann)
        return None
    extra = ann.extra or {}
    attrs = {"label": label}
    if extra.get("source"):
        attrs["source"] = str(extra["source"])
    group = _whole(ann, "group_id", o)
    if group is not None:
        attrs["group_id"] = group
    for key in sorted(set(extra) - {"attributes", "source", "group_id", "tool"}):
        o.lost(f"the field `{key}`", ann, bookkeeping(key, extra[key]))
    attributes = [(k, attribute_text(v)) for k, v in (extra.get("attributes") or {}).items() if v is not None]
    return _Elem("tag", attrs, attributes)


# --------------------------------------------------------------------------------------------------
# detect


class _Head:
    """A parser target that records the first start tags, to tell a CVAT file from its head."""

    def __init__(self) -> None:
        self.tags: list[tuple[str, dict[str, str]]] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if len(self.tags) < 3:
            self.tags.append((tag, dict(attrib)))

    def end(self, tag: str) -> None:
        return None

    def data(self, data: str) -> None:
        return None

    def close(self) -> None:
        return None


def _detect_file(path: Path, name: str) -> tuple[float, str]:
    try:
        with path.open("rb") as fh:
            head = fh.read(_DETECT_BYTES)
    except OSError as exc:
        return 0.0, f"{name} cannot be read: {exc.strerror or exc}"
    target = _Head()
    parser = DefusedXMLParser(target=target)
    try:
        parser.feed(head)
    except (ParseError, DefusedXmlException):
        if not target.tags:
            return 0.0, f"{name} is not well-formed XML"
    if not target.tags:
        return 0.0, f"{name} has no XML element in its first {_DETECT_BYTES // 1024} KiB"
    root = target.tags[0][0]
    if root != _ROOT:
        return 0.0, f"{name}: the root element is <{root}>, not <{_ROOT}>"
    children = [t for t, _ in target.tags[1:]]
    if "version" in children or "meta" in children:
        return 0.95, f"{name}: <{_ROOT}> with <{children[0]}> (CVAT for images 1.1)"
    if "image" in children:
        return 0.8, f"{name}: <{_ROOT}> of <image> elements, without <version> or <meta>"
    if "track" in children:
        return 0.8, f"{name}: <{_ROOT}> of <track> elements (CVAT for video)"
    return 0.5, f"{name}: root <{_ROOT}> but no <version>, <meta> or <image> at its start"


def detect(payload: Path) -> Detection:
    """A ``.xml`` file, or a folder with ``annotations.xml`` or top-level ``.xml`` files, whose root
    is ``<annotations>``."""
    if payload.is_file() and payload.suffix.lower() != ".xml":
        return Detection(0.0, [f"{payload.name} is not an .xml file"])
    files, why = _files(payload)
    if why is not None:
        return Detection(0.0, [why])
    reasons: list[str] = []
    best = 1.0
    for path, name in files[:5]:
        confidence, reason = _detect_file(path, name)
        reasons.append(reason)
        best = min(best, confidence)
        if confidence == 0.0:
            break
    return Detection(best, reasons)


SPEC = FormatSpec(
    name=NAME,
    title="CVAT for images 1.1",
    carries="one annotations.xml: boxes (rotated too), polygons, polylines, points, ellipses, masks, "
    "skeletons (as keypoints), tags (top-level radio answers), per-shape attributes, occluded, z_order, "
    "group_id. Not video tracks, cuboids, multi-ring polygons, multi-option checklists or nested answers.",
    read=read,
    write=write,
    detect=detect,
)

__all__ = ["SPEC", "detect", "read", "write"]
