"""Builders for small real media files, written into a test's ``tmp_path``.

Each takes the destination path (plus a few knobs) and returns that path, so tests read as
``probe(make_png(tmp_path / "a.png"), MediaType.IMAGE)``. Nothing here is mocked: the files are
produced by the same libraries (Pillow, PyAV, pypdf, stdlib ``wave``) that real uploads come from.
"""

from __future__ import annotations

import json
import math
import pathlib
import wave
from collections.abc import Iterable, Sequence
from typing import Any

import av
import numpy as np
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, NumberObject, StreamObject


def make_image(
    path: pathlib.Path,
    size: tuple[int, int] = (64, 48),
    *,
    orientation: int | None = None,
    image_format: str | None = None,
) -> pathlib.Path:
    """An RGB gradient image; ``orientation`` adds an EXIF Orientation tag (JPEG/WebP/TIFF)."""
    width, height = size
    ramp = np.linspace(0, 255, width * height, dtype=np.uint8).reshape(height, width)
    image = Image.fromarray(np.stack([ramp, ramp[::-1], 255 - ramp], axis=-1))
    if orientation is None:
        image.save(path, format=image_format)
    else:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(path, format=image_format, exif=exif)
    return path


def make_garbage(path: pathlib.Path, size: int = 512) -> pathlib.Path:
    """Deterministic bytes that no decoder accepts, under whatever extension ``path`` has."""
    path.write_bytes(bytes((i * 7919) % 251 for i in range(size)))
    return path


def make_video(
    path: pathlib.Path,
    *,
    frames: int = 5,
    size: tuple[int, int] = (64, 48),
    fps: int = 10,
    codec: str = "mpeg4",
    rotation: int | None = None,
) -> pathlib.Path:
    """Encode ``frames`` flat grey frames with PyAV; the container follows the extension.

    ``rotation`` stores a display matrix (counter-clockwise degrees), as phones do for portrait.
    """
    width, height = size
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for index in range(frames):
            pixels = np.full((height, width, 3), (index * 40) % 256, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def make_wav(
    path: pathlib.Path, *, seconds: float = 1.5, rate: int = 16000, channels: int = 1
) -> pathlib.Path:
    """A 440 Hz tone as 16-bit PCM, written with the stdlib ``wave`` module."""
    samples = int(seconds * rate)
    tone = (np.sin(2 * math.pi * 440 * np.arange(samples) / rate) * 8000).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(tone, channels).tobytes())
    return path


def make_audio_pyav(
    path: pathlib.Path, *, seconds: float = 1.5, rate: int = 16000, fmt: str = "matroska"
) -> pathlib.Path:
    """Mono PCM in a container mutagen does not read (Matroska by default), via PyAV."""
    samples = int(seconds * rate)
    tone = (np.sin(2 * math.pi * 440 * np.arange(samples) / rate) * 8000).astype(np.int16)
    with av.open(str(path), mode="w", format=fmt) as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(tone.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def make_pdf(
    path: pathlib.Path,
    pages: Sequence[tuple[float, float, int]],
    *,
    user_password: str | None = None,
) -> pathlib.Path:
    """Blank pages of (width, height, /Rotate); a password encrypts with RC4 (no crypto deps)."""
    writer = PdfWriter()
    for width, height, rotate in pages:
        page = writer.add_blank_page(width=width, height=height)
        if rotate:
            page[NameObject("/Rotate")] = NumberObject(rotate)
    if user_password is not None:
        writer.encrypt(user_password, owner_password="owner", algorithm="RC4-128")
    with path.open("wb") as out:
        writer.write(out)
    return path


def make_text_pdf(
    path: pathlib.Path,
    pages: Sequence[Sequence[tuple[float, float, str]]],
    *,
    size: tuple[float, float] = (612, 792),
    rotate: int = 0,
) -> pathlib.Path:
    """Pages with real text: each ``(x, y, text)`` is drawn in 12 pt Helvetica with its baseline at
    PDF point (x, y) from the bottom-left, by a hand-written content stream (WinAnsi, so Latin-1
    letters such as é work). An empty page list entry is a page without text."""
    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )
    for lines in pages:
        page = writer.add_blank_page(width=size[0], height=size[1])
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        ops = "".join(f"BT /F1 12 Tf {x} {y} Td ({_pdf_string(t)}) Tj ET\n" for x, y, t in lines)
        stream = StreamObject()
        stream.set_data(ops.encode("cp1252"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        if rotate:
            page[NameObject("/Rotate")] = NumberObject(rotate)
    with path.open("wb") as out:
        writer.write(out)
    return path


def _pdf_string(text: str) -> str:
    """Text as a PDF literal string body: backslash and parentheses escaped."""
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_text(path: pathlib.Path, text: str, *, encoding: str = "utf-8", bom: bool = False) -> pathlib.Path:
    """``text`` in ``encoding``, bytes written verbatim (no newline translation)."""
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def make_conversation(path: pathlib.Path, messages: Iterable[tuple[str, str]]) -> pathlib.Path:
    """A Labelbox conversational JSON with one (messageId, content) per message."""
    document: dict[str, Any] = {
        "type": "application/vnd.labelbox.conversational",
        "version": 1,
        "messages": [
            {
                "messageId": message_id,
                "timestampUsec": 1_700_000_000_000_000 + index,
                "content": content,
                "user": {"userId": f"user-{index % 2}", "name": f"User {index % 2}"},
                "align": "left" if index % 2 else "right",
                "canLabel": True,
            }
            for index, (message_id, content) in enumerate(messages)
        ],
    }
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def make_pcd(path: pathlib.Path, points: np.ndarray[Any, Any], *, data: str) -> pathlib.Path:
    """A PCD v0.7 cloud of float32 (x, y, z, intensity) rows with DATA ``ascii`` or ``binary``."""
    rows = np.asarray(points, dtype="<f4").reshape(-1, 4)
    header = (
        "# .PCD v0.7 - Point Cloud Data file format\n"
        "VERSION 0.7\nFIELDS x y z intensity\nSIZE 4 4 4 4\nTYPE F F F F\nCOUNT 1 1 1 1\n"
        f"WIDTH {len(rows)}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {len(rows)}\nDATA {data}\n"
    )
    if data == "ascii":
        body = "".join(" ".join(f"{v:.6g}" for v in row) + "\n" for row in rows).encode()
    else:
        body = rows.tobytes()
    path.write_bytes(header.encode("ascii") + body)
    return path


def make_kitti_bin(path: pathlib.Path, points: np.ndarray[Any, Any]) -> pathlib.Path:
    """A KITTI velodyne scan: headerless float32 (x, y, z, intensity) records."""
    np.asarray(points, dtype="<f4").reshape(-1, 4).tofile(path)
    return path


def make_scene(folder: pathlib.Path, names: Iterable[str], size: tuple[int, int] = (32, 24)) -> pathlib.Path:
    """A folder holding one small image per name (format from each name's extension)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        make_image(folder / name, size)
    return folder
