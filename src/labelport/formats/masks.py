"""Exact, fast mask codecs; numpy and Pillow only.

labelport keeps every segmentation mask in one canonical form, COCO compressed RLE:
``{"size": [h, w], "counts": "<string>"}``. Runs are over the column-major (Fortran order)
flattened mask, start with a run of zeros (of length 0 when the first pixel is set), and are
written with the same LEB128-like string scheme as pycocotools' ``rleToString`` (5 bits a
character, offset 48, each count after the third stored as the difference to the count two
before it). :func:`encode` of a mask gives exactly the string pycocotools gives, and because the
runs are always merged (no zero-length run but the first), one mask has one canonical string.

Readers decode their mask encodings into that form and writers encode out of it:

* COCO RLE, compressed or not: :func:`encode`, :func:`decode`, :func:`from_uncompressed`,
  :func:`to_uncompressed`, :func:`area`, :func:`bbox`;
* PNG masks, binary or colour composites: :func:`from_png`, :func:`from_png_base64`,
  :func:`to_png`, :func:`colors_in_png`;
* polygons, for previews and exports that need a raster: :func:`polygon_to_mask`;
* CVAT for images 1.1 ``<mask rle=...>``: :func:`from_cvat_rle`, :func:`to_cvat_rle`;
* Label Studio brush RLE (the thi.ng rle-pack bit stream over RGBA bytes):
  :func:`from_labelstudio_rle`, :func:`to_labelstudio_rle`.

Run finding is vectorised with numpy over the flattened array; only loops over runs or counts
(never over pixels) are in Python. Anything that cannot be decoded exactly raises
:class:`MaskError` with a short reason.

Importing this module brings numpy and Pillow: 0.14-0.25 s by ``python -X importtime``. The
job and the COCO and NDJSON readers import it inside the functions that meet a mask, not at their
top, so that a payload without masks does not wait that long for its first record (a test in a
fresh process holds it).
"""

from __future__ import annotations

import base64
import binascii
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

__all__ = [
    "MaskError",
    "area",
    "bbox",
    "colors_in_png",
    "decode",
    "encode",
    "from_cvat_rle",
    "from_labelstudio_rle",
    "from_png",
    "from_png_base64",
    "from_uncompressed",
    "polygon_to_mask",
    "to_canonical",
    "to_cvat_rle",
    "to_labelstudio_rle",
    "to_png",
    "to_uncompressed",
]

BoolMask = npt.NDArray[np.bool_]
_Int64s = npt.NDArray[np.int64]

# pycocotools keeps counts and sizes as 32-bit unsigned; so do we.
_MAX_PIXELS = 2**32 - 1
# The longest run of counts-string characters a count of at most 2**32 can need (7 * 5 bits).
_MAX_CHARS = 7
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class MaskError(ValueError):
    """A mask or mask encoding that cannot be decoded exactly; the message says why, briefly."""


# --------------------------------------------------------------------------------------------
# validation helpers


def _as_int(value: object) -> int | None:
    """``value`` as an int when it is one (bools are not), else None."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        return None
    return int(value)


def _size(size: object) -> tuple[int, int]:
    """``[h, w]`` as two positive ints, or MaskError."""
    if isinstance(size, str | bytes) or not isinstance(size, Sequence | np.ndarray):
        raise MaskError(f"size must be [height, width], got {size!r}")
    items = [_as_int(v) for v in size]
    if len(items) != 2 or not all(v is not None and v > 0 for v in items):
        raise MaskError(f"size must be two positive ints, got {size!r}")
    h, w = int(items[0] or 0), int(items[1] or 0)
    if h * w > _MAX_PIXELS:
        raise MaskError(f"mask of {h}x{w} pixels is too large")
    return h, w


def _as_mask(mask: object) -> BoolMask:
    """A 2-D array as booleans (nonzero is in), or MaskError."""
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise MaskError(f"a mask must be 2-D (height x width), got shape {arr.shape}")
    if arr.size == 0:
        raise MaskError(f"a mask must have at least one pixel, got shape {arr.shape}")
    if arr.size > _MAX_PIXELS:
        raise MaskError(f"mask of shape {arr.shape} is too large")
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind not in "iuf":
        raise MaskError(f"a mask must be boolean or numeric, got dtype {arr.dtype}")
    result: BoolMask = arr != 0
    return result


def _int_list(counts: object, what: str = "counts") -> _Int64s:
    """A sequence of ints as an int64 array (not checked for sign), or MaskError."""
    if isinstance(counts, str | bytes | bytearray | Mapping):
        raise MaskError(f"{what} must be a list of ints")
    try:
        arr = np.asarray(counts)
    except (TypeError, ValueError) as exc:
        raise MaskError(f"{what} must be a list of ints") from exc
    if arr.ndim != 1:
        raise MaskError(f"{what} must be a flat list of ints")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise MaskError(f"{what} must be a list of ints, got {arr.dtype} values")
    if arr.dtype == np.uint64 and int(arr.max()) > _MAX_PIXELS:
        raise MaskError(f"{what} has a value out of range")
    return arr.astype(np.int64)


def _check_counts(counts: _Int64s, h: int, w: int) -> None:
    if counts.size == 0:
        raise MaskError("counts is empty")
    if int(counts.min()) < 0:
        raise MaskError("counts has a negative run")
    total = int(counts.sum())
    if total != h * w:
        raise MaskError(f"counts sum to {total}, not height*width = {h * w}")


# --------------------------------------------------------------------------------------------
# runs


def _runs(flat: BoolMask) -> _Int64s:
    """Run lengths of a flat boolean array, starting with a (possibly empty) run of False."""
    n = flat.size
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [n])).astype(np.int64)
    counts: _Int64s = np.diff(bounds)
    if flat[0]:
        counts = np.concatenate((np.zeros(1, dtype=np.int64), counts))
    return counts


def _expand(counts: _Int64s) -> BoolMask:
    """The flat boolean array of alternating runs (False first)."""
    values = np.zeros(counts.size, dtype=np.bool_)
    values[1::2] = True
    flat: BoolMask = np.repeat(values, counts)
    return flat


def _normalise(counts: _Int64s) -> _Int64s:
    """Valid counts with zero-length runs (but a leading one) removed and neighbours merged."""
    values = np.arange(counts.size) % 2
    keep = counts > 0
    values, lengths = values[keep], counts[keep]
    starts = np.concatenate(([0], np.flatnonzero(values[1:] != values[:-1]) + 1))
    merged: _Int64s = np.add.reduceat(lengths, starts).astype(np.int64)
    if values[0] == 1:
        merged = np.concatenate((np.zeros(1, dtype=np.int64), merged))
    return merged


# --------------------------------------------------------------------------------------------
# the COCO counts string


def _counts_to_string(counts: _Int64s) -> str:
    """pycocotools' rleToString, vectorised."""
    x = counts.astype(np.int64)
    if x.size > 3:
        x[3:] = counts[3:] - counts[1:-2]
    # k characters hold any value that fits in 5k-bit two's complement; take the fewest.
    nchars = np.ones(x.size, dtype=np.int64)
    for k in range(1, _MAX_CHARS):
        limit = 1 << (5 * k - 1)
        nchars += (x < -limit) | (x >= limit)
    chars = np.zeros((x.size, _MAX_CHARS), dtype=np.uint8)
    for j in range(_MAX_CHARS):
        digit = (x >> (5 * j)) & 0x1F
        more = (j < nchars - 1).astype(np.int64) * 0x20
        chars[:, j] = digit | more
    chars += 48
    valid = np.arange(_MAX_CHARS)[None, :] < nchars[:, None]
    return chars[valid].tobytes().decode("ascii")


def _counts_from_string(text: str | bytes | bytearray) -> _Int64s:
    """pycocotools' rleFrString, vectorised, with the checks it leaves out."""
    if isinstance(text, str):
        try:
            raw = text.encode("ascii")
        except UnicodeEncodeError as exc:
            raise MaskError("counts string is not ASCII") from exc
    else:
        raw = bytes(text)
    if not raw:
        return np.zeros(0, dtype=np.int64)
    c = np.frombuffer(raw, dtype=np.uint8).astype(np.int64) - 48
    if int(c.min()) < 0 or int(c.max()) > 63:
        raise MaskError("counts string has a character outside '0'..'o'")
    last = (c & 0x20) == 0
    if not last[-1]:
        raise MaskError("counts string ends in the middle of a number")
    ends = np.flatnonzero(last)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if int(lengths.max()) > _MAX_CHARS:
        raise MaskError("counts string has a number too large for a mask")
    position = np.arange(c.size) - np.repeat(starts, lengths)
    x: _Int64s = np.add.reduceat((c & 0x1F) << (5 * position), starts)
    negative = (c[ends] & 0x10) != 0
    x[negative] -= np.left_shift(np.int64(1), 5 * lengths[negative])
    counts = x.copy()
    counts[1::2] = np.cumsum(x[1::2])
    counts[2::2] = np.cumsum(x[2::2])
    return counts


def _parse(rle: Mapping[str, Any]) -> tuple[int, int, _Int64s]:
    """``(h, w, counts)`` of a compressed or uncompressed COCO RLE, checked; or MaskError."""
    if not isinstance(rle, Mapping):
        raise MaskError("an RLE must be a mapping with 'size' and 'counts'")
    if "size" not in rle or "counts" not in rle:
        raise MaskError("an RLE needs both 'size' and 'counts'")
    h, w = _size(rle["size"])
    raw = rle["counts"]
    if isinstance(raw, str | bytes | bytearray):
        counts = _counts_from_string(raw)
    elif isinstance(raw, Sequence | np.ndarray):
        counts = _int_list(raw)
    else:
        raise MaskError(f"counts must be a string or a list of ints, got {type(raw).__name__}")
    _check_counts(counts, h, w)
    return h, w, counts


# --------------------------------------------------------------------------------------------
# COCO RLE


def encode(mask: npt.ArrayLike) -> dict[str, Any]:
    """Canonical compressed COCO RLE of an HxW mask (bool or numeric, nonzero is in).

    The counts string equals ``pycocotools.mask.encode(np.asfortranarray(mask.astype(np.uint8)))``
    decoded as ASCII.
    """
    arr = _as_mask(mask)
    h, w = arr.shape
    counts = _runs(arr.ravel(order="F"))
    return {"size": [int(h), int(w)], "counts": _counts_to_string(counts)}


def decode(rle: Mapping[str, Any]) -> BoolMask:
    """The HxW boolean mask (C-contiguous) of a COCO RLE.

    Accepts compressed RLE (``counts`` a str or bytes, canonical or not) and uncompressed RLE
    (``counts`` a list of ints).
    """
    h, w, counts = _parse(rle)
    return np.ascontiguousarray(_expand(counts).reshape(w, h).T)


def from_uncompressed(counts: Sequence[int], size: Sequence[int]) -> dict[str, Any]:
    """Canonical compressed RLE of an uncompressed COCO RLE (``counts`` and ``size`` [h, w]).

    Zero-length runs inside the counts are merged away, so the result is the same string
    :func:`encode` gives for the mask; pycocotools' ``frPyObjects`` keeps them and agrees with
    this whenever there are none.
    """
    h, w = _size(size)
    runs = _int_list(counts)
    _check_counts(runs, h, w)
    return {"size": [h, w], "counts": _counts_to_string(_normalise(runs))}


def to_canonical(rle: Mapping[str, Any]) -> dict[str, Any]:
    """Any COCO RLE, compressed or not, as the canonical compressed RLE of its mask."""
    h, w, counts = _parse(rle)
    return {"size": [h, w], "counts": _counts_to_string(_normalise(counts))}


def to_uncompressed(rle: Mapping[str, Any]) -> dict[str, Any]:
    """``{"size": [h, w], "counts": [ints]}`` (merged runs, a zero run first) of a COCO RLE."""
    h, w, counts = _parse(rle)
    return {"size": [h, w], "counts": [int(v) for v in _normalise(counts).tolist()]}


def area(rle: Mapping[str, Any]) -> int:
    """Number of pixels in the mask, as ``pycocotools.mask.area``."""
    _, _, counts = _parse(rle)
    return int(counts[1::2].sum())


def bbox(rle: Mapping[str, Any]) -> list[float]:
    """``[x, y, width, height]`` of the set pixels, as ``pycocotools.mask.toBbox``; zeros if none."""
    h, _, counts = _parse(rle)
    ends = np.cumsum(counts)
    ones = counts[1::2]
    run_end = ends[1::2][ones > 0] - 1
    run_start = run_end - ones[ones > 0] + 1
    if run_start.size == 0:
        return [0.0, 0.0, 0.0, 0.0]
    x_start, y_start = np.divmod(run_start, h)
    x_end, y_end = np.divmod(run_end, h)
    x0, x1 = int(x_start.min()), int(x_end.max())
    if bool((x_start != x_end).any()):
        # a run that goes on into the next column covers that column's last and first rows
        y0, y1 = 0, h - 1
    else:
        y0, y1 = int(y_start.min()), int(y_end.max())
    return [float(x0), float(y0), float(x1 - x0 + 1), float(y1 - y0 + 1)]


# --------------------------------------------------------------------------------------------
# PNG


def _open_png(data: bytes) -> Image.Image:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MaskError(f"PNG data must be bytes, got {type(data).__name__}")
    raw = bytes(data)
    if not raw.startswith(_PNG_SIGNATURE):
        raise MaskError("not a PNG (bad signature)")
    try:
        image = Image.open(io.BytesIO(raw), formats=["PNG"])
        image.load()
    except Image.DecompressionBombError as exc:
        raise MaskError(f"PNG too large: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise MaskError(f"bad PNG: {exc}") from exc
    return image


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    try:
        return image.convert("RGB")
    except (ValueError, OSError) as exc:
        raise MaskError(f"cannot read a PNG of mode {image.mode} as RGB") from exc


def _color(color: Sequence[int]) -> tuple[int, int, int]:
    items = [_as_int(v) for v in color] if isinstance(color, Sequence | np.ndarray) else []
    if len(items) != 3 or not all(v is not None and 0 <= v <= 255 for v in items):
        raise MaskError(f"color must be three ints 0..255 (r, g, b), got {color!r}")
    return int(items[0] or 0), int(items[1] or 0), int(items[2] or 0)


def from_png(data: bytes, color: Sequence[int] | None = None) -> BoolMask:
    """The HxW boolean mask in a PNG.

    With ``color`` None: any nonzero pixel is in. For single-channel images (modes 1, L, I, I;16,
    P) that is the pixel value itself (for palette images, the index); for LA and PA the first
    channel; for RGB and RGBA any of R, G, B (alpha is ignored).

    With ``color`` (r, g, b): a composite where exactly the pixels of that colour are in; the image
    is converted to RGB first (palette images through their palette, alpha dropped).
    """
    rgb = None if color is None else _color(color)
    with _open_png(data) as image:
        if rgb is not None:
            arr = np.asarray(_rgb(image))
            result: BoolMask = (arr[..., 0] == rgb[0]) & (arr[..., 1] == rgb[1]) & (arr[..., 2] == rgb[2])
            return result
        mode = image.mode
        arr = np.asarray(image)
    if mode in ("1", "L", "P", "I", "F") or mode.startswith("I;16"):
        result = arr != 0
    elif mode in ("LA", "PA", "La"):
        result = arr[..., 0] != 0
    elif mode in ("RGB", "RGBA", "RGBa", "RGBX"):
        result = arr[..., :3].max(axis=2) != 0
    else:
        raise MaskError(f"unsupported PNG mode {mode}")
    if result.ndim != 2:
        raise MaskError(f"unsupported PNG layout of mode {mode}")
    return result


def from_png_base64(data: str | bytes, color: Sequence[int] | None = None) -> BoolMask:
    """:func:`from_png` of base64 text (standard alphabet, padding required, whitespace ignored)."""
    if isinstance(data, str):
        try:
            data = data.encode("ascii")
        except UnicodeEncodeError as exc:
            raise MaskError("bad base64: not ASCII") from exc
    if not isinstance(data, bytes | bytearray):
        raise MaskError(f"base64 data must be str or bytes, got {type(data).__name__}")
    compact = b"".join(bytes(data).split())
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MaskError(f"bad base64: {exc}") from exc
    return from_png(raw, color)


def to_png(mask: npt.ArrayLike) -> bytes:
    """A single-channel (mode L) PNG of the mask: 255 in, 0 out."""
    arr = _as_mask(mask)
    image = Image.fromarray(arr.astype(np.uint8) * np.uint8(255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def colors_in_png(data: bytes) -> set[tuple[int, int, int]]:
    """The distinct RGB colours of a PNG (palette images through their palette, alpha dropped)."""
    with _open_png(data) as image:
        rgb = _rgb(image)
        width, height = rgb.size
        found = rgb.getcolors(maxcolors=width * height)
    if found is None:  # pragma: no cover - maxcolors is the pixel count, so never
        raise MaskError("too many colours")
    colors: set[tuple[int, int, int]] = set()
    for _, value in found:
        assert isinstance(value, tuple)
        colors.add((int(value[0]), int(value[1]), int(value[2])))
    return colors


# --------------------------------------------------------------------------------------------
# polygons


def polygon_to_mask(rings: Sequence[Sequence[float]], height: int, width: int) -> BoolMask:
    """Rasterise COCO-style polygons (each ring flat ``[x1, y1, x2, y2, ...]``) with Pillow.

    The rings are unioned (COCO has no holes). Pillow's fill differs from pycocotools'
    rasteriser along edges, so this is for previews and exports that need a raster, not for
    storing labels.
    """
    h, w = _size([height, width])
    if isinstance(rings, str | bytes) or not isinstance(rings, Sequence):
        raise MaskError("polygons must be a list of rings")
    image = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(image)
    for ring in rings:
        if isinstance(ring, str | bytes) or not isinstance(ring, Sequence):
            raise MaskError("a polygon ring must be a flat list of numbers")
        try:
            coords = [float(v) for v in ring]
        except (TypeError, ValueError) as exc:
            raise MaskError("a polygon ring must be a flat list of numbers") from exc
        if len(coords) < 6 or len(coords) % 2:
            raise MaskError(f"a polygon ring needs an even number (>= 6) of coordinates, got {len(coords)}")
        if not all(math.isfinite(v) for v in coords):
            raise MaskError("a polygon ring has a non-finite coordinate")
        draw.polygon(list(zip(coords[0::2], coords[1::2], strict=True)), fill=1, outline=1)
    result: BoolMask = np.asarray(image) != 0
    return result


# --------------------------------------------------------------------------------------------
# CVAT for images 1.1


def _nonnegative_int(value: object, what: str) -> int:
    number = _as_int(value)
    if number is None or number < 0:
        raise MaskError(f"{what} must be a non-negative int, got {value!r}")
    return number


def from_cvat_rle(
    counts: Sequence[int], left: int, top: int, width: int, height: int, image_height: int, image_width: int
) -> BoolMask:
    """The full-size HxW mask of a CVAT ``<mask rle left top width height>``.

    ``counts`` are row-major runs over the ``width`` x ``height`` box, starting with a run of 0s.
    """
    image_h, image_w = _size([image_height, image_width])
    box_h, box_w = _size([height, width])
    x0, y0 = _nonnegative_int(left, "left"), _nonnegative_int(top, "top")
    if x0 + box_w > image_w or y0 + box_h > image_h:
        raise MaskError(f"mask box {box_w}x{box_h} at ({x0}, {y0}) is outside the {image_w}x{image_h} image")
    runs = _int_list(counts)
    _check_counts(runs, box_h, box_w)
    out = np.zeros((image_h, image_w), dtype=np.bool_)
    out[y0 : y0 + box_h, x0 : x0 + box_w] = _expand(runs).reshape(box_h, box_w)
    return out


def to_cvat_rle(mask: npt.ArrayLike) -> tuple[list[int], int, int, int, int]:
    """``(counts, left, top, width, height)`` over the tight bounding box; MaskError if empty."""
    arr = _as_mask(mask)
    rows = np.flatnonzero(arr.any(axis=1))
    if rows.size == 0:
        raise MaskError("an empty mask has no CVAT RLE")
    cols = np.flatnonzero(arr.any(axis=0))
    top, bottom, left, right = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    box = arr[top : bottom + 1, left : right + 1]
    counts = [int(v) for v in _runs(box.ravel()).tolist()]
    return counts, left, top, right - left + 1, bottom - top + 1


# --------------------------------------------------------------------------------------------
# Label Studio brush RLE
#
# The stream (thi.ng rle-pack, as label-studio-converter's brush.py reads and writes it) is a
# big-endian bit stream: 32 bits value count, 5 bits word size - 1, four times 4 bits run-length
# field size - 1; then tokens: 1 bit repeat flag, 2 bits choosing a field size s, s bits n - 1,
# then one word repeated n times (flag 1) or n literal words (flag 0). The words here are the
# RGBA bytes of the image, row-major.

# label-studio-converter's encode_rle: 8-bit words, run-length fields of 3, 4, 8 and 16 bits
_LS_RLE_SIZES = (3, 4, 8, 16)
_LS_HEADER = (32, 5, 4, 4, 4, 4)
_LS_BLOCK = 1 << 16


def _ls_bytes(rle: Sequence[int]) -> bytes:
    if isinstance(rle, bytes | bytearray):
        return bytes(rle)
    values = _int_list(rle, "Label Studio rle")
    if values.size and (int(values.min()) < 0 or int(values.max()) > 255):
        raise MaskError("Label Studio rle must be a list of bytes (ints 0..255)")
    return values.astype(np.uint8).tobytes()


def from_labelstudio_rle(rle: Sequence[int], height: int, width: int) -> BoolMask:
    """The HxW mask of a Label Studio brush ``rle``: a pixel is in when any RGBA byte is nonzero."""
    h, w = _size([height, width])
    buf = _ls_bytes(rle)
    total_bits = len(buf) * 8
    expected = h * w * 4
    bits: npt.NDArray[np.uint8] | None = None
    pos = 0

    def read(k: int) -> int:
        nonlocal pos
        end = pos + k
        if end > total_bits:
            raise MaskError("Label Studio rle is truncated")
        first, stop = pos >> 3, (end + 7) >> 3
        value = int.from_bytes(buf[first:stop], "big") >> ((stop << 3) - end)
        pos = end
        return value & ((1 << k) - 1)

    num = read(32)
    if num != expected:
        raise MaskError(f"Label Studio rle holds {num} values, not height*width*4 = {expected}")
    word = read(5) + 1
    sizes = [read(4) + 1 for _ in range(4)]
    dtype = np.uint8 if word <= 8 else np.uint16 if word <= 16 else np.uint32
    out = np.zeros(num, dtype=dtype)
    weights = np.left_shift(np.uint64(1), np.arange(word - 1, -1, -1, dtype=np.uint64))
    i = 0
    while i < num:
        repeat = read(1)
        j = i + 1 + read(sizes[read(2)])
        if j > num:
            raise MaskError("Label Studio rle has a run past the end of the image")
        if repeat:
            value = read(word)
            if value:
                out[i:j] = value
        elif j - i == 1:
            out[i] = read(word)
        else:
            n = j - i
            if pos + n * word > total_bits:
                raise MaskError("Label Studio rle is truncated")
            if bits is None:
                bits = np.unpackbits(np.frombuffer(buf, dtype=np.uint8))
            block = bits[pos : pos + n * word].reshape(n, word).astype(np.uint64)
            out[i:j] = (block @ weights).astype(dtype)
            pos += n * word
        i = j
    if dtype == np.uint8:
        result: BoolMask = out.view(np.uint32).reshape(h, w) != 0
        return result
    result = out.reshape(h, w, 4).max(axis=2) != 0
    return result


def _bits(value: int, width: int) -> npt.NDArray[np.uint8]:
    shifts = np.arange(width - 1, -1, -1, dtype=np.int64)
    bits: npt.NDArray[np.uint8] = ((np.int64(value) >> shifts) & 1).astype(np.uint8)
    return bits


def _ls_token_bits(lengths: _Int64s, values: _Int64s) -> npt.NDArray[np.uint8]:
    """The token bits of runs (lengths >= 1, values 0..255), split as encode_rle splits them."""
    big = lengths > 256
    pieces = np.where(big, (lengths - 1) // _LS_BLOCK + 1, 1)
    length = np.repeat(lengths, pieces)
    value = np.repeat(values, pieces)
    big = np.repeat(big, pieces)
    # a long run is cut into runs of 2**16, then what is left (1..2**16)
    last = np.cumsum(pieces) - 1
    index = np.arange(length.size) - np.repeat(last - pieces + 1, pieces)
    length = np.where(
        big, np.where(index == np.repeat(pieces - 1, pieces), length - index * _LS_BLOCK, _LS_BLOCK), length
    )
    size_index = np.select([big, length > 16, length > 8], [3, 2, 1], 0)
    field = np.asarray(_LS_RLE_SIZES, dtype=np.int64)[size_index]
    flag = (length > 1) | big  # a single value is a literal run of one word
    token = ((((flag.astype(np.int64) << 2) | size_index) << field | (length - 1)) << 8) | value
    width = 3 + field + 8
    columns = np.arange(27, dtype=np.int64)
    chunks = []
    for start in range(0, token.size, _LS_BLOCK):
        t, wd = token[start : start + _LS_BLOCK, None], width[start : start + _LS_BLOCK, None]
        shift = wd - 1 - columns[None, :]
        bits = (t >> np.maximum(shift, 0)) & 1
        chunks.append(bits[shift >= 0].astype(np.uint8))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint8)


def to_labelstudio_rle(mask: npt.ArrayLike) -> list[int]:
    """Label Studio brush ``rle`` of a mask: RGBA bytes 255,255,255,255 in and 0,0,0,0 out.

    Byte for byte what label-studio-converter's ``brush.mask2rle(mask * 255)`` (that is,
    ``encode_rle``) gives, down to its padding, which always adds 1 to 8 zero bits.
    """
    arr = _as_mask(mask)
    h, w = arr.shape
    num = h * w * 4
    if num >= 1 << 32:
        raise MaskError(f"mask of {h}x{w} pixels is too large for a Label Studio rle")
    flat = arr.ravel()
    starts = np.concatenate(([0], np.flatnonzero(flat[1:] != flat[:-1]) + 1))
    lengths = np.diff(np.concatenate((starts, [flat.size]))).astype(np.int64) * 4
    values = flat[starts].astype(np.int64) * 255
    header = np.concatenate(
        [_bits(v, n) for v, n in zip((num, 8 - 1, *(s - 1 for s in _LS_RLE_SIZES)), _LS_HEADER, strict=True)]
    )
    body = _ls_token_bits(lengths, values)
    pad = 8 - (header.size + body.size) % 8
    stream = np.concatenate((header, body, np.zeros(pad, dtype=np.uint8)))
    return [int(v) for v in np.packbits(stream).tolist()]
