"""Videos: the frame grid that per-frame labels are keyed on, read with PyAV (FFmpeg)."""

from __future__ import annotations

import pathlib
from typing import Any, BinaryIO

import av
from av.container import InputContainer

from ..errors import ProbeError


def probe_video(path: pathlib.Path) -> dict[str, Any]:
    """Return display size, frame rate, frame count, duration and codec of the first video stream.

    The first frame is decoded (and nothing more) for two reasons: it proves the stream is
    playable rather than merely well-formed, and it carries the container's display matrix, so
    phone videos stored landscape but shown portrait report the size the labeler actually sees —
    the same rule as EXIF orientation for images. FFmpeg errors of every kind mean the bytes are
    not a usable video, hence the broad catch.
    """
    with path.open("rb") as stream:
        try:
            return _probe(stream)
        except ProbeError:
            raise
        except Exception as exc:
            raise ProbeError(f"not a valid video: {_reason(exc)}") from None


def _probe(stream: BinaryIO) -> dict[str, Any]:
    with av.open(stream, mode="r") as container:
        if _is_still_image(container.format.name):
            raise ProbeError(f"not a valid video: a still image ({container.format.name})")
        if not container.streams.video:
            raise ProbeError("not a valid video: no video stream")
        video = container.streams.video[0]
        width, height = video.codec_context.width, video.codec_context.height
        codec = video.codec_context.name
        rate = video.average_rate or video.guessed_rate
        time_base = video.time_base
        stream_duration = video.duration
        container_duration = container.duration
        # Container headers (MP4) usually store the count; others (WebM, MKV) need a packet count.
        counted, first_frame_rotation = _scan(container, video, count=not video.frames)
        frame_count = video.frames or counted

    if first_frame_rotation is None:
        raise ProbeError("not a valid video: no decodable frame")
    if stream_duration is not None and time_base is not None:
        seconds = float(stream_duration * time_base)
    elif container_duration is not None:
        seconds = container_duration / av.time_base
    elif rate:
        seconds = frame_count / float(rate)
    else:
        seconds = 0.0
    if not rate and not seconds:
        raise ProbeError("not a valid video: neither a frame rate nor a duration")
    fps = float(rate) if rate else frame_count / seconds
    if not frame_count:
        frame_count = round(seconds * fps)

    rotation = first_frame_rotation % 360
    if rotation in (90, 270):
        width, height = height, width
    metadata: dict[str, Any] = {
        "width": width,
        "height": height,
        "fps": fps,
        "frame_count": frame_count,
        "duration_ms": round(seconds * 1000),
        "codec": codec,
    }
    if rotation:
        metadata["rotation"] = rotation
    return metadata


def _scan(container: InputContainer, video: av.VideoStream, *, count: bool) -> tuple[int, int | None]:
    """Decode the first frame and, when ``count`` is set, count the stream's packets.

    Counting demuxes without decoding, which is I/O bound; one packet is one frame for every
    codec a browser plays. Returns (packet count or 0, first frame's rotation or None).
    """
    packets = 0
    rotation: int | None = None
    for packet in container.demux(video):
        if packet.size:
            packets += 1
        if rotation is None:
            for frame in packet.decode():
                rotation = int(frame.rotation)
                break
        if rotation is not None and not count:
            break
    return packets, rotation


def _is_still_image(demuxer: str) -> bool:
    """FFmpeg happily opens a PNG or JPEG as a one-frame "video"; an asset declared as video
    that is really a photo is a mistake in the upload, not a clip to label."""
    return demuxer == "image2" or demuxer.endswith("_pipe")


def _reason(exc: Exception) -> str:
    """FFmpeg errors end with the file name PyAV was given; it is noise here."""
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).splitlines()[0]
