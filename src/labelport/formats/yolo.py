"""YOLO: one text file of normalised objects per image (Ultralytics and Darknet / CVAT "YOLO 1.1").

Layouts read (the payload is a folder, or its ``data.yaml`` / ``obj.data``)::

    Ultralytics                               Darknet / CVAT YOLO 1.1      plain
    data.yaml   names: [car, bus] or          obj.data  classes = 2        classes.txt (or obj.names,
                {0: car, 1: bus}                        names = data/obj.names      *.names)
                path/train/val/test           obj.names car\\nbus          a.txt b.txt ...
                kpt_shape: [K, 2|3] (pose)    train.txt data/obj_train_data/a.jpg
                task: obb (labelport's key)   obj_train_data/a.txt (+ a.jpg)
    images/train/a.jpg
    labels/train/a.txt

Class names come only from the payload's own list (``names`` in a YAML file at the top of the
payload, preferring ``data.yaml``; else ``obj.data``'s ``names =``; else ``obj.names``, one
``*.names`` file or ``classes.txt``); a class id it does not name is ``unknown_category``.

Which data row a label file is for: every ``*.txt`` under a folder named ``labels`` pairs with the
image at the same path under the sibling ``images`` folder (Ultralytics' rule), and the row is
named by the image's path under that ``images`` folder (``labels/train/a.txt`` →
``train/a.jpg``). With no ``labels`` tree, label files sit beside their images, under
``obj_*_data/`` folders when there are any, else anywhere in the payload. When the image is not in
the payload the row is named by the path without extension (``RowRef(filename="train/a",
stem=True)``, matched by stem and only when unique). An empty label file, and an image of the
payload with no label file, is an image with no objects (Ultralytics' background images): an
empty record for that row.

=======================================  ==================================  =======================
line (values after the class id)         canonical                           notes
=======================================  ==================================  =======================
``cx cy w h`` (detect)                   bbox ``[cx-w/2, cy-h/2, w, h]``     units ``fraction``
``x1 y1 ... xn yn`` n >= 3 (segment)     polygon ``[[x1, y1, ...]]``         units ``fraction``
``cx cy w h`` + K*(2|3) (pose)           keypoints ``[x, y, v, ...]``        units ``fraction``;
                                                                             v as given (0, 1, 2);
                                                                             K*2: v = 2 for all
                                         + ``extra["bbox"]`` = ``[x, y, w,   top-left, fractions,
                                         h]``, ``extra["bbox_units"] =       as validation does not
                                         "fraction"``                        convert ``extra``
``x1 y1 x2 y2 x3 y3 x4 y4`` (obb)        bbox ``[x, y, w, h, r]`` pixels     needs the image
one more value at the end                ``extra["confidence"]``             predictions
=======================================  ==================================  =======================

The task is the ``task`` option, else ``data.yaml``'s ``task``, else pose when ``kpt_shape`` is
given, else told per line by its number of values (4 or 5: box, an even number >= 6: polygon).
OBB corners are fractions of the image, and a rotation angle depends on the image's aspect ratio,
so they are converted here with the size of the image file in the payload (``Record.image_size``
makes validation refuse a row of another size); w is the first edge (corner 1 → 2), r its angle
clockwise, h the second edge. Four corners that are not a rectangle are ``invalid_value``.

Export (``--option task=…``; without it the one task that carries every YOLO shape of the
ontology: rectangles → detect, polygons with or without rectangles → segment, skeletons → pose;
skeletons beside other YOLO tools are ``option_required``, refused before writing; ``--option
layout=darknet`` for ``obj.names``/``obj.data``) into a new or empty folder
(:func:`~labelport.formats.common.prepare_output`): ``data.yaml`` with every class of the task in
ontology order, ``labels/<row path minus extension>.txt``, numbers as the shortest fraction that
import's own arithmetic turns back into exactly the stored pixel (:func:`fraction`,
:func:`box_fractions`; the plain ``pixels / size`` only when no float within a few ulps does).
YOLO cannot carry: classifications, attributes and answers, track ids, masks, lines, points,
ellipses, multi-ring polygons, shapes of another task (a polygon in detect, a box in pose), rotated
boxes outside obb; each is listed in ``ExportSummary.not_expressible``. Boxes in a segment dataset
are written as box lines (Ultralytics reads mixed files), so they come back as boxes.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import yaml  # no types-PyYAML in the project's deps

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
    row_path,
    safe_parts,
    tools_of,
    unwritten_fields,
)
from labelport.model.errors import InvalidInputError
from labelport.model.issues import Location
from labelport.model.ontology import Ontology, Tool, ToolKind
from labelport.model.records import CLASSIFICATION_KINDS, Annotation, Record, RowRef

FMT = "YOLO"
TASKS = ("detect", "segment", "pose", "obb")
LAYOUTS = ("ultralytics", "darknet")
# Ultralytics' IMG_FORMATS
IMAGE_EXTS = frozenset({"bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm", "heic"})
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_OBJ_DATA_DIR = re.compile(r"obj_.+_data")
_CONFIG_SUFFIXES = (".yaml", ".yml", ".data", ".names")
_RECT_TOLERANCE = 1e-3  # corners written with 6 digits still make a rectangle; a real quadrilateral not
_TASK_TOOLS: dict[str, tuple[ToolKind, ...]] = {
    "detect": (ToolKind.RECTANGLE,),
    "segment": (ToolKind.RECTANGLE, ToolKind.POLYGON, ToolKind.POLY_SEG),
    "pose": (ToolKind.SKELETON,),
    "obb": (ToolKind.RECTANGLE,),
}


class _Bad(Exception):
    """A fault in one line or one config value: reported once, that piece is skipped."""

    def __init__(self, code: str, message: str, pointer: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.pointer, self.value = code, message, pointer, value


# --------------------------------------------------------------------------------------------------
# the class list and the task: data.yaml, obj.data, obj.names


@dataclass
class _Config:
    names: dict[int, str] | None = None
    source: str | None = None  # payload-relative file the names came from
    task: str | None = None
    kpt_shape: tuple[int, int] | None = None
    skip: set[Path] = field(default_factory=set)  # files that are not label files (lists, names)
    fatal: bool = False  # a problem reported already makes reading pointless


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _inside(root: Path, given: str, base: Path | None = None) -> Path | None:
    """A path named in a config file, as a file inside the payload. Darknet writes paths from its
    own working folder (``data/obj.names``), so leading folders are dropped until one exists."""
    parts = [p for p in PurePosixPath(given.replace("\\", "/")).parts if p not in ("/", ".")]
    top = root.resolve()
    for i in range(len(parts)):
        candidate = ((base or root) / Path(*parts[i:])).resolve()
        if candidate.is_relative_to(top) and candidate.is_file():
            return candidate
    return None


def _config(root: Path, given: Path | None, sink: IssueSink) -> _Config:
    """The payload's class list (and task) from the first config found, in the documented order."""
    if given is not None:
        if given.suffix.lower() in (".yaml", ".yml"):
            return _yaml_config(root, given, sink)
        if given.suffix.lower() == ".data":
            return _data_config(root, given, sink)
        return _names_config(root, given, sink)
    yamls = sorted(p for p in root.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file())
    preferred = [p for p in yamls if p.name.lower() in ("data.yaml", "data.yml")]
    if preferred:
        return _yaml_config(root, preferred[0], sink)
    with_names = [p for p in yamls if _yaml_names_quick(p)]
    if len(with_names) > 1:
        sink(
            issue(
                "invalid_value",
                "several YAML files declare `names`: " + ", ".join(p.name for p in with_names),
                Location(file=with_names[0].name),
                hint="keep one, or name the one to use data.yaml",
            )
        )
        return _Config(fatal=True)
    if with_names:
        return _yaml_config(root, with_names[0], sink)
    if (root / "obj.data").is_file():
        return _data_config(root, root / "obj.data", sink)
    names_files = sorted(p for p in root.glob("*.names") if p.is_file())
    if (root / "obj.names").is_file():
        names_files = [root / "obj.names"]
    if len(names_files) == 1:
        return _names_config(root, names_files[0], sink)
    if (root / "classes.txt").is_file():
        return _names_config(root, root / "classes.txt", sink)
    sink(
        issue(
            "missing_field",
            "no class names: the payload has no data.yaml (`names`), obj.data, obj.names or classes.txt"
            + (f" (several .names files: {', '.join(p.name for p in names_files)})" if names_files else ""),
            Location(file="."),
            hint="YOLO class ids mean nothing without the dataset's names; add data.yaml or obj.names",
        )
    )
    return _Config(fatal=True)


def _yaml_names_quick(path: Path) -> bool:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(doc, dict) and "names" in doc


def _class_name(v: Any, pointer: str) -> str:
    if isinstance(v, str) and v:
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)  # YAML `names: [1, 2]`: spelled the same as text
    raise _Bad(
        "wrong_type",
        f"a class name must be text, got {v!r}",
        pointer,
        v,
    )


def _yaml_config(root: Path, path: Path, sink: IssueSink) -> _Config:
    name = _rel(root, path)
    cfg = _Config(source=name, skip={path.resolve()})
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        sink(issue("unreadable_payload", f"cannot read {name}: {exc}", Location(file=name)))
        cfg.fatal = True
        return cfg
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        sink(issue("unreadable_payload", f"{name} is not valid YAML: {exc}", Location(file=name, line=line)))
        cfg.fatal = True
        return cfg
    if not isinstance(doc, dict):
        sink(
            issue(
                "wrong_type", f"{name} must be a YAML mapping", Location(file=name), value=type(doc).__name__
            )
        )
        cfg.fatal = True
        return cfg
    try:
        cfg.names = _yaml_names(doc)
    except _Bad as bad:
        sink(issue(bad.code, bad.message, Location(file=name, pointer=bad.pointer), value=bad.value))
        cfg.fatal = True
        return cfg
    try:
        if "kpt_shape" in doc:
            cfg.kpt_shape = _kpt_shape(doc["kpt_shape"])
        if "task" in doc:
            cfg.task = _task_value(doc["task"])
        if "nc" in doc:
            _nc(doc["nc"], len(cfg.names))
    except _Bad as bad:
        sink(issue(bad.code, bad.message, Location(file=name, pointer=bad.pointer), value=bad.value))
        cfg.fatal = True
    base = root
    if isinstance(doc.get("path"), str) and not Path(doc["path"]).is_absolute():
        base = root / doc["path"]
    for key in ("train", "val", "test"):
        values = doc.get(key)
        for v in values if isinstance(values, list) else [values]:
            if isinstance(v, str) and v.lower().endswith(".txt"):
                found = _inside(root, v, base)
                if found is not None:
                    cfg.skip.add(found)
    return cfg


def _yaml_names(doc: dict[Any, Any]) -> dict[int, str]:
    if "names" not in doc:
        raise _Bad("missing_field", "no `names` (the class list)", "/names")
    raw = doc["names"]
    if isinstance(raw, list):
        return {i: _class_name(v, f"/names/{i}") for i, v in enumerate(raw)}
    if isinstance(raw, dict):
        out: dict[int, str] = {}
        for k, v in raw.items():
            key = k if isinstance(k, int) and not isinstance(k, bool) else None
            if isinstance(k, str) and k.isascii() and k.isdigit():
                key = int(k)
            if key is None or key < 0:
                raise _Bad(
                    "wrong_type", f"a class id in `names` must be a whole number, got {k!r}", "/names", k
                )
            out[key] = _class_name(v, f"/names/{k}")
        return out
    raise _Bad("wrong_type", "`names` must be a list or an {id: name} mapping", "/names", type(raw).__name__)


def _kpt_shape(v: Any) -> tuple[int, int]:
    ok = (
        isinstance(v, list)
        and len(v) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
        and v[0] >= 1
        and v[1] in (2, 3)
    )
    if not ok:
        raise _Bad(
            "invalid_value", f"`kpt_shape` must be [K, 2] or [K, 3] with K >= 1, got {v!r}", "/kpt_shape", v
        )
    return v[0], v[1]


def _task_value(v: Any) -> str:
    if v not in TASKS:
        raise _Bad("invalid_value", f"`task` must be one of {', '.join(TASKS)}, got {v!r}", "/task", v)
    return str(v)


def _nc(v: Any, n: int) -> None:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _Bad("wrong_type", f"`nc` must be a whole number, got {v!r}", "/nc", v)
    if v != n:
        raise _Bad("invalid_value", f"`nc` is {v} but `names` has {n} classes", "/nc", v)


def _data_config(root: Path, path: Path, sink: IssueSink) -> _Config:
    """Darknet's ``obj.data``: ``key = value`` lines naming the names file and the image lists."""
    name = _rel(root, path)
    cfg = _Config(skip={path.resolve()})
    values: dict[str, tuple[str, int]] = {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        sink(issue("unreadable_payload", f"cannot read {name}: {exc}", Location(file=name)))
        cfg.fatal = True
        return cfg
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep:
            sink(
                issue(
                    "invalid_value", f"expected `key = value`, got {line!r}", Location(file=name, line=lineno)
                )
            )
            continue
        values[key.strip()] = (value.strip(), lineno)
    for key in ("train", "valid", "val", "test"):
        if key in values:
            found = _inside(root, values[key][0])
            if found is not None:
                cfg.skip.add(found)
    names_path = _inside(root, values["names"][0]) if "names" in values else None
    if names_path is None:
        names_path = root / "obj.names" if (root / "obj.names").is_file() else None
    if names_path is None:
        where = Location(file=name, line=values["names"][1]) if "names" in values else Location(file=name)
        sink(issue("missing_field", f"{name} names no class file that is in the payload", where))
        cfg.fatal = True
        return cfg
    cfg = _names_config(root, names_path, sink, cfg)
    if "classes" in values and cfg.names is not None:
        given, lineno = values["classes"]
        if not given.isdigit() or int(given) != len(cfg.names):
            sink(
                issue(
                    "invalid_value",
                    f"`classes = {given}` but {cfg.source} lists {len(cfg.names)} names",
                    Location(file=name, line=lineno),
                    value=given,
                )
            )
            cfg.fatal = True
    return cfg


def _names_config(root: Path, path: Path, sink: IssueSink, cfg: _Config | None = None) -> _Config:
    """One class name per line (``obj.names``, ``classes.txt``); trailing blank lines are ignored."""
    cfg = cfg or _Config()
    name = _rel(root, path)
    cfg.source = name
    cfg.skip.add(path.resolve())
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        sink(issue("unreadable_payload", f"cannot read {name}: {exc}", Location(file=name)))
        cfg.fatal = True
        return cfg
    while lines and not lines[-1].strip():
        lines.pop()
    cfg.names = {}
    for i, line in enumerate(lines):
        label = line.strip()
        if not label:
            sink(issue("invalid_value", f"class {i} has an empty name", Location(file=name, line=i + 1)))
            cfg.fatal = True
        cfg.names[i] = label
    return cfg


# --------------------------------------------------------------------------------------------------
# which files are labels, and which row each is for


@dataclass(frozen=True)
class _LabelFile:
    path: Path
    name: str  # relative to the payload root, for locations
    ref: RowRef
    image: Path | None  # the image in the payload, when there is one


def _scan(root: Path) -> tuple[list[str], list[str]]:
    """Every non-hidden ``.txt`` and image file under ``root`` (relative posix paths, sorted)."""
    texts: list[str] = []
    images: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = Path(dirpath).relative_to(root).as_posix()
        for f in sorted(filenames):
            if f.startswith("."):
                continue
            ext = f.rsplit(".", 1)[-1].lower() if "." in f else ""
            p = f if rel == "." else f"{rel}/{f}"
            if ext == "txt":
                texts.append(p)
            elif ext in IMAGE_EXTS:
                images.append(p)
    return texts, images


def _split_at(rel: str, folder: str) -> tuple[str, str] | None:
    """``a/labels/train/x.txt`` at ``labels`` → (``a``, ``train/x.txt``); None without that folder."""
    parts = rel.split("/")
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == folder:
            return "/".join(parts[:i]), "/".join(parts[i + 1 :])
    return None


def _stem(rel: str) -> str:
    head, _, tail = rel.rpartition("/")
    tail = tail.rsplit(".", 1)[0] if "." in tail else tail
    return f"{head}/{tail}" if head else tail


def _pairs(root: Path, skip: set[Path]) -> tuple[list[_LabelFile], list[tuple[str, str]]]:
    """The label files with their rows, and the payload's images that have no label file
    (``(payload path, row path)``)."""
    texts, images = _scan(root)
    top = root.resolve()
    skipped = {p.relative_to(top).as_posix() for p in skip if p.is_relative_to(top)}
    texts = [t for t in texts if t not in skipped]
    ultralytics = [(t, s) for t in texts if (s := _split_at(t, "labels")) is not None]
    keyed_images: dict[tuple[str, str], list[tuple[str, str]]] = {}
    keyed_labels: list[tuple[str, tuple[str, str]]] = []
    if ultralytics or (not texts and any(_split_at(i, "images") for i in images)):
        for t, (prefix, rest) in ultralytics:
            keyed_labels.append((t, (prefix, _stem(rest))))
        for img in images:
            s = _split_at(img, "images")
            if s is not None:
                keyed_images.setdefault((s[0], _stem(s[1])), []).append((img, s[1]))
    else:
        tops = sorted(
            d.name for d in root.iterdir() if d.is_dir() and _OBJ_DATA_DIR.fullmatch(d.name) is not None
        )

        def split(rel: str) -> tuple[str, str] | None:
            if not tops:
                return "", rel
            head, _, rest = rel.partition("/")
            return (head, rest) if head in tops and rest else None

        for t in texts:
            s = split(t)
            if s is not None:
                keyed_labels.append((t, (s[0], _stem(s[1]))))
        for img in images:
            s = split(img)
            if s is not None:
                keyed_images.setdefault((s[0], _stem(s[1])), []).append((img, s[1]))
    labels: list[_LabelFile] = []
    for t, key in keyed_labels:
        found = keyed_images.pop(key, [])
        if len(found) == 1:
            img, row = found[0]
            labels.append(_LabelFile(root / t, t, RowRef(filename=row), root / img))
        else:  # no image, or a.jpg and a.png: the validator matches the stem, when unique
            labels.append(_LabelFile(root / t, t, RowRef(filename=key[1], stem=True), None))
    background = [pair for found in keyed_images.values() for pair in found]
    return labels, sorted(background)


# --------------------------------------------------------------------------------------------------
# read


def read(payload: Path, sink: IssueSink, options: Mapping[str, str] | None = None) -> Iterator[Record]:
    options = options or {}
    task = options.get("task")
    if task is not None and task not in TASKS:
        sink(
            issue(
                "invalid_value",
                f"option task={task!r} is not one of {', '.join(TASKS)}",
                Location(file=payload.name),
                value=task,
            )
        )
        return
    if not payload.exists():
        sink(issue("unreadable_payload", f"{payload} does not exist", Location(file=payload.name)))
        return
    root, given = (payload.parent, payload) if payload.is_file() else (payload, None)
    if given is not None and not (
        given.suffix.lower() in _CONFIG_SUFFIXES or given.name.lower() == "classes.txt"
    ):
        sink(
            issue(
                "unreadable_payload",
                f"{payload.name} is not a YOLO dataset folder, data.yaml, obj.data or names file",
                Location(file=payload.name),
                hint="pass the dataset folder",
            )
        )
        return
    cfg = _config(root, given, sink)
    if cfg.fatal or cfg.names is None:
        return
    task = task or cfg.task or ("pose" if cfg.kpt_shape else None)
    if task == "pose" and cfg.kpt_shape is None:
        sink(
            issue(
                "missing_field",
                "a pose dataset needs `kpt_shape: [K, 2|3]` in data.yaml",
                Location(file=cfg.source, pointer="/kpt_shape"),
            )
        )
        return
    labels, background = _pairs(root, cfg.skip)
    reader = _LineReader(cfg.names, task, cfg.kpt_shape, sink)
    for label in labels:
        yield from reader.file(label)
    for img, row in background:
        ref = RowRef(filename=row)
        yield Record(row=ref, annotations=[], location=Location(file=img, data_row=row))


class _LineReader:
    def __init__(
        self, names: dict[int, str], task: str | None, kpt: tuple[int, int] | None, sink: IssueSink
    ) -> None:
        self.names, self.task, self.kpt, self.sink = names, task, kpt, sink

    def file(self, label: _LabelFile) -> Iterator[Record]:
        data_row = str(label.ref)
        try:
            fh = label.path.open("rb")
        except OSError as exc:
            self.sink(
                issue(
                    "unreadable_payload",
                    f"cannot open {label.name}: {exc.strerror}",
                    Location(file=label.name),
                )
            )
            return
        size: list[tuple[int, int] | None] = []  # the image's size, read once when an OBB needs it
        objects = 0
        with fh:
            for lineno, raw in enumerate(fh, 1):
                loc = Location(file=label.name, line=lineno, data_row=data_row)
                try:
                    text = (raw.removeprefix(b"\xef\xbb\xbf") if lineno == 1 else raw).decode("utf-8")
                except UnicodeDecodeError as exc:
                    self.sink(issue("unreadable_payload", f"the line is not UTF-8 text: {exc.reason}", loc))
                    objects += 1
                    continue
                tokens = text.split()
                if not tokens:
                    continue
                objects += 1
                try:
                    ann, image_size = self.line(tokens, lambda: _image_size(label.image, size))
                except _Bad as bad:
                    at = Location(file=label.name, line=lineno, pointer=bad.pointer, data_row=data_row)
                    self.sink(issue(bad.code, bad.message, at, value=bad.value, hint=_HINTS.get(bad.code)))
                    continue
                yield Record(row=label.ref, annotations=[ann], location=loc, image_size=image_size)
        if not objects:
            yield Record(row=label.ref, annotations=[], location=Location(file=label.name, data_row=data_row))

    def line(
        self, tokens: list[str], image_size: Callable[[], tuple[int, int] | None]
    ) -> tuple[Annotation, tuple[float, float] | None]:
        cls = _class_id(tokens[0])
        values = [_coordinate(t, i) for i, t in enumerate(tokens[1:], 1)]
        name = self.names.get(cls)
        if name is None:
            raise _Bad(
                "unknown_category",
                f"class id {cls} is not among the payload's names ({_ids_text(self.names)})",
                "/0",
                cls,
            )
        n = len(values)
        task = self.task
        if task == "pose":
            assert self.kpt is not None
            k, d = self.kpt
            need = 4 + k * d
            if n not in (need, need + 1):
                raise _Bad(
                    "invalid_value",
                    f"a pose line has cx cy w h and {k}x{d} keypoint values ({need}), got {n} values",
                    None,
                    n,
                )
            return _pose(name, values, k, d), None
        if task == "obb":
            if n not in (8, 9):
                raise _Bad(
                    "invalid_value", f"an OBB line has the class and 4 corners (8 values), got {n}", None, n
                )
            size = image_size()
            if size is None:
                raise _Bad(
                    "unsupported_annotation",
                    "an oriented box needs its image in the payload: the angle of 4 fractional corners "
                    "depends on the image's width and height",
                    None,
                )
            return _obb(name, values, size), (float(size[0]), float(size[1]))
        if n in (4, 5):
            return _box(name, values), None
        if task == "detect":
            raise _Bad(
                "invalid_value", f"a detect line has the class and cx cy w h (4 values), got {n}", None, n
            )
        if n >= 6 and (n % 2 == 0 or task == "segment"):
            return _polygon(name, values), None
        raise _Bad(
            "invalid_value",
            f"{n} values after the class: neither a box (4, +1 confidence) nor a polygon (an even "
            "number, at least 6); with task=segment an odd count ends with a confidence",
            None,
            n,
        )


def _ids_text(names: Mapping[int, str]) -> str:
    """The declared class ids as a person reads them: ``0..79`` when they run on, else listed
    (``0, 2``; the first 10 and a count beyond)."""
    ids = sorted(names)
    if not ids:
        return "it declares none"
    if len(ids) > 2 and ids[-1] - ids[0] == len(ids) - 1:
        return f"{ids[0]}..{ids[-1]}"
    more = f", … {len(ids) - 10} more" if len(ids) > 10 else ""
    return ", ".join(str(i) for i in ids[:10]) + more


_HINTS = {
    "unknown_category": "add the class to data.yaml `names` / obj.names, or fix the id",
    "unsupported_annotation": "put the images in the payload (images/ beside labels/)",
}


def _class_id(token: str) -> int:
    if token.isascii() and token.isdigit():
        return int(token)
    if _NUMBER.fullmatch(token):
        v = float(token)
        if v.is_integer() and v >= 0:
            return int(v)  # Ultralytics reads labels as floats: `0.0` is class 0
        raise _Bad("invalid_value", f"a class id is a whole number >= 0, got {token!r}", "/0", token)
    raise _Bad("wrong_type", f"a class id is a number, got {token!r}", "/0", token)


def _coordinate(token: str, col: int) -> float:
    if _NUMBER.fullmatch(token):
        return float(token)
    if token.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise _Bad("invalid_value", f"value {col} is {token!r}, not a finite number", f"/{col}", token)
    raise _Bad("wrong_type", f"value {col} is {token!r}, not a number", f"/{col}", token)


def _confidence(extra: dict[str, Any], values: list[float], used: int) -> dict[str, Any] | None:
    if len(values) > used:
        extra["confidence"] = values[used]
    return extra or None


def _box(name: str, v: list[float]) -> Annotation:
    cx, cy, w, h = v[:4]
    return Annotation(
        kind="bbox",
        name=name,
        geometry=[cx - w / 2, cy - h / 2, w, h],
        units="fraction",
        extra=_confidence({}, v, 4),
    )


def _polygon(name: str, v: list[float]) -> Annotation:
    used = len(v) - len(v) % 2
    return Annotation(
        kind="polygon", name=name, geometry=[v[:used]], units="fraction", extra=_confidence({}, v, used)
    )


def _pose(name: str, v: list[float], k: int, d: int) -> Annotation:
    cx, cy, w, h = v[:4]
    points: list[float] = []
    for i in range(k):
        base = 4 + i * d
        points += [v[base], v[base + 1]]
        if d == 2:
            points.append(2)
            continue
        vis = v[base + 2]
        if vis not in (0, 1, 2):
            raise _Bad(
                "invalid_value",
                f"keypoint {i} has visibility {vis:g}; it is 0, 1 or 2",
                f"/{base + 3}",
                vis,
            )
        points.append(int(vis))
    extra = {"bbox": [cx - w / 2, cy - h / 2, w, h], "bbox_units": "fraction"}
    return Annotation(
        kind="keypoints",
        name=name,
        geometry=points,
        units="fraction",
        extra=_confidence(extra, v, 4 + k * d),
    )


def _image_size(image: Path | None, cache: list[tuple[int, int] | None]) -> tuple[int, int] | None:
    if not cache:
        size = None
        if image is not None:
            from PIL import Image, UnidentifiedImageError

            try:
                with Image.open(image) as im:
                    size = im.size
            except (OSError, UnidentifiedImageError):
                size = None
        cache.append(size)
    return cache[0]


def corners_to_box(c: list[float]) -> list[float] | None:
    """Four corners (pixels, in order around the box) as ``[x, y, w, h, r]``: w is the first edge,
    r its angle in degrees clockwise (image y points down), h the second edge. None when the
    corners are not a rectangle."""
    (x1, y1), (x2, y2), (x3, y3), (x4, y4) = [(c[i], c[i + 1]) for i in range(0, 8, 2)]
    w = math.hypot(x2 - x1, y2 - y1)
    h = math.hypot(x3 - x2, y3 - y2)
    diag = math.hypot(x3 - x1, y3 - y1) or 1.0
    # a parallelogram (the 4th corner where the other three put it) with a right angle
    off = math.hypot(x1 + x3 - x2 - x4, y1 + y3 - y2 - y4)
    dot = (x2 - x1) * (x3 - x2) + (y2 - y1) * (y3 - y2)
    if off > _RECT_TOLERANCE * diag or abs(dot) > _RECT_TOLERANCE * max(w * h, 1e-300):
        return None
    cx, cy = (x1 + x2 + x3 + x4) / 4, (y1 + y2 + y3 + y4) / 4
    r = math.degrees(math.atan2(y2 - y1, x2 - x1)) % 360
    box = [cx - w / 2, cy - h / 2, w, h]
    return box if r == 0 else [*box, r]


def box_to_corners(g: list[float]) -> list[float]:
    """The reverse: corners of ``[x, y, w, h(, r)]`` from the box's own top-left, clockwise, so
    :func:`corners_to_box` gives the same w, h and r back."""
    x, y, w, h = g[:4]
    r = math.radians(g[4]) if len(g) > 4 else 0.0
    cx, cy = x + w / 2, y + h / 2
    cos, sin = math.cos(r), math.sin(r)
    out: list[float] = []
    for lx, ly in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        out += [cx + lx * cos - ly * sin, cy + lx * sin + ly * cos]
    return out


def _obb(name: str, v: list[float], size: tuple[int, int]) -> Annotation:
    width, height = size
    px = [v[i] * (width if i % 2 == 0 else height) for i in range(8)]
    box = corners_to_box(px)
    if box is None:
        raise _Bad(
            "invalid_value",
            "the 4 corners are not a rectangle; an oriented box is a rotated rectangle",
            None,
            v[:8],
        )
    return Annotation(kind="bbox", name=name, geometry=box, extra=_confidence({}, v, 8))


# --------------------------------------------------------------------------------------------------
# write


_HINT_TASK = "--option task=detect|segment|pose|obb"


def default_task(ontology: Ontology) -> str:
    """The task export writes without ``--option task``: the one task that carries every YOLO
    shape of the ontology (rectangles only: detect; polygons, with or without rectangles: segment,
    which writes boxes as box lines; skeletons only: pose; none of these: detect). Skeletons
    beside rectangles or polygons need two datasets: ``option_required``, before anything is
    written."""
    by_kind: dict[str, list[str]] = {}
    for t in ontology.tools:
        group = _TOOL_GROUP.get(t.kind)
        if group is not None:
            by_kind.setdefault(group, []).append(t.name)
    if "skeleton" in by_kind and len(by_kind) > 1:
        parts = [
            f"{group} {', '.join(f'`{n}`' for n in names[:5])}{' …' if len(names) > 5 else ''} → "
            + " or ".join(_GROUP_TASKS[group])
            for group, names in sorted(by_kind.items(), key=lambda kv: list(_GROUP_TASKS).index(kv[0]))
        ]
        allowed = [t for t in TASKS if any(t in _GROUP_TASKS[g] for g in by_kind)]
        raise InvalidInputError(
            "the ontology has tools for more than one YOLO task ("
            + "; ".join(parts)
            + f"), and a YOLO dataset holds one: choose the task (this ontology allows "
            f"{', '.join(allowed)})",
            code="option_required",
            hint=_HINT_TASK,
        )
    if "skeleton" in by_kind:
        return "pose"
    if "polygon" in by_kind:
        return "segment"
    return "detect"


_TOOL_GROUP = {
    ToolKind.RECTANGLE: "rectangle",
    ToolKind.POLYGON: "polygon",
    ToolKind.POLY_SEG: "polygon",
    ToolKind.SKELETON: "skeleton",
}
_GROUP_TASKS = {"rectangle": ("detect", "segment", "obb"), "polygon": ("segment",), "skeleton": ("pose",)}


def _task_classes(ctx: ExportContext, task: str) -> list[Tool]:
    tools = tools_of(ctx, _TASK_TOOLS[task])
    if task == "pose" and tools:
        k = len(tools[0].keypoints)
        tools = [t for t in tools if len(t.keypoints) == k]  # kpt_shape is one K for the dataset
    return tools


def write(rows: Iterable[ExportRow], out: Path, ctx: ExportContext) -> ExportSummary:
    """Write a YOLO dataset (labels only, no images) into ``out``, a new or empty folder."""
    task = ctx.options.get("task") or default_task(ctx.ontology)
    layout = ctx.options.get("layout", "ultralytics")
    if task not in TASKS:
        raise InvalidInputError(
            f"option task={task!r} is not one of {', '.join(TASKS)}", code="invalid_value"
        )
    if layout not in LAYOUTS:
        raise InvalidInputError(
            f"option layout={layout!r} is not one of {', '.join(LAYOUTS)}", code="invalid_value"
        )
    if layout == "darknet" and task != "detect":
        raise InvalidInputError(
            f"the darknet layout holds boxes only, not task={task}",
            code="invalid_value",
            hint="use layout=ultralytics",
        )
    classes = _task_classes(ctx, task)
    ids = {t.name: i for i, t in enumerate(classes)}
    k = len(classes[0].keypoints) if task == "pose" and classes else 0
    prepare_output(out, kind="dir")
    labels_dir = out / ("labels" if layout == "ultralytics" else "obj_train_data")
    summary = ExportSummary()
    listed: list[str] = []
    writer = _RowWriter(task, ids, k, summary)
    for row in rows:
        parts = safe_parts(row)
        target = labels_dir.joinpath(*parts[:-1], _stem(parts[-1]) + ".txt")
        lines = writer.lines(row)
        if lines is None:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            fh = target.open("x", encoding="utf-8", newline="\n")
        except FileExistsError:
            summary.not_expressible.append(
                cannot_carry(
                    FMT,
                    f"a second image with the label file {_rel(out, target)} (same path, other extension)",
                    row,
                )
            )
            continue
        with fh:
            fh.write("".join(line + "\n" for line in lines))
        summary.rows += 1
        summary.annotations += len(lines)
        listed.append(row_path(row))
    if layout == "ultralytics":
        head = "path: .\ntrain: images\nval: images\n"
        if task == "obb":
            head += "task: obb\n"
        if task == "pose":
            head += f"kpt_shape: [{k}, 3]\n"
        names = {"names": {i: t.name for i, t in enumerate(classes)}}
        body = yaml.safe_dump(names, allow_unicode=True, default_flow_style=False)
        (out / "data.yaml").write_text(head + body, encoding="utf-8")
    else:
        (out / "obj.names").write_text("".join(f"{t.name}\n" for t in classes), encoding="utf-8")
        (out / "obj.data").write_text(
            f"classes = {len(classes)}\ntrain = data/train.txt\nnames = data/obj.names\nbackup = backup/\n",
            encoding="utf-8",
        )
        (out / "train.txt").write_text(
            "".join(f"data/obj_train_data/{p}\n" for p in listed), encoding="utf-8"
        )
    return summary


class _RowWriter:
    def __init__(self, task: str, ids: dict[str, int], k: int, summary: ExportSummary) -> None:
        self.task, self.ids, self.k, self.summary = task, ids, k, summary

    def lost(self, what: str, row: ExportRow, ann: Annotation | None = None) -> None:
        self.summary.not_expressible.append(cannot_carry(FMT, what, row, ann))

    def lines(self, row: ExportRow) -> list[str] | None:
        """The row's label lines; None when the row cannot be written at all (no size)."""
        md = row.metadata or {}
        w, h = md.get("width"), md.get("height")
        if not (isinstance(w, int | float) and isinstance(h, int | float) and w > 0 and h > 0):
            self.lost("a row without width and height (coordinates are fractions of them)", row)
            return None
        out: list[str] = []
        for ann in row.annotations:
            line = self.line(ann, row, float(w), float(h))
            if line is not None:
                out.append(line)
        return out

    def line(self, ann: Annotation, row: ExportRow, w: float, h: float) -> str | None:
        if ann.kind in CLASSIFICATION_KINDS or ann.kind == "classification":
            self.lost(f"the classification `{ann.name}`", row, ann)
            return None
        cls = self.ids.get(ann.name or "")
        if cls is None:
            self.lost(f"a {ann.kind} of `{ann.name}` in a {self.task} dataset", row, ann)
            return None
        values = self.values(ann, row, w, h)
        if values is None:
            return None
        attrs, _ = flat_attributes(ann)
        if attrs:
            self.lost(f"the attributes {sorted(attrs)} of `{ann.name}`", row, ann)
        if ann.track_id is not None:
            self.lost(f"the track id of `{ann.name}`", row, ann)
        self.summary.not_expressible += unwritten_fields(FMT, row, ann, ("confidence", "bbox", "attributes"))
        conf = (ann.extra or {}).get("confidence")
        if isinstance(conf, int | float) and not isinstance(conf, bool):
            values.append(conf)
        return " ".join([str(cls), *(number(v) for v in values)])

    def values(self, ann: Annotation, row: ExportRow, w: float, h: float) -> list[float] | None:
        g = ann.geometry
        if ann.kind == "bbox" and self.task == "obb":
            c = box_to_corners(list(g))
            return [fraction(c[i], w if i % 2 == 0 else h) for i in range(8)]
        if ann.kind == "bbox" and self.task in ("detect", "segment"):
            if len(g) > 4 and g[4] % 360:
                self.lost(f"a rotated box of `{ann.name}` outside task=obb", row, ann)
                return None
            return box_fractions(g[:4], w, h)
        if ann.kind == "polygon" and self.task == "segment":
            if len(g) != 1:
                self.lost(f"a polygon of `{ann.name}` with {len(g)} rings (one ring per YOLO line)", row, ann)
                return None
            ring = g[0]
            return [fraction(ring[i], w if i % 2 == 0 else h) for i in range(len(ring))]
        if ann.kind == "keypoints" and self.task == "pose":
            return self.pose(ann, row, w, h)
        self.lost(f"a {ann.kind} of `{ann.name}` in a {self.task} dataset", row, ann)
        return None

    def pose(self, ann: Annotation, row: ExportRow, w: float, h: float) -> list[float] | None:
        g = ann.geometry
        if len(g) != 3 * self.k:
            self.lost(
                f"a skeleton of `{ann.name}` with {len(g) // 3} points (kpt_shape has {self.k})", row, ann
            )
            return None
        box = _pose_box(ann, w, h)
        if box is None:
            self.lost(f"a skeleton of `{ann.name}` with no box and no labelled point", row, ann)
            return None
        out = list(box)
        for i in range(0, len(g), 3):
            out += [fraction(g[i], w), fraction(g[i + 1], h), g[i + 2]]
        return out


def _pose_box(ann: Annotation, w: float, h: float) -> list[float] | None:
    """A pose line's box as fractions ``[cx, cy, w, h]``: the one read from YOLO, else a pixel box
    another format kept, else the tight box of the labelled points."""
    extra = ann.extra or {}
    box = extra.get("bbox")
    if isinstance(box, list) and len(box) == 4 and all(isinstance(v, int | float) for v in box):
        if extra.get("bbox_units") == "fraction":  # read from YOLO, not validated: fractions already
            return box_fractions(box, 1.0, 1.0)
        return box_fractions(box, w, h)
    g = ann.geometry
    pts = [(g[i], g[i + 1]) for i in range(0, len(g), 3) if g[i + 2] > 0]
    if not pts:
        return None
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    return box_fractions([x0, y0, x1 - x0, y1 - y0], w, h)


# --------------------------------------------------------------------------------------------------
# exact fractions: what import turns back into the very same pixels
#
# Import reads a value ``f`` with ``float(text)``, a box's left edge as ``cx - w / 2`` (in
# fractions, `_box`), and validation scales with ``f * size / 1.0`` (validate.geometry.to_pixels).
# ``p / size`` is not always the fraction that scales back to ``p`` (``0.497261 * 640`` …), so the
# writer tries the floats within a few ulps of it and keeps, of those that give ``p`` back through
# that very arithmetic, the one with the shortest text. Scaling and ``cx - w / 2`` are monotone, so
# the values that work are one run of neighbouring floats: the search walks towards the target and
# stops when it steps over it. When nothing within reach works (a pixel value no fraction of this
# size reproduces), ``p / size`` is written: one rounding, reported nowhere, as close as floats go.

_ULPS = 4  # how far from the plain quotient the search goes, each way
_UNIT = 1.0  # validation's divisor for "fraction" units


def _scaled(f: float, size: float) -> float:
    return f * size / _UNIT


def _shifted(c: float, *, half: float, size: float) -> float:
    """A box's left (top) edge in pixels as import computes it from centre ``c``: ``c - w / 2``."""
    return _scaled(c - half, size)


def _run(g: Callable[[float], float], target: float, start: float) -> list[float]:
    """The floats ``c`` within :data:`_ULPS` steps of ``start`` with ``g(c) == target`` (``g``
    monotone non-decreasing); empty when there is none."""
    if not (math.isfinite(start) and math.isfinite(target)):
        return []
    c, v = start, g(start)
    for _ in range(_ULPS):
        if v == target:
            break
        nxt = math.nextafter(c, math.inf if v < target else -math.inf)
        w = g(nxt)
        if w != target and (v < target) != (w < target):
            return []  # stepped over it: no float gives the target exactly
        c, v = nxt, w
    if v != target:
        return []
    run = [c]
    for way in (math.inf, -math.inf):
        d = c
        for _ in range(_ULPS):
            d = math.nextafter(d, way)
            if g(d) != target:
                break
            run.append(d)
    return run


def _shortest(values: list[float], near: float) -> float:
    return min(values, key=lambda c: (len(number(c)), abs(c - near)))


def fraction(p: float, size: float) -> float:
    """The fraction of ``size`` to write for pixel value ``p``: the shortest text that import
    turns back into exactly ``p``, else ``p / size``."""
    q = p / size
    found = _run(lambda c: _scaled(c, size), p, q)
    return _shortest(found, q) if found else q


def _side(x: float, extent: float, size: float) -> tuple[float, float]:
    """A box side ``[x, x + extent]`` in pixels as YOLO's (centre, extent) fractions, chosen so
    that import's ``centre - extent / 2`` and scaling give back ``x`` and ``extent`` exactly."""
    q = extent / size
    widths = sorted(_run(lambda c: _scaled(c, size), extent, q), key=lambda c: (len(number(c)), abs(c - q)))
    for fw in widths or [q]:  # with no exact extent, the edge can still be
        half = fw / 2
        start = x / size + half
        centres = _run(partial(_shifted, half=half, size=size), x, start)
        if centres:
            return _shortest(centres, start), fw
    # nothing exact within reach: the plain quotients, with the extent exact when it can be
    return (x + extent / 2) / size, widths[0] if widths else q


def box_fractions(box: list[float], width: float, height: float) -> list[float]:
    """``[x, y, w, h]`` in pixels as YOLO's ``[cx, cy, w, h]`` fractions (see :func:`_side`)."""
    cx, fw = _side(box[0], box[2], width)
    cy, fh = _side(box[1], box[3], height)
    return [cx, cy, fw, fh]


# --------------------------------------------------------------------------------------------------
# detect


def detect(payload: Path) -> Detection:
    if not payload.exists():
        return Detection(0.0, [f"{payload} does not exist"])
    if payload.is_file():
        low = payload.name.lower()
        if low.endswith((".yaml", ".yml")):
            if _yaml_names_quick(payload):
                return Detection(0.9, [f"{payload.name} declares `names` (an Ultralytics data.yaml)"])
            return Detection(0.0, [f"{payload.name} has no `names`"])
        if low == "obj.data":
            return Detection(0.9, ["a Darknet obj.data"])
        return Detection(0.0, [f"{payload.name} is not a data.yaml or obj.data; pass the dataset folder"])
    try:
        entries = {p.name.lower(): p for p in payload.iterdir()}
    except OSError as exc:
        return Detection(0.0, [f"cannot list {payload}: {exc.strerror}"])
    yamls = [p for n, p in entries.items() if n.endswith((".yaml", ".yml")) and p.is_file()]
    with_names = [p for p in yamls if _yaml_names_quick(p)]
    labels = "labels" in entries and entries["labels"].is_dir()
    if with_names:
        where = " and a labels/ folder" if labels else ""
        return Detection(0.95, [f"{with_names[0].name} declares `names`{where}"])
    if "obj.data" in entries or "obj.names" in entries:
        found = [n for n in ("obj.data", "obj.names") if n in entries]
        return Detection(0.9, [f"Darknet/CVAT YOLO 1.1 files: {', '.join(found)}"])
    names = [n for n in entries if n.endswith(".names")] + (
        ["classes.txt"] if "classes.txt" in entries else []
    )
    if names:
        sample = _first_label_line(payload, {entries[n].resolve() for n in names})
        if sample is not None:
            return Detection(0.7, [f"class list {names[0]} and YOLO label lines ({sample})"])
        return Detection(0.2, [f"class list {names[0]} but no .txt file of YOLO lines"])
    why = "no data.yaml (or *.yaml with `names`), obj.data, obj.names, *.names or classes.txt"
    if yamls:
        why += f"; {', '.join(p.name for p in yamls)} declare no `names`"
    return Detection(0.0, [why])


def _first_label_line(root: Path, skip: set[Path]) -> str | None:
    """The first line of the first non-empty label file, when it reads as ``cls x y ...``."""
    texts, _ = _scan(root)
    for t in texts[:50]:
        path = root / t
        if path.resolve() in skip:
            continue
        try:
            with path.open(encoding="utf-8-sig") as fh:
                first = fh.readline().split()
        except (OSError, UnicodeDecodeError):
            return None
        if not first:
            continue
        ok = first[0].isdigit() and len(first) >= 5 and all(_NUMBER.fullmatch(x) for x in first[1:])
        return t if ok else None
    return None


SPEC = FormatSpec(
    name="yolo",
    title="YOLO (Ultralytics, Darknet / CVAT YOLO 1.1)",
    carries="boxes (detect), polygons (segment), skeleton keypoints with their box (pose), rotated "
    "boxes (obb), prediction confidence; class names from data.yaml / obj.names. Not "
    "classifications, attributes, masks, lines, points, ellipses or track ids.",
    read=read,
    write=write,
    detect=detect,
    options={
        "task": "detect | segment | pose | obb: how lines are read (default: data.yaml `task`/"
        "`kpt_shape`, else by their number of values) and what is written (default from the "
        "ontology's one task: rectangles → detect, polygons → segment, skeletons → pose; "
        "required when the ontology has skeletons beside other YOLO tools)",
        "layout": "export only: ultralytics (data.yaml, labels/) or darknet (obj.names, obj.data, "
        "obj_train_data/, boxes only); default ultralytics",
    },
)
