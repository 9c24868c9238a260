"""COCO instances / person-keypoints JSON: one file for the whole dataset.

Layout on disk: one ``.json`` file, or a folder holding exactly one ``annotations/*.json`` (the
layout Datumaro and CVAT write), or else exactly one top-level ``*.json`` that has ``images``
and ``annotations``::

    {"images":      [{"id": 1, "file_name": "train/a.jpg", "width": 640, "height": 480}],
     "categories":  [{"id": 1, "name": "person", "supercategory": "human",
                      "keypoints": ["nose", ...], "skeleton": [[1, 2], ...]}],
     "annotations": [{"id": 7, "image_id": 1, "category_id": 1, "bbox": [x, y, w, h],
                      "segmentation": [[x0, y0, ...], ...] | {"size": [h, w], "counts": ...},
                      "area": 812.5, "iscrowd": 0, "keypoints": [x, y, v, ...],
                      "num_keypoints": 3, "attributes": {"occluded": false}}]}

Mapping (both directions)::

    COCO                                   canonical Annotation
    image file_name                        Record.row = RowRef(filename=file_name): the path
                                           relative to the dataset root, or a unique basename
    image width, height                    Record.image_size (validation checks the row's size)
    image without annotations              an empty Record: "labelled, no objects"
    category name                          Annotation.name (as spelled)
    category supercategory                 extra["supercategory"] (when not empty)
    keypoints [x, y, v, ...] (non-empty)   keypoints, same list (needs a skeleton tool);
                                           a segmentation beside it: extra["segmentation"]
    segmentation RLE (compressed string    mask, canonical compressed COCO RLE
      or uncompressed list counts)
    segmentation polygons (one or more     polygon, one flat list per ring (several rings =
      rings)                               one multi-polygon annotation)
    bbox (no segmentation, no keypoints)   bbox [x, y, w, h]; with a numeric
                                           attributes.rotation r != 0 (CVAT): [x, y, w, h, r]
    id, iscrowd                            extra["id"], extra["iscrowd"]
    bbox of a polygon/mask/keypoints       extra["bbox"] only when it differs from the extent
                                           the writer would compute
    area                                   extra["area"] only when it differs from what the
                                           writer would compute (box w*h, polygon shoelace,
                                           mask pixel count, keypoints: their bbox's w*h)
    attributes {name: value}               extra["attributes"] (validation answers the tool's
                                           classifications of the same names from them)

Export writes ``info``, ``licenses: []``, ``images`` (ids 1.. in row order, ``file_name`` the
row's path relative to its dataset root, ``width``/``height`` from the row), ``categories``
(every rectangle, polygon, poly_seg, raster-segmentation and skeleton tool in ontology order,
ids 1..; skeleton tools with ``keypoints`` and ``skeleton``) and ``annotations`` (the kept id
when it is an unused integer, else the next free one; ``bbox``, ``area``, ``iscrowd`` (0 unless
kept), ``segmentation`` (``[]`` for boxes), keypoints with ``num_keypoints`` = labelled points,
and ``attributes`` from answers and kept attributes). Numbers are written as parsed, never
rounded.

What COCO cannot carry, reported in ``ExportSummary.not_expressible``: lines, points, ellipses,
cuboids, entities, relationships, global classifications, answers nested under an option, track
ids, and rotated boxes when ``--option rotation=refuse`` (by default a box's angle goes to
``attributes.rotation`` as CVAT writes it, and the ``bbox`` is the unrotated box).

Reading decodes the file once with msgspec into typed structs (no dict tree). When the types do
not match, it decodes again element by element (each element a raw slice of the same buffer) to
report every bad element with its JSON pointer, and goes on with the rest.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import mul, sub
from pathlib import Path
from typing import IO, Any

import msgspec

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
    plain,
    plain_numbers,
    prepare_output,
    row_path,
    to_json,
    tools_of,
    unwritten_fields,
)
from labelport.model.issues import Location
from labelport.model.ontology import Tool, ToolKind
from labelport.model.records import Annotation, Record, RowRef

FMT = "COCO"
_CATEGORY_TOOLS = (
    ToolKind.RECTANGLE,
    ToolKind.POLYGON,
    ToolKind.POLY_SEG,
    ToolKind.RASTER_SEGMENTATION,
    ToolKind.SKELETON,
)
_SNIFF_BYTES = 1 << 20
_PARSE_FOR_DETECTION = 16 << 20  # files up to this size are parsed whole (as raw slices) to detect
_MARKS = {
    "images": (b'"images"', b'"file_name"'),
    "annotations": (b'"annotations"', b'"category_id"'),
    "categories": (b'"categories"', b'"supercategory"'),
}

# --------------------------------------------------------------------------------------------------
# the file, typed loosely enough that every element of the right shape decodes


class _Rle(msgspec.Struct, gc=False):
    size: list[int]
    counts: str | list[int]


class _Image(msgspec.Struct, gc=False):
    id: int | str
    file_name: str
    width: float | None = None
    height: float | None = None


class _Category(msgspec.Struct, gc=False):
    id: int
    name: str
    supercategory: str | None = None
    keypoints: list[str] | None = None
    skeleton: list[list[int]] | None = None


class _Ann(msgspec.Struct, gc=False):
    image_id: int | str
    category_id: int
    id: int | str | None = None
    bbox: list[float] | None = None
    segmentation: list[list[float]] | _Rle | None = None
    area: float | None = None
    iscrowd: int | None = None
    keypoints: list[float] | None = None
    num_keypoints: int | None = None
    attributes: dict[str, Any] | None = None


class _Lazy(msgspec.Struct, gc=False):
    """The file with each annotation left as a raw slice of the buffer, decoded when the scan
    reaches it: a million annotations decoded at once were most of an import's peak memory."""

    images: list[_Image]
    annotations: list[msgspec.Raw]
    categories: list[_Category]


class _Where(msgspec.Struct, gc=False):
    """What grouping annotations by image needs of each (the rest of it is skipped, not built)."""

    image_id: int | str


class _AnyId(msgspec.Struct):
    id: Any = None


_LAZY = msgspec.json.Decoder(_Lazy)
_WHERE = msgspec.json.Decoder(_Where)
_UTF8_CHUNK = 16 << 20
_TOP = msgspec.json.Decoder(dict[str, msgspec.Raw])
_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])
_ANY_ID = msgspec.json.Decoder(_AnyId)
_PARTS: dict[str, msgspec.json.Decoder[Any]] = {
    "images": msgspec.json.Decoder(_Image),
    "annotations": msgspec.json.Decoder(_Ann),
    "categories": msgspec.json.Decoder(_Category),
}
_PATH_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_TYPE_WORDS = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "array": "an array",
    "object": "an object",
    "null": "null",
    "bool": "true or false",
}


@dataclass
class _Parsed:
    """The file's three lists; a None stands for an element that was reported and left out."""

    images: Sequence[_Image | None]
    # raw until its record is made (None once released, or when reported and left out)
    annotations: list[_Ann | msgspec.Raw | None]
    categories: Sequence[_Category | None]
    broken_images: set[Any] = field(default_factory=set)  # ids of images left out
    broken_categories: set[Any] = field(default_factory=set)


# --------------------------------------------------------------------------------------------------
# where the file is


def _locate(payload: Path) -> tuple[Path | None, str]:
    """The COCO file of a payload (a file, or a folder) and, when there is none, why not."""
    if payload.is_file():
        return payload, ""
    if not payload.is_dir():
        return None, f"{payload} does not exist"
    ann_dir = payload / "annotations"
    found = sorted(ann_dir.glob("*.json")) if ann_dir.is_dir() else []
    if len(found) == 1:
        return found[0], ""
    if len(found) > 1:
        names = ", ".join(p.name for p in found[:5])
        return None, f"annotations/ holds {len(found)} .json files ({names}); pass the one to import"
    top = sorted(p for p in payload.glob("*.json") if p.is_file())
    coco = [p for p in top if _sniff(p)[0] >= 0.5]
    if len(coco) == 1:
        return coco[0], ""
    if coco:
        names = ", ".join(p.name for p in coco[:5])
        return None, f"the folder holds {len(coco)} COCO files ({names}); pass the one to import"
    if top:
        return None, f"none of the folder's {len(top)} .json files has `images` and `annotations`"
    return None, "the folder has no annotations/*.json and no *.json file"


def _rel(payload: Path, target: Path) -> str:
    return target.relative_to(payload).as_posix() if payload.is_dir() else target.name


# --------------------------------------------------------------------------------------------------
# read


class _Reporter:
    def __init__(self, sink: IssueSink, file: str) -> None:
        self.sink, self.file = sink, file

    def __call__(
        self,
        code: str,
        message: str,
        pointer: str | None,
        *,
        data_row: str | None = None,
        annotation_id: Any = None,
        value: Any = None,
        hint: str | None = None,
        line: int | None = None,
    ) -> None:
        loc = Location(
            file=self.file,
            line=line,
            pointer=pointer,
            data_row=data_row,
            annotation_id=None if annotation_id is None else str(annotation_id),
        )
        self.sink(issue(code, message, loc, value=value, hint=hint))


def read(payload: Path, sink: IssueSink, options: Mapping[str, str] | None = None) -> Iterator[Record]:
    """A Record per image of the COCO file, in the order of its annotations (images without any
    last, in the file's order); a second record of an image whose annotations are apart in the
    file continues the first (``Record.continues``)."""
    target, why = _locate(payload)
    if target is None:
        sink(issue("unreadable_payload", why, Location(file=payload.name), hint="Pass the COCO .json file."))
        return
    report = _Reporter(sink, _rel(payload, target))
    try:
        data = target.read_bytes()
    except OSError as exc:
        report("unreadable_payload", f"cannot read the file: {exc.strerror or exc}", None)
        return
    data = data.removeprefix(b"\xef\xbb\xbf")
    parsed = _parse(data, report)
    del data
    if parsed is not None:
        yield from _records(parsed, report)


def _parse(data: bytes, report: _Reporter) -> _Parsed | None:
    if not data.strip():
        report("invalid_json", "the file is empty", None)
        return None
    if not _is_utf8(data):  # raw slices are not checked as they are skipped: check it all here
        _not_utf8(data, report)
        return None
    try:
        doc = _LAZY.decode(data)
    except msgspec.ValidationError:
        return _parse_carefully(data, report)
    except msgspec.DecodeError as exc:
        _invalid_json(data, exc, report)
        return None
    return _Parsed(doc.images, list[_Ann | msgspec.Raw | None](doc.annotations), doc.categories)


def _is_utf8(data: bytes) -> bool:
    """In chunks: decoding the whole buffer at once would make a second copy of it. Most files
    are ASCII, which is UTF-8 and is told in one C call a tenth as long (a 213 MB file: 0.03 s
    against 0.22 s, before the first record can be made)."""
    if data.isascii():
        return True
    check = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for i in range(0, len(data), _UTF8_CHUNK):
            check.decode(view[i : i + _UTF8_CHUNK])
        check.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _element(raw: msgspec.Raw, i: int, report: _Reporter) -> _Ann | None:
    """One raw annotation decoded; a malformed one is reported as the careful parse would."""
    try:
        return _PARTS["annotations"].decode(raw)  # type: ignore[no-any-return]
    except msgspec.ValidationError as exc:
        _element_error(str(exc), f"/annotations/{i}", report)
        return None


def _not_utf8(data: bytes, report: _Reporter, pointer: str | None = None) -> None:
    line: int | None = None
    message = "the file is not UTF-8"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message += f" (byte {exc.start})"
    report("unreadable_payload", message, pointer, line=line, hint="save the file as UTF-8")


def _invalid_json(data: bytes, exc: msgspec.DecodeError, report: _Reporter) -> None:
    text = str(exc)
    m = re.search(r"\(byte (\d+)\)", text)
    line = data.count(b"\n", 0, int(m.group(1))) + 1 if m else None
    hint = "NaN and Infinity are not JSON; write numbers" if re.search(rb"\bNaN\b|Infinity", data) else None
    report("invalid_json", f"not valid JSON: {text}", None, line=line, hint=hint)


def _parse_carefully(data: bytes, report: _Reporter) -> _Parsed | None:
    """Element by element, so every malformed element is named and the others still count."""
    try:
        top = _TOP.decode(data)
    except msgspec.ValidationError as exc:
        _, got = _expected(str(exc))
        report(
            "wrong_type",
            f"a COCO file is one JSON object with `images`, `annotations` and `categories`, not {got}",
            "",
            hint="a list of annotations alone is a COCO results file; it names no images",
        )
        return None
    lists: dict[str, list[msgspec.Raw]] = {}
    for key in ("images", "annotations", "categories"):
        raw = top.get(key)
        if raw is None:
            report("missing_field", f"`{key}` is required (an empty array when there are none)", f"/{key}")
            continue
        try:
            lists[key] = _RAW_LIST.decode(raw)
        except msgspec.ValidationError as exc:
            report("wrong_type", f"`{key}` must be an array, not {_expected(str(exc))[1]}", f"/{key}")
    if len(lists) < 3:
        return None
    parsed = _Parsed([], [], [])
    for key, raws in lists.items():
        decoder = _PARTS[key]
        out: list[Any] = []
        for i, raw in enumerate(raws):
            try:
                out.append(decoder.decode(raw))
            except UnicodeDecodeError:
                _not_utf8(data, report, f"/{key}/{i}")
                return None
            except msgspec.ValidationError as exc:
                out.append(None)
                _element_error(str(exc), f"/{key}/{i}", report)
                if key != "annotations":
                    broken = parsed.broken_images if key == "images" else parsed.broken_categories
                    with contextlib.suppress(msgspec.ValidationError, TypeError):
                        broken.add(_ANY_ID.decode(raw).id)
        setattr(parsed, key, out)
    return parsed


def _expected(message: str) -> tuple[str, str]:
    """``(expected, got)`` of a msgspec ``Expected `X`, got `Y``` message, in words."""
    m = re.match(r"Expected `([^`]+)`, got `([^`]+)`", message)
    if not m:
        return "", "something else"
    options = [t for t in m.group(1).split(" | ") if t != "null"] or ["null"]
    got = m.group(2)
    return " or ".join(_TYPE_WORDS.get(t, f"`{t}`") for t in options), _TYPE_WORDS.get(got, f"`{got}`")


def _element_error(message: str, prefix: str, report: _Reporter) -> None:
    text, _, where = message.partition(" - at `")
    pointer = prefix + "".join(f"/{a or b}" for a, b in _PATH_STEP.findall(where.rstrip("`")))
    missing = re.match(r"Object missing required field `([^`]+)`", text)
    if missing:
        report("missing_field", f"`{missing.group(1)}` is required", f"{pointer}/{missing.group(1)}")
        return
    exp, got = _expected(text)
    if exp:
        report("wrong_type", f"expected {exp}, got {got}", pointer)
    else:
        report("wrong_type", text, pointer)


def _records(parsed: _Parsed, report: _Reporter) -> Iterator[Record]:
    categories: dict[int, _Category] = {}
    for k, cat in enumerate(parsed.categories):
        if cat is None:
            continue
        if cat.id in categories:
            report(
                "invalid_value",
                f"category id {cat.id} is declared twice",
                f"/categories/{k}/id",
                value=cat.id,
            )
            continue
        categories[cat.id] = cat
    first: dict[int | str, int] = {}
    for k, image in enumerate(parsed.images):
        if image is None:
            continue
        if image.id in first:
            report(
                "invalid_value",
                f"image id {image.id!r} is declared twice (first at /images/{first[image.id]})",
                f"/images/{k}/id",
                data_row=image.file_name,
                value=image.id,
            )
            continue
        first[image.id] = k
        if not image.file_name:
            report("invalid_value", "`file_name` must not be empty", f"/images/{k}/file_name", value="")
    # annotations in file order, a record for each run of one image's: a file grouped by image
    # (as exporters write them) gives one record per image, made as the scan reaches it, where
    # grouping first cost a second decoding of every annotation and held the job's first record
    # back until the whole list was scanned. An image met again after its run means the file is
    # not grouped: the rest of it is grouped by image then (_grouped), so that no image makes
    # more than two records however the file is ordered
    made: set[int] = set()
    run: list[Annotation] = []
    run_k = -1
    annotations = parsed.annotations
    rest = len(annotations)
    for i, got in enumerate(annotations):
        if got is None:
            continue
        ann = _element(got, i, report) if type(got) is msgspec.Raw else got
        # let go of the element once converted: a million of them are the largest part of the
        # peak, and validation's own state grows while they are released
        annotations[i] = None
        if ann is None:
            continue
        assert isinstance(ann, _Ann)
        k_img = _image_of(ann, i, first, parsed, report)
        if k_img is None:
            continue
        if k_img != run_k:
            if k_img in made:
                annotations[i], rest = ann, i  # an image met again: grouped from here on
                break
            if run_k >= 0:
                yield _record(parsed, run_k, run, report, False)
                made.add(run_k)
            run_k, run = k_img, []
        converted = _converted(ann, i, categories, parsed, k_img, report)
        if converted is not None:
            run.append(converted)
    if run_k >= 0:
        yield _record(parsed, run_k, run, report, False)
        made.add(run_k)
    yield from _grouped(parsed, rest, first, categories, made, report)


def _image_of(
    ann: _Ann, i: int, first: dict[int | str, int], parsed: _Parsed, report: _Reporter
) -> int | None:
    """The index of the annotation's image, or None when it has no record (reported here when
    the image is unknown, with the image when its file name is empty)."""
    k_img = first.get(ann.image_id)
    if k_img is None:
        if ann.image_id not in parsed.broken_images:
            report(
                "unknown_image",
                f"`image_id` {ann.image_id!r} is not among the file's images",
                f"/annotations/{i}/image_id",
                annotation_id=ann.id,
                value=ann.image_id,
            )
        return None
    image = parsed.images[k_img]
    assert image is not None
    return k_img if image.file_name else None


def _converted(
    ann: _Ann, i: int, categories: dict[int, _Category], parsed: _Parsed, k_img: int, report: _Reporter
) -> Annotation | None:
    image = parsed.images[k_img]
    assert image is not None
    cat = categories.get(ann.category_id)
    if cat is None:
        if ann.category_id not in parsed.broken_categories:
            report(
                "unknown_category",
                f"`category_id` {ann.category_id} is not among the file's categories",
                f"/annotations/{i}/category_id",
                data_row=image.file_name,
                annotation_id=ann.id,
                value=ann.category_id,
            )
        return None
    return _annotation(ann, i, cat, image.file_name, report)


def _grouped(
    parsed: _Parsed,
    start: int,
    first: dict[int | str, int],
    categories: dict[int, _Category],
    made: set[int],
    report: _Reporter,
) -> Iterator[Record]:
    """The annotations from ``start`` on grouped by image, a record per image in the file's
    image order: one that had a record already continues it (``Record.continues``), and images
    without annotations get an empty one. Grouping reads each raw annotation's ``image_id`` alone
    first, and decodes the whole of it when its image's record is made."""
    annotations = parsed.annotations
    by_image: dict[int, list[int]] = {}
    where = _WHERE.decode
    for i in range(start, len(annotations)):
        got = annotations[i]
        if got is None:
            continue
        if type(got) is msgspec.Raw:
            try:
                image_id = where(got).image_id
            except msgspec.ValidationError:
                annotations[i] = got = _element(got, i, report)
                if got is None:
                    continue
                image_id = got.image_id
        else:
            assert isinstance(got, _Ann)
            image_id = got.image_id
        k_img = first.get(image_id)
        if k_img is not None:
            by_image.setdefault(k_img, []).append(i)
            continue
        ann = _element(got, i, report) if type(got) is msgspec.Raw else got
        annotations[i] = None
        if ann is not None:
            _image_of(ann, i, first, parsed, report)  # reports it unknown
    for k, image in enumerate(parsed.images):
        if image is None or first.get(image.id) != k or not image.file_name:
            continue
        found = by_image.pop(k, None)
        if found is None:
            if k not in made:
                yield _record(parsed, k, [], report, False)
            continue
        run: list[Annotation] = []
        for i in found:
            got = annotations[i]
            annotations[i] = None
            ann = _element(got, i, report) if type(got) is msgspec.Raw else got
            if ann is None:
                continue
            assert isinstance(ann, _Ann)
            converted = _converted(ann, i, categories, parsed, k, report)
            if converted is not None:
                run.append(converted)
        yield _record(parsed, k, run, report, k in made)


def _record(parsed: _Parsed, k: int, annotations: list[Annotation], report: _Reporter, again: bool) -> Record:
    image = parsed.images[k]
    assert image is not None
    size = (image.width, image.height) if image.width is not None and image.height is not None else None
    return Record(
        row=RowRef(filename=image.file_name),
        annotations=annotations,
        location=Location(file=report.file, pointer=f"/images/{k}", data_row=image.file_name),
        image_size=size,
        continues=again,
    )


class _Bad(Exception):
    def __init__(self, code: str, message: str, pointer: str, value: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.pointer, self.value = code, message, pointer, value


def _annotation(ann: _Ann, i: int, cat: _Category, row: str, report: _Reporter) -> Annotation | None:
    p = f"/annotations/{i}"
    try:
        return _convert(ann, p, cat)
    except _Bad as bad:
        report(bad.code, bad.message, bad.pointer, data_row=row, annotation_id=ann.id, value=bad.value)
        return None


def _convert(ann: _Ann, p: str, cat: _Category) -> Annotation:
    box = ann.bbox
    if box is not None and len(box) == 4 and not (ann.segmentation or ann.keypoints or ann.attributes):
        return _plain_box(ann, box, p, cat)
    extra = _kept(ann, cat)
    attrs = dict(ann.attributes) if ann.attributes else {}
    if ann.bbox is not None and len(ann.bbox) != 4:
        raise _Bad(
            "invalid_value", f"`bbox` is [x, y, width, height], got {len(ann.bbox)} numbers", f"{p}/bbox"
        )
    seg = ann.segmentation
    geometry: Any
    if ann.keypoints:
        kind, pointer, geometry = (
            "keypoints",
            f"{p}/keypoints",
            _keypoints(ann.keypoints, cat, f"{p}/keypoints"),
        )
        if cat.keypoints:
            extra["keypoint_names"] = list(cat.keypoints)  # validation orders them as the skeleton
        if isinstance(seg, _Rle):
            extra["segmentation"] = {"size": seg.size, "counts": seg.counts}
        elif seg:
            extra["segmentation"] = seg
    elif isinstance(seg, _Rle):
        from labelport.formats import masks  # where a mask is met: see its docstring

        kind, pointer = "mask", f"{p}/segmentation"
        try:
            geometry = masks.to_canonical({"size": seg.size, "counts": seg.counts})
        except masks.MaskError as exc:
            raise _Bad("mask_invalid", f"the RLE cannot be decoded: {exc}", pointer) from None
    elif seg:
        kind, pointer = "polygon", f"{p}/segmentation"
        for j, ring in enumerate(seg):
            if len(ring) % 2:
                raise _Bad(
                    "invalid_value",
                    f"a polygon ring is x, y pairs; this one has {len(ring)} numbers",
                    f"{pointer}/{j}",
                )
        geometry = seg
    elif ann.bbox is not None:
        kind, pointer, geometry = "bbox", f"{p}/bbox", list(ann.bbox)
        rotation = attrs.get("rotation")
        if isinstance(rotation, int | float) and not isinstance(rotation, bool):
            del attrs["rotation"]
            if rotation % 360:
                geometry.append(rotation)
    else:
        raise _Bad("missing_field", "an annotation needs `bbox`, `segmentation` or `keypoints`", p)
    box = geometry  # what the writer's area of a keypoints annotation starts from, below
    if kind != "bbox" and ann.bbox is not None:
        box = ann.bbox
        if ann.bbox != _extent(kind, geometry):
            extra["bbox"] = ann.bbox
    elif kind == "keypoints" and ann.area is not None:
        box = _extent(kind, geometry)
    if ann.area is not None and ann.area != _area(kind, geometry, box):
        extra["area"] = ann.area
    if attrs:
        extra["attributes"] = attrs
    return Annotation(
        kind=kind,
        name=cat.name,
        geometry=geometry,
        extra=extra or None,
        pointer=pointer,
        box=list(ann.bbox) if kind in ("polygon", "mask") and ann.bbox is not None else None,
    )


def _kept(ann: _Ann, cat: _Category) -> dict[str, Any]:
    """The file's own fields every annotation keeps for a round trip."""
    extra: dict[str, Any] = {}
    if ann.id is not None:
        extra["id"] = ann.id
    if ann.iscrowd is not None:
        extra["iscrowd"] = ann.iscrowd
    if cat.supercategory:
        extra["supercategory"] = cat.supercategory
    return extra


def _plain_box(ann: _Ann, box: list[float], p: str, cat: _Category) -> Annotation:
    """Most of a COCO file: a box and nothing else. The general path below makes the same
    Annotation; this one skips what a box without attributes cannot need. The decoded element is
    the reader's own and released after, so its list becomes the geometry without a copy."""
    extra = _kept(ann, cat)
    if ann.area is not None and ann.area != _area("bbox", box, box):
        extra["area"] = ann.area
    return Annotation(kind="bbox", name=cat.name, geometry=box, extra=extra or None, pointer=f"{p}/bbox")


def _keypoints(values: list[float], cat: _Category, pointer: str) -> list[float]:
    if len(values) % 3:
        raise _Bad("invalid_value", f"`keypoints` is x, y, v triples; got {len(values)} numbers", pointer)
    if cat.keypoints and len(values) != 3 * len(cat.keypoints):
        raise _Bad(
            "invalid_value",
            f"category `{cat.name}` names {len(cat.keypoints)} keypoints; "
            f"the annotation has {len(values) // 3}",
            pointer,
        )
    for j in range(2, len(values), 3):
        if values[j] not in (0, 1, 2):
            raise _Bad("invalid_value", "a keypoint visibility is 0, 1 or 2", f"{pointer}/{j}", values[j])
    return values


# --------------------------------------------------------------------------------------------------
# what the writer computes (the reader keeps a file's bbox and area only when they differ)


def _extent(kind: str, g: Any) -> list[float]:
    """The COCO ``bbox`` the writer gives a shape."""
    if kind == "bbox":
        return [g[0], g[1], g[2], g[3]]
    if kind == "mask":
        from labelport.formats import masks  # where a mask is met: see its docstring

        return masks.bbox(g)
    if kind == "polygon":
        # slices, not a loop over every number: rings hold x, y pairs (checked); one is usual
        xs = g[0][0::2] if len(g) == 1 else [v for ring in g for v in ring[0::2]]
        ys = g[0][1::2] if len(g) == 1 else [v for ring in g for v in ring[1::2]]
    else:  # keypoints: the labelled ones
        xs = [g[j] for j in range(0, len(g) - 2, 3) if g[j + 2] > 0]
        ys = [g[j + 1] for j in range(0, len(g) - 2, 3) if g[j + 2] > 0]
    if not xs:
        return [0.0, 0.0, 0.0, 0.0]
    x0, y0 = min(xs), min(ys)
    return [x0, y0, max(xs) - x0, max(ys) - y0]


def _area(kind: str, g: Any, box: Sequence[float]) -> float:
    """The COCO ``area`` the writer gives a shape: box w*h, polygon shoelace, mask pixels; for
    keypoints the w*h of ``box``, the bbox written beside them."""
    if kind == "mask":
        from labelport.formats import masks  # where a mask is met: see its docstring

        return float(masks.area(g))
    if kind == "polygon":
        total = 0.0
        for ring in g:
            xs, ys = ring[0::2], ring[1::2]
            nx, ny = xs[1:] + xs[:1], ys[1:] + ys[:1]
            # each term x*ny - nx*y, summed in order: the same float as a Python loop, in C
            total += abs(sum(map(sub, map(mul, xs, ny), map(mul, nx, ys)))) / 2
        return total
    return float(box[2] * box[3])


# --------------------------------------------------------------------------------------------------
# write


def write(rows: Iterable[ExportRow], out: Path, ctx: ExportContext) -> ExportSummary:
    prepare_output(out, kind="file")  # never over an existing file (an input, say)
    summary = ExportSummary()
    rotation = ctx.options.get("rotation", "attribute")
    tools = tools_of(ctx, _CATEGORY_TOOLS)
    cat_ids = {t.name: k for k, t in enumerate(tools, 1)}
    supercategories: dict[str, str] = {}
    images: list[dict[str, Any]] = []
    used: set[int] = set()
    with tempfile.TemporaryFile() as spool:
        for row in rows:
            summary.rows += 1
            image_id = len(images) + 1
            image: dict[str, Any] = {"id": image_id, "file_name": row_path(row)}
            for key in ("width", "height"):
                if row.metadata.get(key) is not None:
                    image[key] = row.metadata[key]
            images.append(image)
            for ann in row.annotations:
                line = _annotation_out(ann, image_id, cat_ids, rotation, row, summary)
                if line is None:
                    continue
                summary.annotations += 1
                sc = (ann.extra or {}).get("supercategory")
                if isinstance(sc, str) and ann.name is not None:
                    supercategories.setdefault(ann.name, sc)
                kept = (ann.extra or {}).get("id")
                if isinstance(kept, int) and not isinstance(kept, bool) and kept not in used:
                    used.add(kept)
                    spool.write(b"=" + to_json({"id": kept, **line}) + b"\n")
                else:
                    spool.write(b"+" + to_json(line) + b"\n")
        categories = [_category(t, k, supercategories) for k, t in enumerate(tools, 1)]
        spool.seek(0)
        with out.open("wb") as fh:
            head = {"info": {"description": f"{ctx.project} (labelport export)", "contributor": "labelport"}}
            fh.write(to_json(head)[:-1])
            fh.write(b',"licenses":[],"images":' + to_json(images))  # metadata's sizes, as given
            fh.write(b',"categories":' + to_json(categories) + b',"annotations":[')
            _copy_annotations(spool, fh, used)
            fh.write(b"]}\n")
    return summary


def _copy_annotations(spool: IO[bytes], fh: IO[bytes], used: set[int]) -> None:
    """Spooled annotations into the file; those without a kept id get the next unused one."""
    next_id = 1
    for n, line in enumerate(spool):
        if n:
            fh.write(b",")
        body = line[1:-1]
        if line[:1] == b"+":
            while next_id in used:
                next_id += 1
            used.add(next_id)
            body = b'{"id":' + str(next_id).encode() + b"," + body[1:]
        fh.write(body)


def _category(tool: Tool, cid: int, supercategories: dict[str, str]) -> dict[str, Any]:
    cat: dict[str, Any] = {"id": cid, "name": tool.name, "supercategory": supercategories.get(tool.name, "")}
    if tool.kind is ToolKind.SKELETON:
        cat["keypoints"] = list(tool.keypoints)
        cat["skeleton"] = [list(e) for e in tool.edges]
    return cat


_WRITTEN_EXTRA = (
    "id",
    "iscrowd",
    "bbox",
    "area",
    "segmentation",
    "supercategory",
    "attributes",
    "keypoint_names",
)


def _annotation_out(
    ann: Annotation,
    image_id: int,
    cat_ids: dict[str, int],
    rotation: str,
    row: ExportRow,
    summary: ExportSummary,
) -> dict[str, Any] | None:
    """One annotation as a COCO object (without its id), or None when COCO cannot carry it."""

    def lost(what: str) -> None:
        summary.not_expressible.append(cannot_carry(FMT, what, row, ann))

    kind, g, extra = ann.kind, ann.geometry, ann.extra or {}
    if ann.answer is not None or kind in ("radio", "checklist", "text", "classification"):
        lost(f"the global classification `{ann.name}`")
        return None
    if kind not in ("bbox", "polygon", "mask", "keypoints"):
        lost(f"a {kind} (`{ann.name}`)")
        return None
    cid = cat_ids.get(ann.name or "")
    if cid is None:
        lost(f"`{ann.name}`: its tool is not one COCO has a category for")
        return None
    rotated = kind == "bbox" and len(g) > 4 and bool(g[4] % 360)
    if rotated and rotation == "refuse":
        lost(f"a rotated box (`{ann.name}`, {g[4]} degrees)")
        return None
    attrs, nested = flat_attributes(ann)
    for name in nested:
        lost(f"the answers nested under `{name}` of `{ann.name}` (written flat)")
    if ann.track_id is not None:
        lost(f"the track id of `{ann.name}`")
    summary.not_expressible += unwritten_fields(FMT, row, ann, _WRITTEN_EXTRA)
    if rotated:
        attrs["rotation"] = g[4]
    box = extra.get("bbox") or _extent(kind, g)
    d: dict[str, Any] = {"image_id": image_id, "category_id": cid}
    if kind == "polygon":
        d["segmentation"] = [plain_numbers(ring) for ring in g]
    elif kind == "mask":
        d["segmentation"] = {"size": g["size"], "counts": g["counts"]}
    else:
        kept = extra.get("segmentation", [])
        d["segmentation"] = [plain_numbers(ring) for ring in kept] if isinstance(kept, list) else kept
    area = extra.get("area")
    d["area"] = plain(area if area is not None else _area(kind, g, box))
    d["bbox"] = plain_numbers(box)
    d["iscrowd"] = extra.get("iscrowd", 0)
    if kind == "keypoints":
        d["keypoints"] = plain_numbers(g)
        d["num_keypoints"] = sum(1 for j in range(2, len(g), 3) if g[j] > 0)
    if attrs:
        d["attributes"] = attrs
    return d


# --------------------------------------------------------------------------------------------------
# detect


def detect(payload: Path) -> Detection:
    target, why = _locate(payload)
    if target is None:
        return Detection(0.0, [why])
    name = _rel(payload, target)
    if target.suffix.lower() != ".json":
        return Detection(0.0, [f"{name} is not a .json file"])
    confidence, reasons = _sniff(target)
    return Detection(confidence, [f"{name}: {r}" for r in reasons])


def _sniff(path: Path) -> tuple[float, list[str]]:
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            if size <= _PARSE_FOR_DETECTION:
                data = fh.read()
                head, tail = data[:_SNIFF_BYTES], b""
            else:
                data = b""
                head = fh.read(_SNIFF_BYTES)
                fh.seek(max(size - _SNIFF_BYTES, 0))
                tail = fh.read()
    except OSError as exc:
        return 0.0, [f"cannot be read: {exc.strerror or exc}"]
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head.startswith(b"{"):
        shape = "a JSON array (a COCO results file names no images)" if head.startswith(b"[") else "not JSON"
        return 0.0, [f"{shape}, not a JSON object"]
    if not data:  # too big to parse here: the keys, or the fields of their elements, show at an end
        text = head + tail
        seen = [k for k, marks in _MARKS.items() if any(m in text for m in marks)]
        if "images" in seen and "annotations" in seen:
            return 0.9, [f"too big to parse for detection; its first and last MiB show {', '.join(seen)}"]
        return 0.0, [f"its first and last MiB show no sign of {' or '.join(_missing(seen))}"]
    try:
        top = _TOP.decode(data.removeprefix(b"\xef\xbb\xbf"))
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
        return 0.0, ["not valid JSON"]
    keys: list[str] = [k for k in ("images", "annotations", "categories") if k in top]
    sizes = []
    for k in keys:
        try:
            sizes.append(f"{len(_RAW_LIST.decode(top[k]))} {k}")
        except msgspec.ValidationError:
            return 0.0, [f"`{k}` is not an array"]
    if "images" not in keys or "annotations" not in keys:
        return 0.0, [f"a JSON object without {' and '.join(_missing(keys))}"]
    if "categories" not in keys:
        return 0.6, ["has `images` and `annotations` but no `categories`"]
    return 1.0, ["a JSON object with " + ", ".join(sizes)]


def _missing(keys: list[str]) -> list[str]:
    return [f"`{k}`" for k in ("images", "annotations") if k not in keys]


SPEC = FormatSpec(
    name="coco",
    title="COCO instances / keypoints JSON",
    carries="boxes (rotated ones as attributes.rotation), polygons and multi-polygons, RLE masks "
    "(compressed or not), skeleton keypoints, flat per-object attributes",
    read=read,
    write=write,
    detect=detect,
    options={
        "rotation": "export: `attribute` (default) writes a rotated box's angle as attributes.rotation "
        "(CVAT's way, bbox unrotated); `refuse` reports rotated boxes as not expressible",
    },
)
