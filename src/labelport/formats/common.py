"""What the file-per-image and class-list formats (COCO, YOLO, VOC, CVAT, Label Studio, LabelMe)
share, so each module holds only what is its own.

Readers name a row by the image path the file gives (``RowRef(filename=...)``: a path relative to
the dataset root, or a basename that validation accepts only when it is unique), put a format's
per-object attributes, typed as the file gave them, in ``Annotation.extra["attributes"]``, and
state the image size the file claims in ``Record.image_size``. Writers use the helpers below to
name rows, spell numbers and flatten answers back into attributes, report through
:func:`cannot_carry` whatever their format cannot express, and claim their output path with
:func:`prepare_output` (one policy for every writer: new or empty, never overwritten).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec
import orjson

from labelport.formats.base import ExportContext, ExportRow, issue
from labelport.model.errors import InvalidInputError
from labelport.model.issues import Issue, Location, Severity
from labelport.model.ontology import Tool, ToolKind
from labelport.model.records import Annotation, answer_attribute


def row_path(row: ExportRow) -> str:
    """The row's path relative to its dataset root (``train/0001.jpg``): what import matches first."""
    parent = (row.ref.parent_path or "").strip("/")
    name = row.ref.filename or (row.ref.global_key or "").rsplit("/", 1)[-1]
    return f"{parent}/{name}" if parent else name


def safe_rel(row: ExportRow) -> str:
    """:func:`row_path`, refusing anything that would climb out of the export folder (``..``,
    ``.``, empty parts, an absolute path)."""
    rel = row_path(row)
    if any(p in ("", ".", "..") for p in rel.split("/")):
        raise ValueError(f"row {row.ref}: its path {rel!r} does not make a safe relative path")
    return rel


def safe_parts(row: ExportRow) -> list[str]:
    """:func:`safe_rel` split into its folder names and file name."""
    return safe_rel(row).split("/")


_HINT_OUTPUT = "choose a new path or empty it"


def prepare_output(out: Path, *, kind: Literal["dir", "file"]) -> Path:
    """Claim the export target ``out`` before anything is written; returns ``out``.

    ``kind="dir"``: a missing folder is created (with its parents), an existing empty folder is
    used. ``kind="file"``: the file's folder is created. Anything already there (a non-empty
    folder, a file, or a folder where a file goes) is refused with ``InvalidInputError``
    (``output_exists``): an export never overwrites and never mixes with older files.
    """
    if out.is_dir() and kind == "dir":
        try:
            with os.scandir(out) as it:
                empty = next(it, None) is None
        except OSError as exc:
            raise InvalidInputError(
                f"cannot list the output folder {out}: {exc.strerror or exc}", code="output_unwritable"
            ) from exc
        if not empty:
            raise InvalidInputError(
                f"the output folder {out} is not empty", code="output_exists", hint=_HINT_OUTPUT
            )
        return out
    if out.exists() or out.is_symlink():
        what = "a folder" if out.is_dir() else "a file"
        raise InvalidInputError(
            f"{out} already exists and is {what}", code="output_exists", hint=_HINT_OUTPUT
        )
    folder = out if kind == "dir" else out.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise InvalidInputError(
            f"cannot create {folder}: a file is in the way", code="output_exists", hint=_HINT_OUTPUT
        ) from exc
    except OSError as exc:
        raise InvalidInputError(
            f"cannot create {folder}: {exc.strerror or exc}", code="output_unwritable"
        ) from exc
    return out


def walk(root: Path, suffix: str, *, ignore_case: bool = True) -> Iterator[Path]:
    """Non-hidden files named ``*<suffix>`` under ``root``, in path order, listed lazily.

    Sorting each directory's entries by name gives the same order as sorting the relative paths
    component by component, without holding the whole tree. Symlinked directories are not
    followed (a link cycle would never end). A folder that cannot be listed yields nothing.
    """
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from walk(Path(entry.path), suffix, ignore_case=ignore_case)
        elif (entry.name.lower() if ignore_case else entry.name).endswith(suffix) and entry.is_file():
            yield Path(entry.path)


def esc(token: str) -> str:
    """One RFC 6901 reference token: names may hold ``/`` or ``~``."""
    return token.replace("~", "~0").replace("/", "~1")


def jtype(value: Any) -> str:
    """The JSON name of a value's type, for messages a person reads next to their file."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shown(value: Any) -> Any:
    """What an issue carries as ``value``: scalars as given, never a whole (possibly huge) tree."""
    if isinstance(value, str):
        return value if len(value) <= 200 else value[:200] + "…"
    if value is None or isinstance(value, bool | int | float):
        return value
    return jtype(value)


def is_num(value: Any) -> bool:
    """A JSON number (``True``/``False`` are not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(v: float) -> str:
    """The shortest text that reads back as the same float (``320``, ``0.1``, ``12.345678901234567``)."""
    if isinstance(v, int) or (isinstance(v, float) and math.isfinite(v) and v.is_integer()):
        return str(int(v))
    return repr(float(v))


def plain(v: float) -> float | int:
    """A number for a JSON writer: integral floats as ints, so files read like the tools' own."""
    return int(v) if isinstance(v, float) and v.is_integer() else v  # inf and nan are not integers


def to_json(value: Any, *, indent: bool = False) -> bytes:
    """JSON text for a writer: orjson's, the fastest, except for a value holding an integer beyond
    64 bits (a COCO id of 2**70 kept from its file), which orjson refuses and msgspec writes
    exactly, so that what was imported is exported again."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else None)
    except TypeError as exc:
        if "64-bit" not in str(exc):
            raise
    text = msgspec.json.encode(value)
    return msgspec.json.format(text, indent=2) if indent else text


def plain_numbers(values: Iterable[float]) -> list[float | int]:
    """:func:`plain` of each number, written out rather than called for each: an export of 1M
    COCO annotations writes about ten million numbers (a box's four: 1.0 -> 0.6 us)."""
    return [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]


def tools_of(ctx: ExportContext, kinds: Iterable[ToolKind]) -> list[Tool]:
    """The ontology's tools of the given kinds, in ontology order (class ids follow this order)."""
    wanted = set(kinds)
    return [t for t in ctx.ontology.tools if t.kind in wanted]


def flat_attributes(ann: Annotation) -> tuple[dict[str, Any], list[str]]:
    """An object's answers and kept attributes as one flat ``name -> value`` map, and the names of
    answers a flat map loses something of (nested answers, frame ranges)."""
    attrs: dict[str, Any] = dict((ann.extra or {}).get("attributes", {}))
    lost: list[str] = []
    for a in ann.classifications:
        value, lossy = answer_attribute(a)
        attrs[a.name or ""] = value
        if lossy:
            lost.append(a.name or "")
    return attrs, lost


def cannot_carry(
    fmt: str,
    what: str,
    row: ExportRow | None,
    ann: Annotation | None = None,
    *,
    severity: Severity | None = None,
) -> Issue:
    """The export summary's entry for something a format cannot express; never dropped unsaid.

    ``severity=Severity.INFO`` is for a source file's bookkeeping that is not a label (its own ids,
    ``source``, ``area``): reported, but an export losing only that still succeeds (exit 0).
    """
    return issue(
        "unsupported_annotation",
        f"{fmt} cannot carry {what}",
        Location(
            data_row=row.ref.global_key if row is not None else None,
            annotation_id=ann.uid if ann is not None else None,
        ),
        severity=severity,
    )


# Fields a source file keeps for its own bookkeeping, not labels: losing them on export is said
# at INFO and does not fail the export. Everything else in ``extra`` is label content.
BOOKKEEPING = frozenset({"id", "source", "area", "supercategory", "confidence", "tool"})


def bookkeeping(key: str, value: Any) -> Severity | None:
    """INFO for bookkeeping fields (and COCO's ``iscrowd`` 0, its default); None: the code's own."""
    if key in BOOKKEEPING or (key == "iscrowd" and value in (0, False)):
        return Severity.INFO
    return None


def unwritten_fields(fmt: str, row: ExportRow, ann: Annotation, written: Iterable[str]) -> list[Issue]:
    """One summary entry per field of ``ann.extra`` the writer did not write (``written``): other
    formats' fields (CVAT's z_order, a kept segmentation, ...) are never dropped unsaid."""
    extra = ann.extra
    done = _written_or_tool(tuple(written))
    # once per annotation of an export, and most hold only fields the writer wrote: the sorted
    # list of the others is made only when there is one
    if not extra or done.issuperset(extra):
        return []
    return [
        cannot_carry(fmt, f"the field `{key}` of `{ann.name}`", row, ann, severity=bookkeeping(key, value))
        for key, value in sorted(extra.items())
        if key not in done
    ]


@functools.cache
def _written_or_tool(written: tuple[str, ...]) -> frozenset[str]:
    """A writer's fields and the tool an annotation's ``extra`` names (``store.imports``)."""
    return frozenset(written) | {"tool"}


@dataclass(frozen=True)
class FileProblem:
    """Why a whole payload file cannot be read, as a value its reader reports where it is."""

    code: str
    message: str
    line: int | None = None
    hint: str | None = None


def read_json(path: Path) -> tuple[Any, FileProblem | None]:
    """One JSON file (a UTF-8 byte-order mark allowed): its document, or why there is none
    (unreadable, not UTF-8, not JSON with the line of the fault)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, FileProblem("unreadable_payload", f"cannot read the file: {exc.strerror or exc}")
    if data.startswith(b"\xef\xbb\xbf"):  # editors on Windows add one; orjson refuses it
        data = data[3:]
    try:
        return orjson.loads(data), None
    except orjson.JSONDecodeError as exc:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as uexc:
            return None, FileProblem(
                "unreadable_payload",
                f"the file is not UTF-8 (byte {uexc.start})",
                hint="Save the file as UTF-8.",
            )
        return None, FileProblem(
            "invalid_json",
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} (char {exc.pos})",
            line=exc.lineno,
        )


# --- detection of one-JSON-object-per-file formats (AIMMO, LabelMe) ------------------------------

DETECT_BYTES = 1 << 20  # a file is parsed whole up to this size; past it, its keys are looked for
_DETECT_FILES = 5  # how many files of a folder detection looks at


def sniff_json_object(
    path: Path,
    name: str,
    keys: Iterable[str],
    array: str,
    *,
    what: str,
    not_json: Callable[[bytes], str | None] | None = None,
) -> str | None:
    """Why a file is not one JSON object with ``keys`` (``array`` among them a list), or None when it
    is one. Reads at most ~1 MB: past that, the keys must show in its first MiB or last 64 KiB."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(DETECT_BYTES)
            tail = b""
            if size > DETECT_BYTES:
                fh.seek(max(size - 65536, DETECT_BYTES))
                tail = fh.read()
    except OSError as exc:
        return f"{name} cannot be read: {exc.strerror or exc}"
    head = head.removeprefix(b"\xef\xbb\xbf")
    if size > DETECT_BYTES:
        text = head + tail
        for key in keys:
            if b'"' + key.encode() + b'"' not in text:
                return f"{name} has no `{key}`"
        return None
    try:
        doc = orjson.loads(head)
    except orjson.JSONDecodeError:
        return (not_json(head) if not_json is not None else None) or f"{name} is not valid JSON"
    if not isinstance(doc, dict):
        return f"{name} holds {jtype(doc)}, not {what}"
    for key in keys:
        if key not in doc:
            return f"{name} has no `{key}`"
    if not isinstance(doc[array], list):
        return f"{name}: `{array}` is not an array"
    return None


def detect_json_tree(
    payload: Path, check: Callable[[Path, str], str | None], *, ignore_case: bool = True
) -> tuple[int, str | None]:
    """A folder's first JSON files checked with ``check(path, name)``: how many passed, or the first
    file's reason not to (``"no .json files"`` for none)."""
    seen = 0
    for path in walk(payload, ".json", ignore_case=ignore_case):
        problem = check(path, path.relative_to(payload).as_posix())
        if problem:
            return seen, problem
        seen += 1
        if seen == _DETECT_FILES:
            break
    return seen, None if seen else "no .json files"
