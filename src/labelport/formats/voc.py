"""Pascal VOC XML: one ``<annotation>`` file per image, boxes only.

Layouts read (the first that fits)::

    voc/                                  a VOC folder: only Annotations/ is read
    ├── Annotations/2007_000027.xml       (subfolders mirror the image paths)
    ├── ImageSets/Main/trainval.txt       optional; ``--option subset=trainval`` reads only its ids
    │                                     (an id without XML: an image without objects)
    └── JPEGImages/ ...                   optional, never opened
    labels/ a.xml sub/b.xml               a plain folder of .xml files (LabelImg, globox), recursively
    a.xml                                 one file

A folder with no .xml file is ``unreadable_payload``, not an empty import. Detection names every
sign of a 0-based writer it sees in the first files (a 0 or fractional corner, whole corners as
floats, Datumaro's ``<source>`` or ``<attributes>``, a ``labelmap.txt``, globox's bare layout):
reasons only, the origin stays what the option says.

One file::

    <annotation>
      <folder>VOC2007</folder> <filename>000001.jpg</filename> <path>/abs/000001.jpg</path>
      <size><width>353</width><height>500</height><depth>3</depth></size>
      <segmented>0</segmented>
      <object>
        <name>dog</name> <pose>Left</pose>
        <truncated>1</truncated> <occluded>0</occluded> <difficult>0</difficult>
        <bndbox><xmin>48</xmin><ymin>240</ymin><xmax>195</xmax><ymax>371</ymax></bndbox>
        <attributes><attribute><name>color</name><value>black</value></attribute></attributes>
      </object>
    </annotation>

Mapping to the canonical records (``labelport.model.records``)::

    VOC                                      canonical
    filename (+ the file's subfolder)        RowRef(filename=...): see "Rows" below
    size/width, size/height                  Record.image_size (depth is ignored; 0 means unknown)
    object/name                              Annotation.name (as spelled; the validator matches)
    object/bndbox, origin 1 (default)        bbox [xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1]
    object/bndbox, --option origin=0         bbox [xmin, ymin, xmax - xmin, ymax - ymin]
    truncated / occluded / difficult (0|1)   extra["attributes"][name] = False | True
    pose                                     extra["attributes"]["pose"] = text
    attributes/attribute (name, value)       extra["attributes"][name] = text; a name repeated: a list
                                             (Datumaro and CVAT write this block)
    object/part                              unsupported_annotation (error), at the part
    segmented = 1                            unsupported_annotation (warning): the PNG masks are not read
    object/actions, object/point, others     unknown_field (warning), ignored

Coordinates. The VOC devkit numbers pixels from 1 and ``xmin..xmax`` is inclusive, so the box's
continuous extent is ``[xmin - 1, xmax]``. CVAT, globox and Datumaro's default writer put 0-based
continuous corners in the same elements instead; read and write those with ``--option origin=0``.
Under origin 1 an ``xmin`` or ``ymin`` below 1 is impossible and is reported (``invalid_value``,
with a hint to pass ``origin=0``) rather than turned into an out-of-bounds box. Arithmetic is done
on the decimal text (``decimal``), never on binary floats, so nothing is rounded twice: integral
results stay ints, the rest become the float nearest the exact decimal. The writer spells each
stored float with :func:`~labelport.formats.common.number` and adds exactly, so import → export →
import gives identical floats for every box (``48.5``/``195.2`` included).

Rows. ``filename`` names the image. A ``filename`` holding a ``/`` is a path relative to the
dataset root (Datumaro writes ``sub/a.jpg``). A bare name in a file that sits in a subfolder of
the payload (or of ``Annotations/``) gets that subfolder in front (``sub/a.xml`` naming ``a.jpg``
means ``sub/a.jpg``), so the export's mirrored tree matches its rows again; a bare name at the top
is matched as a path, then as a unique basename. ``folder`` and ``path`` are ignored (``folder`` is
the dataset name in VOC itself, ``path`` an absolute path on the labeller's disk). A file without
``filename`` is matched by its own path without ``.xml`` against the rows' paths without extension.

Export writes ``Annotations/<row path>.xml`` (folder = the row's parent path, filename = its
basename, size with depth 3, segmented 0), ``ImageSets/Main/<subset or default>.txt`` and
Datumaro's ``labelmap.txt`` (every rectangle tool, in ontology order, with its colour). An object's
``difficult``/``truncated``/``occluded`` (when true/false-like) and ``pose`` become VOC elements;
its other answers and kept attributes go to ``<attributes>`` (a checklist as a repeated name).
VOC cannot carry, and the summary lists: every shape but an unrotated box, image-level
classifications, answers nested under an option, and a second row with the same path but another
extension (VOC names items by path without extension).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError
from defusedxml.ElementTree import iterparse as _safe_iterparse

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
    cannot_carry,
    flat_attributes,
    number,
    prepare_output,
    safe_rel,
    tools_of,
    unwritten_fields,
    walk,
)
from labelport.model.errors import InvalidInputError
from labelport.model.issues import Location, Severity
from labelport.model.ontology import ToolKind
from labelport.model.records import CLASSIFICATION_KINDS, Annotation, Record, RowRef, attribute_text

FMT = "VOC"
FLAGS = ("truncated", "occluded", "difficult")  # in the order Datumaro writes them, after `pose`
_TOP_TAGS = frozenset({"folder", "filename", "path", "source", "owner", "size", "segmented", "object"})
_OBJECT_TAGS = frozenset({"name", "pose", *FLAGS, "bndbox", "part", "attributes"})
_ACTION_TAGS = frozenset({"actions", "point"})
_CORNERS = ("xmin", "ymin", "xmax", "ymax")
_NUMBER = re.compile(r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|(?i:nan|inf|infinity))")
# Exact decimal arithmetic: a float's shortest text has at most 17 digits and an exponent within
# ±324, so sums of two of them fit in 700 digits; absurd exponents in a file just round.
_EXACT = Context(prec=1100, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])
_BIG_INT = 2**53
_DETECT_FILES = 5
_DETECT_EVENTS = 4000
_HINT_ORIGIN = "this file looks 0-based: pass --option origin=0"
_CLASS_KINDS = frozenset({*CLASSIFICATION_KINDS, "classification"})


# --------------------------------------------------------------------------------------------------
# options


@dataclass(frozen=True)
class _Options:
    origin: int = 1
    subset: str | None = None
    zeros_absent: bool = False  # --option zeros=absent


def _options(options: Mapping[str, str] | None) -> _Options:
    opts = dict(options or {})
    origin = opts.get("origin", "1").strip()
    if origin not in ("0", "1"):
        raise InvalidInputError(
            f"voc option origin={origin!r} is neither 0 nor 1",
            code="invalid_option",
            hint="origin=1 for the VOC devkit's 1-based pixels, origin=0 for 0-based corners",
        )
    zeros = opts.get("zeros", "keep").strip()
    if zeros not in ("keep", "absent"):
        raise InvalidInputError(
            f"voc option zeros={zeros!r} is neither keep nor absent", code="invalid_option"
        )
    subset = opts.get("subset")
    if subset is not None and (not subset or "/" in subset or "\\" in subset or subset in (".", "..")):
        raise InvalidInputError(
            f"voc option subset={subset!r} must be a plain list name such as trainval",
            code="invalid_option",
        )
    return _Options(origin=int(origin), subset=subset, zeros_absent=zeros == "absent")


# --------------------------------------------------------------------------------------------------
# numbers


def _decimal(text: str) -> Decimal | None:
    """The exact value of a coordinate's text, or None when the text is not a number."""
    t = text.strip()
    return Decimal(t) if _NUMBER.fullmatch(t) else None


def _value(d: Decimal) -> int | float:
    """An exact decimal as a canonical number: an int when integral (and JSON-safe), else the
    nearest float (one rounding, from the exact value)."""
    if d.is_finite() and d == d.to_integral_value(context=_EXACT) and abs(d) < _BIG_INT:
        return int(d)
    return float(d)


def _text(d: Decimal) -> str:
    """An exact decimal written without exponent or trailing zeros (``48``, ``195.2``)."""
    if not d.is_finite():
        return str(d)
    if d == d.to_integral_value(context=_EXACT):
        return str(int(d))
    return format(d.normalize(_EXACT), "f")


def _exact(v: float) -> Decimal:
    """A stored number as the decimal its shortest text spells (what a reader of it gets back)."""
    return Decimal(number(v))


# --------------------------------------------------------------------------------------------------
# XML parsing


class _LineBuilder(ET.TreeBuilder):
    """A tree builder that remembers the line each element starts on (expat knows it)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[ET.Element, int] = {}
        self.expat: Any = None

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        elem = super().start(tag, attrs)
        if self.expat is not None:
            self.lines[elem] = self.expat.CurrentLineNumber
        return elem


class _File:
    """One XML file being read: where issues go and what their locations share."""

    def __init__(self, sink: IssueSink, file: str) -> None:
        self.sink = sink
        self.file = file
        self.data_row: str | None = None
        self.lines: dict[ET.Element, int] = {}

    def report(
        self,
        code: str,
        message: str,
        pointer: str | None = None,
        *,
        at: ET.Element | None = None,
        line: int | None = None,
        value: Any = None,
        hint: str | None = None,
        severity: Severity | None = None,
    ) -> None:
        if line is None and at is not None:
            line = self.lines.get(at)
        loc = Location(file=self.file, line=line, pointer=pointer, data_row=self.data_row)
        self.sink(issue(code, message, loc, value=value, hint=hint, severity=severity))


def _parse(path: Path, f: _File) -> ET.Element | None:
    """The file's tree, with element lines in ``f.lines``; None (reported) when it cannot be read."""
    builder = _LineBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.expat = parser.parser
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 16):
                parser.feed(chunk)
        root: ET.Element = parser.close()
    except OSError as exc:
        f.report("unreadable_payload", f"cannot read the file: {exc.strerror or exc}")
        return None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        f.report("invalid_xml", f"not well-formed XML: {exc}", line=line)
        return None
    except DefusedXmlException as exc:
        what = type(exc).__name__.removesuffix("Forbidden") or "construct"
        f.report(
            "invalid_xml",
            f"the file declares a {what} ({exc}); DTDs and entities are refused",
            line=parser.parser.CurrentLineNumber,
            hint="Remove the <!DOCTYPE> / <!ENTITY> declarations; VOC files need none.",
        )
        return None
    f.lines = builder.lines
    return root


# --------------------------------------------------------------------------------------------------
# read


def read(payload: Path, sink: IssueSink, options: Mapping[str, str] | None = None) -> Iterator[Record]:
    """Stream one Record per VOC XML file (a VOC folder, a folder of .xml files, or one file)."""
    opts = _options(options)
    if payload.is_file():
        if opts.subset is not None:
            raise InvalidInputError(
                "voc option subset needs a VOC folder, not one file", code="invalid_option"
            )
        record = _read_file(payload, _File(sink, payload.name), "", opts)
        if record is not None:
            yield record
        return
    if not payload.is_dir():
        sink(
            issue(
                "unreadable_payload",
                f"{payload} is neither a file nor a folder",
                Location(file=str(payload)),
                hint="Check the path.",
            )
        )
        return
    voc = (payload / "Annotations").is_dir()
    base = payload / "Annotations" if voc else payload
    prefix = "Annotations/" if voc else ""
    seen = False
    for path in _files(payload, base, opts.subset, sink):
        seen = True
        if isinstance(path, Record):  # listed in the subset, no XML: an image without objects
            yield path
            continue
        rel = path.relative_to(base).as_posix()
        parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
        record = _read_file(path, _File(sink, prefix + rel), parent, opts)
        if record is not None:
            yield record
    if not seen and opts.subset is None:
        where = f"{payload.name}/Annotations" if voc else payload.name
        sink(
            issue(
                "unreadable_payload",
                f"no VOC XML files under {where}",
                Location(file=prefix or "."),
                hint="Give a VOC folder (Annotations/*.xml), a folder of .xml files, or one .xml file.",
            )
        )


def _files(payload: Path, base: Path, subset: str | None, sink: IssueSink) -> Iterator[Path | Record]:
    """Every XML file under ``base``, or the ones ``ImageSets/Main/<subset>.txt`` lists. A listed
    id without an XML file is an image without objects (Datumaro writes no file for those): its
    empty record is yielded in its place, matched by path without extension."""
    if subset is None:
        yield from walk(base, ".xml")
        return
    name = f"ImageSets/Main/{subset}.txt"
    try:
        fh = (payload / name).open(encoding="utf-8")
    except OSError as exc:
        sink(
            issue(
                "unreadable_payload",
                f"cannot read the subset list {name}: {exc.strerror or exc}",
                Location(file=name),
                hint="Name a list that exists under ImageSets/Main/ (without .txt).",
            )
        )
        return
    with fh:
        for lineno, line in enumerate(fh, 1):
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            item = words[0]
            path = base / f"{item}.xml"
            if ".." in PurePosixPath(item).parts or item.startswith("/") or "\\" in item:
                sink(
                    issue(
                        "invalid_value",
                        f"{name} lists {item!r}, which is not a path inside Annotations/",
                        Location(file=name, line=lineno),
                        value=item,
                    )
                )
            elif path.is_file():
                yield path
            else:
                yield Record(
                    row=RowRef(filename=item, stem=True),
                    annotations=[],
                    location=Location(file=name, line=lineno, data_row=item),
                )


def _read_file(path: Path, f: _File, parent: str, opts: _Options) -> Record | None:
    root = _parse(path, f)
    if root is None:
        return None
    if root.tag != "annotation":
        f.report(
            "wrong_type",
            f"the root element is <{root.tag}>, not <annotation>",
            f"/{root.tag}",
            at=root,
            hint="A Pascal VOC file holds one <annotation> element"
            + (
                " (CVAT for images XML has <annotations>: use --format cvat)"
                if root.tag == "annotations"
                else ""
            ),
        )
        return None
    for child in root:
        if child.tag not in _TOP_TAGS:
            f.report(
                "unknown_field",
                f"unknown element <{child.tag}> is ignored",
                f"/annotation/{child.tag}",
                at=child,
            )

    row = _row_ref(root, path, f, parent)
    f.data_row = str(row)
    size = _size(root, f)
    segmented = root.find("segmented")
    if segmented is not None and (segmented.text or "").strip() == "1":
        f.report(
            "unsupported_annotation",
            "segmented = 1: the image's segmentation masks (SegmentationClass/SegmentationObject PNGs) "
            "are not imported; only the boxes are",
            "/annotation/segmented",
            at=segmented,
            severity=Severity.WARNING,
        )
    annotations: list[Annotation] = []
    for i, obj in enumerate(root.findall("object"), 1):
        ann = _object(obj, f"/annotation/object[{i}]", f, opts)
        if ann is not None:
            annotations.append(ann)
    return Record(
        row=row, annotations=annotations, location=Location(file=f.file, data_row=f.data_row), image_size=size
    )


def _row_ref(root: ET.Element, path: Path, f: _File, parent: str) -> RowRef:
    """How the file names its image (see "Rows" in the module docstring)."""
    elem = root.find("filename")
    name = (elem.text or "").strip().replace("\\", "/") if elem is not None else ""
    while name.startswith("./"):
        name = name[2:]
    if not name:
        stem = path.name[: -len(".xml")]
        return RowRef(filename=f"{parent}/{stem}" if parent else stem, stem=True)
    if "/" not in name and parent:
        name = f"{parent}/{name}"
    return RowRef(filename=name)


def _size(root: ET.Element, f: _File) -> tuple[float, float] | None:
    size = root.find("size")
    if size is None:
        return None
    dims: list[int | float] = []
    for key in ("width", "height"):
        elem = size.find(key)
        pointer = f"/annotation/size/{key}"
        if elem is None:
            f.report("missing_field", f"<size> has no <{key}>", pointer, at=size)
            return None
        d = _decimal(elem.text or "")
        if d is None:
            f.report("wrong_type", f"<{key}> must be a number", pointer, at=elem, value=elem.text)
            return None
        if not d.is_finite() or d < 0:
            f.report("invalid_value", f"<{key}> must be a positive size", pointer, at=elem, value=elem.text)
            return None
        dims.append(_value(d))
    if not dims[0] or not dims[1]:
        return None  # some tools write 0 x 0 when they did not know the size
    return dims[0], dims[1]


def _object(obj: ET.Element, pointer: str, f: _File, opts: _Options) -> Annotation | None:
    ok = True
    name_elem = obj.find("name")
    name = (name_elem.text or "").strip() if name_elem is not None else None
    if name_elem is None:
        f.report("missing_field", "the object has no <name>", f"{pointer}/name", at=obj)
        ok = False
    elif not name:
        f.report("invalid_value", "the object's <name> is empty", f"{pointer}/name", at=name_elem)
        ok = False

    for child in obj:
        if child.tag in _ACTION_TAGS:
            f.report(
                "unknown_field",
                f"<{child.tag}> (VOC action classification) is not imported",
                f"{pointer}/{child.tag}",
                at=child,
            )
        elif child.tag not in _OBJECT_TAGS:
            f.report(
                "unknown_field",
                f"unknown element <{child.tag}> is ignored",
                f"{pointer}/{child.tag}",
                at=child,
            )

    for j, part in enumerate(obj.findall("part"), 1):
        part_name = (part.findtext("name") or "").strip()
        f.report(
            "unsupported_annotation",
            f"the part `{part_name}` of `{name}` cannot be imported: labelport links no box to another",
            f"{pointer}/part[{j}]",
            at=part,
            value=part_name or None,
            hint="Remove the <part> elements, or make each part an <object> of its own.",
        )

    attributes = _attributes(obj, pointer, f, opts)
    box = _bndbox(obj, pointer, f, opts.origin)
    if box is None or not ok:
        return None
    return Annotation(
        kind="bbox",
        name=name,
        geometry=box,
        extra={"attributes": attributes} if attributes else None,
        pointer=pointer,
        line=f.lines.get(obj),
    )


def _attributes(obj: ET.Element, pointer: str, f: _File, opts: _Options) -> dict[str, Any]:
    """VOC's own object fields and Datumaro's ``<attributes>`` block, typed as the file gives them."""
    out: dict[str, Any] = {}
    pose = obj.find("pose")
    if pose is not None and (pose.text or "").strip():
        out["pose"] = (pose.text or "").strip()
    for flag in FLAGS:
        elem = obj.find(flag)
        if elem is None:
            continue
        text = (elem.text or "").strip()
        if not text:
            continue
        if text not in ("0", "1"):
            f.report(
                "invalid_value",
                f"<{flag}> must be 0 or 1",
                f"{pointer}/{flag}",
                at=elem,
                value=text,
                hint="VOC flags are 0 or 1.",
            )
            continue
        if text == "1" or not opts.zeros_absent:
            out[flag] = text == "1"
    block = obj.find("attributes")
    if block is None:
        return out
    extension: dict[str, Any] = {}
    for k, attr in enumerate(block, 1):
        where = f"{pointer}/attributes/{attr.tag}[{k}]"
        if attr.tag != "attribute":
            f.report(
                "unknown_field", f"unknown element <{attr.tag}> in <attributes> is ignored", where, at=attr
            )
            continue
        name_elem, value_elem = attr.find("name"), attr.find("value")
        if name_elem is None or not (name_elem.text or "").strip():
            f.report("missing_field", "an <attribute> without a <name>", f"{where}/name", at=attr)
            continue
        name = (name_elem.text or "").strip()
        if value_elem is None:
            f.report("missing_field", f"the attribute `{name}` has no <value>", f"{where}/value", at=attr)
            continue
        value = value_elem.text or ""
        if name in out:
            f.report(
                "unknown_field",
                f"the attribute `{name}` is also given as <{name}>; the <attributes> value is ignored",
                where,
                at=attr,
                value=value,
            )
            continue
        if name in extension:  # a repeated name is a list (a checklist answer)
            prior = extension[name]
            extension[name] = [*prior, value] if isinstance(prior, list) else [prior, value]
        else:
            extension[name] = value
    out.update(extension)
    return out


def _bndbox(obj: ET.Element, pointer: str, f: _File, origin: int) -> list[int | float] | None:
    box = obj.find("bndbox")
    where = f"{pointer}/bndbox"
    if box is None:
        f.report("missing_field", "the object has no <bndbox>", where, at=obj)
        return None
    values: dict[str, Decimal] = {}
    for key in _CORNERS:
        elem = box.find(key)
        if elem is None:
            f.report("missing_field", f"<bndbox> has no <{key}>", f"{where}/{key}", at=box)
            continue
        d = _decimal(elem.text or "")
        if d is None:
            f.report("wrong_type", f"<{key}> must be a number", f"{where}/{key}", at=elem, value=elem.text)
            continue
        values[key] = d
    if len(values) != len(_CORNERS):
        return None
    if origin == 1:
        low = [k for k in ("xmin", "ymin") if values[k].is_finite() and values[k] < 1]
        if low:
            k = low[0]
            f.report(
                "invalid_value",
                f"<{k}> is {_text(values[k])}, impossible in a 1-based VOC file (pixels are numbered from 1)",
                f"{where}/{k}",
                at=box.find(k),
                value=_value(values[k]),
                hint=_HINT_ORIGIN,
            )
            return None
    x = _EXACT.subtract(values["xmin"], origin)
    y = _EXACT.subtract(values["ymin"], origin)
    w = _EXACT.subtract(values["xmax"], x)
    h = _EXACT.subtract(values["ymax"], y)
    return [_value(x), _value(y), _value(w), _value(h)]


# --------------------------------------------------------------------------------------------------
# write


class _Out:
    def __init__(self, summary: ExportSummary, row: ExportRow) -> None:
        self.summary, self.row = summary, row

    def lost(self, what: str, ann: Annotation | None = None) -> None:
        self.summary.not_expressible.append(cannot_carry(FMT, what, self.row, ann))


def write(rows: Iterable[ExportRow], out: Path, ctx: ExportContext) -> ExportSummary:
    """``Annotations/<row path>.xml`` per row, ``ImageSets/Main/<subset>.txt`` and ``labelmap.txt``."""
    opts = _options(ctx.options)
    prepare_output(out, kind="dir")
    ann_dir = out / "Annotations"
    ann_dir.mkdir()
    summary = ExportSummary()
    ids: list[str] = []
    taken: set[str] = set()
    for row in rows:
        o = _Out(summary, row)
        rel = safe_rel(row)
        item = rel.rsplit(".", 1)[0] if "." in rel.rsplit("/", 1)[-1] else rel
        if item in taken:
            o.lost(f"a second image {item!r} (another extension): VOC names items by path without extension")
            continue
        taken.add(item)
        root, written = _row_xml(row, rel, o, opts)
        target = ann_dir.joinpath(*f"{item}.xml".split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        ET.indent(root, space="  ")
        with target.open("xb") as fh:
            ET.ElementTree(root).write(fh, encoding="utf-8", xml_declaration=False)
            fh.write(b"\n")
        ids.append(item)
        summary.rows += 1
        summary.annotations += written
    lists = out / "ImageSets" / "Main"
    lists.mkdir(parents=True, exist_ok=True)
    (lists / f"{opts.subset or 'default'}.txt").write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    _labelmap(out / "labelmap.txt", ctx, summary)
    return summary


def _labelmap(path: Path, ctx: ExportContext, summary: ExportSummary) -> None:
    """Datumaro's ``labelmap.txt``: every rectangle tool in ontology order, ``name:r,g,b::``."""
    lines = ["# label:color_rgb:parts:actions"]
    for tool in tools_of(ctx, [ToolKind.RECTANGLE]):
        if ":" in tool.name or "\n" in tool.name or tool.name.strip() != tool.name or not tool.name:
            summary.not_expressible.append(
                issue(
                    "unsupported_annotation",
                    f"{FMT} labelmap.txt cannot carry the class {tool.name!r} (':' separates its fields)",
                    Location(),
                )
            )
            continue
        lines.append(f"{tool.name}:{_rgb(tool.color)}::")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _rgb(color: str | None) -> str:
    c = (color or "").lstrip("#")
    if re.fullmatch(r"[0-9a-fA-F]{6}", c):
        return ",".join(str(int(c[i : i + 2], 16)) for i in (0, 2, 4))
    return ""


def _row_xml(row: ExportRow, rel: str, o: _Out, opts: _Options) -> tuple[ET.Element, int]:
    root = ET.Element("annotation")
    folder, _, filename = rel.rpartition("/")
    ET.SubElement(root, "folder").text = folder
    ET.SubElement(root, "filename").text = filename
    md = row.metadata or {}
    width, height = md.get("width"), md.get("height")
    if isinstance(width, int | float) and isinstance(height, int | float):
        size = ET.SubElement(root, "size")
        ET.SubElement(size, "width").text = number(width)
        ET.SubElement(size, "height").text = number(height)
        ET.SubElement(size, "depth").text = "3"
    ET.SubElement(root, "segmented").text = "0"
    written = 0
    for ann in row.annotations:
        if ann.kind in _CLASS_KINDS:
            o.lost(f"the image-level classification `{ann.name or 'label'}`", ann)
            continue
        if ann.kind != "bbox":
            o.lost(f"a {ann.kind} (`{ann.name}`): VOC carries boxes only", ann)
            continue
        g = ann.geometry
        if len(g) > 4 and g[4] % 360:
            o.lost(f"a rotated box (`{ann.name}`, {number(g[4])} degrees)", ann)
            continue
        if not ann.name:
            o.lost("a box without a class name", ann)
            continue
        root.append(_object_xml(ann, o, opts))
        written += 1
    return root, written


def _object_xml(ann: Annotation, o: _Out, opts: _Options) -> ET.Element:
    obj = ET.Element("object")
    ET.SubElement(obj, "name").text = ann.name
    attrs, lossy = flat_attributes(ann)
    for name in lossy:
        o.lost(f"the answers nested under `{name}` of `{ann.name}`", ann)
    o.summary.not_expressible += unwritten_fields(FMT, o.row, ann, ("attributes",))
    pose = attrs.get("pose")
    if isinstance(pose, str | int | float) and not isinstance(pose, bool):
        ET.SubElement(obj, "pose").text = attribute_text(attrs.pop("pose"))
    for flag in FLAGS:
        flag_value = _flag(attrs.get(flag))
        if flag_value is not None:
            attrs.pop(flag)
        elif flag not in attrs and opts.zeros_absent:
            flag_value = "0"  # under zeros=absent a flag not set is a 0 (as the devkit writes it)
        if flag_value is not None:
            ET.SubElement(obj, flag).text = flag_value
    x, y, w, h = (_exact(v) for v in ann.geometry[:4])
    box = ET.SubElement(obj, "bndbox")
    for key, d in zip(
        _CORNERS,
        (
            _EXACT.add(x, opts.origin),
            _EXACT.add(y, opts.origin),
            _EXACT.add(x, w),
            _EXACT.add(y, h),
        ),
        strict=True,
    ):
        ET.SubElement(box, key).text = _text(d)
    block = ET.Element("attributes")
    for name, value in attrs.items():
        for item in _attribute_items(name, value, ann, o):
            attr = ET.SubElement(block, "attribute")
            ET.SubElement(attr, "name").text = name
            ET.SubElement(attr, "value").text = item
    if len(block):
        obj.append(block)
    return obj


def _flag(value: Any) -> str | None:
    """A VOC flag's 0/1 for a true/false-like value; None when the value is something else."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float) and value in (0, 1):
        return str(int(value))
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
        return "1" if value.strip().lower() in ("1", "true") else "0"
    return None


def _attribute_items(name: str, value: Any, ann: Annotation, o: _Out) -> list[str]:
    """The ``<value>`` texts of one attribute: one for a scalar, one per item for a list."""
    items = value if isinstance(value, list) else [value]
    if not items:
        o.lost(f"the empty list answer of `{name}`", ann)
        return []
    out: list[str] = []
    for item in items:
        if isinstance(item, str | int | float):
            out.append(attribute_text(item))
        else:
            what = "no value" if item is None else f"a {type(item).__name__} value"
            o.lost(f"the attribute `{name}` ({what})", ann)
            return []
    return out


# --------------------------------------------------------------------------------------------------
# detect


def detect(payload: Path) -> Detection:
    """A VOC folder (``Annotations/``), a folder of VOC .xml files, or one; with origin evidence."""
    if payload.is_file():
        if payload.suffix.lower() != ".xml":
            return Detection(0.0, [f"{payload.name} is not an .xml file"])
        found: dict[str, str] = {}
        problem = _detect_file(payload, payload.name, found)
        if problem:
            return Detection(0.0, [problem])
        _labelmap_evidence(payload.parent, found)
        return Detection(0.9, [f"{payload.name} is a Pascal VOC <annotation>", *_evidence(found)])
    if not payload.is_dir():
        return Detection(0.0, [f"{payload} does not exist"])
    voc = (payload / "Annotations").is_dir()
    base = payload / "Annotations" if voc else payload
    prefix = "Annotations/" if voc else ""
    seen = 0
    found = {}
    for path in walk(base, ".xml"):
        problem = _detect_file(path, prefix + path.relative_to(base).as_posix(), found)
        if problem:
            return Detection(0.0, [problem])
        seen += 1
        if seen == _DETECT_FILES:
            break
    if not seen:
        return Detection(0.0, ["Annotations/ holds no .xml files" if voc else "no .xml files"])
    _labelmap_evidence(payload, found)
    if voc:
        reasons = [f"a VOC folder: Annotations/ holds <annotation> files ({seen} checked)"]
        main = payload / "ImageSets" / "Main"
        if main.is_dir():
            names = sorted(p.stem for p in main.glob("*.txt"))
            if names:
                reasons.append("ImageSets/Main lists " + ", ".join(names[:8]) + " (--option subset=NAME)")
        return Detection(0.95, reasons + _evidence(found))
    return Detection(0.85, [f"a folder of Pascal VOC <annotation> files ({seen} checked)", *_evidence(found)])


# Signs of a writer that puts 0-based corners in <bndbox> (the default origin=1 is the devkit's).
# Reasons only: each is shown once, from the first file that has it; nothing is decided from them.
_EVIDENCE = ("zero", "fraction", "float", "source", "attributes", "globox", "labelmap")
_ZERO_BASED = "0-based: --option origin=0"
_WEAKER = {"fraction": ("float",), "source": ("attributes", "labelmap")}  # said already by the first


def _evidence(found: dict[str, str]) -> list[str]:
    hidden = {k for strong, weak in _WEAKER.items() if strong in found for k in weak}
    return [found[k] for k in _EVIDENCE if k in found and k not in hidden]


def _labelmap_evidence(folder: Path, found: dict[str, str]) -> None:
    if (folder / "labelmap.txt").is_file():
        found["labelmap"] = (
            "a labelmap.txt, as Datumaro/CVAT write (their default is 0-based: --option origin=0; "
            "labelport's export writes one too, under the origin it was given)"
        )


def _detect_file(path: Path, name: str, found: dict[str, str]) -> str | None:
    """Why a file is not VOC (or None); what its first elements say about the origin into ``found``."""
    mine: dict[str, str] = {}
    try:
        with path.open("rb") as fh:
            problem = _scan(fh, name, mine)
    except (ParseError, DefusedXmlException) as exc:
        return f"{name} is not usable XML ({exc})"
    except OSError as exc:
        return f"{name} cannot be read: {exc.strerror or exc}"
    if problem:
        return problem
    for k, v in mine.items():
        found.setdefault(k, v)
    return None


def _scan(fh: Any, name: str, found: dict[str, str]) -> str | None:
    """Walk a file's first elements: a reason it is not VOC, or None; origin evidence into ``found``."""
    saw_root = voc_child = complete = False
    tags: set[str] = set()  # every element seen, for the layout
    source: dict[str, str] = {}
    object_tags: set[str] = set()
    path: list[str] = []
    for n, (event, elem) in enumerate(_safe_iterparse(fh, events=("start", "end"), forbid_dtd=True)):
        if not saw_root:
            if elem.tag != "annotation":
                extra = " (CVAT for images XML?)" if elem.tag == "annotations" else ""
                return f"{name}: the root element is <{elem.tag}>, not <annotation>{extra}"
            saw_root = True
        if event == "start":
            path.append(elem.tag)
            tags.add(elem.tag)
            if elem.tag in ("size", "bndbox"):
                voc_child = True
            if len(path) == 3 and path[1] == "object":
                object_tags.add(elem.tag)
            continue
        path.pop()
        if not path:
            complete = True
        if len(path) == 2 and path[1] == "source":
            source[elem.tag] = (elem.text or "").strip()
        if elem.tag in _CORNERS:
            _corner_evidence(elem, name, found)
        if n >= _DETECT_EVENTS:
            break
    if not voc_child:
        return f"{name}: <annotation> has neither <size> nor <bndbox> (MIT LabelMe XML has <imagesize>)"
    db = source.get("database", "")
    if any(w in db.lower() for w in ("cvat", "datumaro")) or (
        db == "Unknown" and source.get("annotation") == "Unknown"
    ):
        found["source"] = (
            f"{name}: <source> as Datumaro/CVAT write it (their default is {_ZERO_BASED}; "
            "keep the default for coordinate_mode=voc-one-based)"
        )
    if "attributes" in object_tags:
        found["attributes"] = (
            f"{name}: <attributes> in objects, as Datumaro/CVAT write (their default is {_ZERO_BASED})"
        )
    layout = {"folder", "segmented", "depth", "source"}
    if complete and "object" in tags and not tags & layout and object_tags <= {"name", "bndbox"}:
        found["globox"] = f"{name}: globox's layout (no <folder>, <segmented>, <depth>), {_ZERO_BASED}"
    return None


def _corner_evidence(elem: ET.Element, name: str, found: dict[str, str]) -> None:
    text = (elem.text or "").strip()
    d = _decimal(text)
    if d is None or not d.is_finite():
        return
    if elem.tag in ("xmin", "ymin") and d < 1:
        found.setdefault(
            "zero",
            f"{name} has a box with {elem.tag} = {_text(d)}: it looks 0-based (--option origin=0)",
        )
    if d != d.to_integral_value(context=_EXACT):
        found.setdefault(
            "fraction",
            f"{name} has fractional coordinates: CVAT, globox and Datumaro's default write 0-based "
            "corners (--option origin=0); the VOC devkit writes 1-based integers",
        )
    elif "." in text or "e" in text.lower():
        found.setdefault(
            "float",
            f"{name}: whole corners written as floats ({text}), as globox does ({_ZERO_BASED})",
        )


SPEC = FormatSpec(
    name="voc",
    title="Pascal VOC",
    carries="one XML per image (VOC folder, folder of .xml, or one file): boxes with class names, "
    "pose/truncated/occluded/difficult and Datumaro <attributes>, image size. 1-based pixels by "
    "default, 0-based with origin=0. Not rotated boxes, other shapes, parts, masks or image-level "
    "classifications.",
    read=read,
    write=write,
    detect=detect,
    options={
        "origin": "1 (default): bndbox holds the VOC devkit's 1-based inclusive pixel indices; "
        "0: 0-based corners, as CVAT, globox and Datumaro's default write them (read and write)",
        "subset": "read only the images listed in ImageSets/Main/<subset>.txt; on export, the name of "
        "that list (default: default)",
        "zeros": "keep (default): truncated/occluded/difficult = 0 is kept as false; absent: only flags "
        "set to 1 are kept, and export writes 0 for every flag not set",
    },
)
