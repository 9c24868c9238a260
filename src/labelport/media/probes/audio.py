"""Audio: duration and sampling, so time-range labels can be checked against the clip."""

from __future__ import annotations

import pathlib
from typing import Any, BinaryIO

import av
import mutagen

from ..errors import ProbeError


def probe_audio(path: pathlib.Path) -> dict[str, Any]:
    """Read the stream info with mutagen, falling back to PyAV.

    mutagen only parses headers, so it is fast and exact for the common containers; PyAV covers
    what it does not recognise (or recognises without a sample rate, e.g. some raw AAC). When both
    fail, PyAV's reason is reported: mutagen also guesses from the extension, so its complaint
    about a misnamed file is often about the wrong format.
    """
    with path.open("rb") as stream:
        try:
            found = _from_mutagen(stream)
        except Exception:  # mutagen raises a different error class per format
            found = None
        if found is not None:
            return found
        stream.seek(0)
        try:
            return _from_pyav(stream)
        except Exception as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise ProbeError(f"not a valid audio file: {reason.splitlines()[0]}") from None


def _from_mutagen(stream: BinaryIO) -> dict[str, Any] | None:
    audio = mutagen.File(stream)
    info = getattr(audio, "info", None)
    sample_rate = getattr(info, "sample_rate", 0)
    channels = getattr(info, "channels", 0)
    length = getattr(info, "length", 0)
    if not (sample_rate and channels and length):
        return None
    return {
        "duration_ms": round(float(length) * 1000),
        "sample_rate": int(sample_rate),
        "channels": int(channels),
    }


def _from_pyav(stream: BinaryIO) -> dict[str, Any]:
    with av.open(stream, mode="r") as container:
        if not container.streams.audio:
            raise ValueError("no audio stream")
        audio = container.streams.audio[0]
        context = audio.codec_context
        if audio.duration is not None and audio.time_base is not None:
            seconds = float(audio.duration * audio.time_base)
        elif container.duration is not None:
            seconds = container.duration / av.time_base
        else:
            raise ValueError("unknown duration")
        if not context.sample_rate or not context.channels:
            raise ValueError("unknown sample rate or channel count")
        return {
            "duration_ms": round(seconds * 1000),
            "sample_rate": int(context.sample_rate),
            "channels": int(context.channels),
        }
