"""Point clouds (PCD and KITTI .bin): point count and extent, the frame 3D cuboids live in."""

from __future__ import annotations

import io
import pathlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ProbeError

_KITTI_FIELDS = ["x", "y", "z", "intensity"]
_KITTI_RECORD = np.dtype("<f4")
# A PCD header is a dozen short lines; a bigger one means this is not a PCD at all.
_MAX_HEADER_LINES = 64
_PCD_TYPES = {"F": "f", "I": "i", "U": "u"}


def probe_point_cloud(path: pathlib.Path) -> dict[str, Any]:
    """Dispatch on the extension: the two formats share nothing but the result."""
    if path.suffix.lower() == ".bin":
        return _probe_kitti(path)
    return _probe_pcd(path)


def _probe_kitti(path: pathlib.Path) -> dict[str, Any]:
    """KITTI velodyne scans are headerless float32 (x, y, z, intensity) records."""
    size = path.stat().st_size
    if size % (4 * _KITTI_RECORD.itemsize):
        raise ProbeError(f"not a KITTI scan: {size} bytes is not a whole number of 16-byte points")
    points = np.fromfile(path, dtype=_KITTI_RECORD).reshape(-1, 4)
    return _summary(points[:, :3], _KITTI_FIELDS)


@dataclass(frozen=True)
class _PcdHeader:
    fields: list[str]
    dtype: np.dtype[Any]  # one point, as stored in binary data
    columns: list[int]  # ascii column of x, y, z
    points: int
    data: str


def _probe_pcd(path: pathlib.Path) -> dict[str, Any]:
    """Parse the header ourselves and read the points with numpy (ascii and binary DATA)."""
    with path.open("rb") as stream:
        header = _read_pcd_header(stream)
        if header.data == "binary":
            raw = stream.read(header.points * header.dtype.itemsize)
            if len(raw) < header.points * header.dtype.itemsize:
                raise ProbeError(f"not a valid PCD: data ends before {header.points} points")
            table = np.frombuffer(raw, dtype=header.dtype, count=header.points)
            xyz = np.column_stack([table[name].astype(np.float64) for name in ("x", "y", "z")])
        elif header.data == "ascii":
            xyz = _read_ascii_xyz(stream, header)
        else:
            raise ProbeError(f"unsupported PCD DATA {header.data!r} (only ascii and binary)")
    named = [name for name in header.fields if name != "_"]  # "_" is PCL's padding field
    return _summary(xyz, named)


def _read_ascii_xyz(stream: io.BufferedReader, header: _PcdHeader) -> npt.NDArray[np.float64]:
    text = io.TextIOWrapper(stream, encoding="ascii")
    try:
        xyz = np.loadtxt(text, dtype=np.float64, usecols=header.columns, ndmin=2)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProbeError(f"not a valid PCD: {str(exc).splitlines()[0]}") from None
    finally:
        text.detach()  # the caller's `with` closes the underlying file
    if len(xyz) != header.points:
        raise ProbeError(f"not a valid PCD: header says {header.points} points, data has {len(xyz)}")
    return xyz


def _read_pcd_header(stream: io.BufferedReader) -> _PcdHeader:
    entries: dict[str, list[str]] = {}
    for _ in range(_MAX_HEADER_LINES):
        line = stream.readline(4096)
        if not line:
            break
        words = line.decode("ascii", errors="replace").split()
        if not words or words[0].startswith("#"):
            continue
        entries[words[0].upper()] = words[1:]
        if words[0].upper() == "DATA":
            return _parse_header(entries)
    raise ProbeError("not a valid PCD: no DATA line in the header")


def _parse_header(entries: dict[str, list[str]]) -> _PcdHeader:
    fields = entries.get("FIELDS", [])
    sizes, types = entries.get("SIZE", []), entries.get("TYPE", [])
    counts = entries.get("COUNT", ["1"] * len(fields))
    if not fields or not len(fields) == len(sizes) == len(types) == len(counts):
        raise ProbeError("not a valid PCD: FIELDS, SIZE, TYPE and COUNT do not line up")
    try:
        width, height = int(entries["WIDTH"][0]), int(entries.get("HEIGHT", ["1"])[0])
        points = int(entries.get("POINTS", [str(width * height)])[0])
        columns: list[tuple[str, str, tuple[int, ...]]] = []
        for index, (name, size, kind, count) in enumerate(zip(fields, sizes, types, counts, strict=True)):
            unique = name if name != "_" else f"_{index}"  # numpy needs unique names
            code = f"<{_PCD_TYPES[kind.upper()]}{int(size)}"
            columns.append((unique, code, (int(count),) if int(count) != 1 else ()))
        dtype = np.dtype(columns)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise ProbeError(f"not a valid PCD: bad header ({type(exc).__name__}: {exc})") from None
    if points != width * height:
        raise ProbeError(f"not a valid PCD: POINTS {points} != WIDTH*HEIGHT {width * height}")
    offsets: dict[str, int] = {}
    column = 0
    for name, count in zip(fields, counts, strict=True):
        offsets.setdefault(name, column)
        column += int(count)
    if any(axis not in offsets or dtype[axis].shape for axis in ("x", "y", "z")):
        raise ProbeError("not a valid PCD: needs scalar x, y and z fields")
    data = entries["DATA"][0].lower() if entries["DATA"] else ""
    return _PcdHeader(fields, dtype, [offsets[a] for a in ("x", "y", "z")], points, data)


def _summary(xyz: npt.NDArray[Any], fields: list[str]) -> dict[str, Any]:
    """Bounds ignore NaN/inf points, which organised clouds use for "no return"."""
    finite = xyz[np.isfinite(xyz).all(axis=1)]
    if not len(finite):
        raise ProbeError("point cloud has no points with finite x, y and z")
    low, high = finite.min(axis=0), finite.max(axis=0)
    return {
        "point_count": len(xyz),
        "bounds": [float(v) for v in (*low, *high)],
        "fields": fields,
    }
