"""Video and audio in Labelbox NDJSON: keyframed objects, per-frame masks and answers over time.

Shapes read here (``../shared/research/labelbox.md`` section 2, and what SDK 7.17 writes)::

    object   {"name", "uuid"?, "segments": [{"keyframes": [{"frame", "bbox"|"point"|"line",
              "classifications"?}]}]}
    masks    {"uuid"?, "masks": {"frames": [{"index", "imBytes"|"instanceURI"}],
              "instances": [{"colorRGB", "name"}]}}
    answers  ``frames: [{"start", "end"}]`` on the line (the SDK's form, for every answer of it) or
             inside each answer object (the docs' form); a text over time is
             ``answer: [{"value", "frames"}]``

Canonical form (``model/records.py``): an object becomes one annotation per keyframe with
``frame``, ``track_id`` (the line's ``uuid``, or a uuid5 of the line's content when the SDK wrote
none) and ``extra["segment"]``; its keyframe ids are uuid5(track, frame), so an object imported
twice, or exported and imported again, has the same ids. A masks line becomes one mask annotation
per frame and instance whose colour is in that frame's composite, named uuid5(line, frame, colour),
with ``extra["mask_group"]`` (the line's id) and ``extra["color"]`` so the writer can rebuild the
line. Ranges are kept in the payload's units (video: 1-based frames, audio: milliseconds), both
ends inclusive, sorted by start. Frames and times are checked against the asset by validation
(``validate/video.py``, ``validate/audio.py``), which alone knows its length.
"""

from __future__ import annotations

import base64
import io
import json
import uuid as uuidlib
from collections import defaultdict
from typing import IO, Any

from labelport.formats import ndjson as nd  # the package's helpers, used at call time only
from labelport.formats.base import ExportRow, ExportSummary
from labelport.formats.common import cannot_carry, to_json
from labelport.model.records import Annotation, Answer, Choice

KEYS = ("segments", "masks", "frames")
OBJECT_SHAPES = ("bbox", "point", "line")  # what a video keyframe may be (no polygons on video)
_NS = uuidlib.UUID("3c8f0b52-5d35-4c69-9a7e-0f1b8a4c2e61")


def claims(doc: dict[str, Any]) -> bool:
    """Whether a line is a video object or a video masks line, which this module reads whole."""
    return "segments" in doc or "masks" in doc


def read_line(doc: dict[str, Any]) -> list[Annotation]:
    """The canonical annotations of a line :func:`claims`."""
    return _masks(doc) if "masks" in doc else _object(doc)


def derived_id(*parts: Any) -> str:
    """A stable id from content: the same payload gets the same ids on every import."""
    # the stdlib writer: a line read by the NaN-tolerant fallback may hold NaN or a 100-digit integer
    return str(uuidlib.uuid5(_NS, json.dumps(parts, sort_keys=True, separators=(",", ":"))))


def keyframe_uid(track: str, frame: int) -> str:
    return derived_id("keyframe", track, frame)


def mask_uid(group: str, frame: int, color: list[int]) -> str:
    return derived_id("mask", group, frame, color)


# --- objects ------------------------------------------------------------------------------------


def _only(doc: dict[str, Any], key: str) -> None:
    """A line is one thing: segments or masks, not also an image shape or an answer."""
    others = [k for k in (*nd.SHAPES, "answer", "answers", *KEYS) if k in doc and k != key]
    if others:
        raise nd._Bad("unsupported_annotation", f"a `{key}` line carries nothing else; found {others}", "/")


def _list(v: Any, what: str, pointer: str) -> list[Any]:
    if not isinstance(v, list):
        raise nd._Bad("wrong_type", f"`{what}` must be a list", pointer, v)
    if not v:
        raise nd._Bad("missing_field", f"`{what}` is empty", pointer)
    return v


def _object(doc: dict[str, Any]) -> list[Annotation]:
    _only(doc, "segments")
    name, schema_id = nd._name(doc, "")
    if nd._classifications(doc.get("classifications"), "/classifications"):
        raise nd._Bad(
            "unsupported_annotation",
            "a video object's classifications belong to its keyframes "
            "(`segments/*/keyframes/*/classifications`)",
            "/classifications",
        )
    uid = doc.get("uuid")
    track = uid if isinstance(uid, str) else derived_id("object", doc)
    out: list[Annotation] = []
    last: int | None = None
    for i, segment in enumerate(_list(doc["segments"], "segments", "/segments")):
        sp = f"/segments/{i}"
        if not isinstance(segment, dict):
            raise nd._Bad("wrong_type", "a segment is an object with `keyframes`", sp, segment)
        for j, kf in enumerate(_list(segment.get("keyframes"), "keyframes", f"{sp}/keyframes")):
            kp = f"{sp}/keyframes/{j}"
            if not isinstance(kf, dict):
                raise nd._Bad("wrong_type", "a keyframe is an object with `frame` and a shape", kp, kf)
            if "frame" not in kf:
                raise nd._Bad("missing_field", "a keyframe needs `frame`", kp)
            frame = nd._int(kf["frame"], f"{kp}/frame")
            if last is not None and frame <= last:
                why = "twice" if frame == last else f"after frame {last}"
                raise nd._Bad(
                    "segments_overlap",
                    f"keyframe {frame} comes {why}: an object's segments and their keyframes go in frame "
                    "order, each frame once",
                    f"{kp}/frame",
                    frame,
                )
            last = frame
            shapes = [k for k in nd.SHAPES if k in kf]
            if len(shapes) != 1 or shapes[0] not in OBJECT_SHAPES:
                raise nd._Bad(
                    "unsupported_annotation",
                    f"a keyframe carries one of bbox, point, line; found {shapes or 'none'}",
                    kp,
                )
            geometry, kind = nd._geometry(shapes[0], kf[shapes[0]], f"{kp}/{shapes[0]}")
            out.append(
                Annotation(
                    kind=kind,
                    uid=keyframe_uid(track, frame),
                    name=name,
                    schema_id=schema_id,
                    geometry=geometry,
                    classifications=nd._classifications(kf.get("classifications"), f"{kp}/classifications"),
                    frame=frame,
                    track_id=track,
                    extra={"segment": i},
                    pointer=kp,
                )
            )
    return out


# --- masks --------------------------------------------------------------------------------------


def _masks(doc: dict[str, Any]) -> list[Annotation]:
    _only(doc, "masks")
    m = doc["masks"]
    if not isinstance(m, dict):
        raise nd._Bad("wrong_type", "`masks` is an object with `frames` and `instances`", "/masks", m)
    uid = doc.get("uuid")
    group = uid if isinstance(uid, str) else derived_id("masks", doc)
    instances: list[tuple[tuple[int, int, int], str | None, str | None]] = []
    colors: set[tuple[int, int, int]] = set()
    for i, inst in enumerate(_list(m.get("instances"), "instances", "/masks/instances")):
        ip = f"/masks/instances/{i}"
        if not isinstance(inst, dict):
            raise nd._Bad("wrong_type", "an instance is an object with `colorRGB` and `name`", ip, inst)
        color = nd._color(inst.get("colorRGB"), f"{ip}/colorRGB")
        if color in colors:
            raise nd._Bad(
                "invalid_value", f"colour {list(color)} names two instances", f"{ip}/colorRGB", list(color)
            )
        colors.add(color)
        name, schema_id = nd._name(inst, ip)
        instances.append((color, name, schema_id))
    out: list[Annotation] = []
    seen_frames: set[int] = set()
    found: set[tuple[int, int, int]] = set()
    all_inline = True
    for k, fr in enumerate(_list(m.get("frames"), "frames", "/masks/frames")):
        fp = f"/masks/frames/{k}"
        if not isinstance(fr, dict) or "index" not in fr:
            raise nd._Bad("missing_field", "a mask frame is an object with `index`", fp, fr)
        index = nd._int(fr["index"], f"{fp}/index")
        if index in seen_frames:
            raise nd._Bad("invalid_value", f"frame {index} has two composites", f"{fp}/index", index)
        seen_frames.add(index)
        cut = _composite(fr, fp)
        all_inline = all_inline and cut is not None
        for color, name, schema_id in instances:
            if cut is None:
                # fetched by the job; an instance may be absent from one frame's composite
                geometry: Any = {"uri": fr["instanceURI"], "color": list(color), "optional": True}
            elif color in cut[1]:
                geometry = _mask_of(cut[0], color, fp)
            else:
                continue  # not every instance shows in every frame
            found.add(color)
            out.append(
                Annotation(
                    kind="mask",
                    uid=mask_uid(group, index, list(color)),
                    name=name,
                    schema_id=schema_id,
                    geometry=geometry,
                    frame=index,
                    extra={"mask_group": group, "color": list(color)},
                    pointer=fp,
                )
            )
    for i, (color, name, _) in enumerate(instances):
        if all_inline and color not in found:
            raise nd._Bad(
                "mask_color_not_found",
                f"the colour {list(color)} of instance `{name}` appears in no frame's composite",
                f"/masks/instances/{i}/colorRGB",
                list(color),
            )
    return out


def _composite(fr: dict[str, Any], fp: str) -> tuple[bytes, set[tuple[int, int, int]]] | None:
    """An inline composite's PNG bytes and colours; None for a URL, which the job fetches and cuts
    (checking each colour there)."""
    if "imBytes" in fr:
        from labelport.formats import masks  # where a mask is met: see its docstring

        data = nd._b64(fr["imBytes"], f"{fp}/imBytes")
        try:
            return data, masks.colors_in_png(data)
        except masks.MaskError as exc:
            raise nd._Bad("mask_invalid", f"mask cannot be decoded: {exc}", f"{fp}/imBytes") from None
    if "instanceURI" in fr:
        if not isinstance(fr["instanceURI"], str):
            raise nd._Bad(
                "wrong_type", "`instanceURI` must be a string", f"{fp}/instanceURI", fr["instanceURI"]
            )
        return None
    raise nd._Bad("missing_field", "a mask frame needs `imBytes` or `instanceURI`", fp, sorted(fr))


def _mask_of(data: bytes, color: tuple[int, int, int], fp: str) -> dict[str, Any]:
    from labelport.formats import masks  # where a mask is met: see its docstring

    try:
        return masks.encode(masks.from_png(data, color))
    except masks.MaskError as exc:
        raise nd._Bad("mask_invalid", f"mask cannot be decoded: {exc}", f"{fp}/imBytes") from None


# --- answers over time --------------------------------------------------------------------------


def frames(v: dict[str, Any], pointer: str) -> list[tuple[int, int]] | None:
    """An answer's ``frames`` as (start, end) pairs sorted by start; None when it has none."""
    given = v.get("frames")
    if given is None:
        return None
    fp = f"{pointer}/frames"
    out = []
    for i, r in enumerate(_list(given, "frames", fp)):
        if not isinstance(r, dict) or "start" not in r or "end" not in r:
            raise nd._Bad("missing_field", "a range is an object with `start` and `end`", f"{fp}/{i}", r)
        out.append((nd._int(r["start"], f"{fp}/{i}/start"), nd._int(r["end"], f"{fp}/{i}/end")))
    return sorted(out)


def spread(doc: dict[str, Any], answer: Answer) -> None:
    """The SDK writes a video answer's ranges once, on the line: each chosen option holds over them."""
    ranges = frames(doc, "")
    if ranges is None:
        return
    v = answer.value
    if isinstance(v, str):
        answer.value = [Choice(text=v, frames=ranges, pointer=answer.pointer)]
        return
    for c in v if isinstance(v, list) else [v] if v is not None else []:
        if c.frames is not None:
            raise nd._Bad(
                "invalid_value",
                "`frames` is given on the line and in an answer; give it in one place",
                f"{c.pointer}/frames",
            )
        c.frames = ranges


def is_text_item(v: dict[str, Any]) -> bool:
    """An answer item that is a text over time (``{"value", "frames"}``), not an option by name."""
    return "value" in v and "name" not in v and "schemaId" not in v


def text_choice(v: dict[str, Any], pointer: str) -> Choice:
    """One item of a text answered over time: ``{"value", "frames"}``."""
    text = v["value"]
    if not isinstance(text, str):
        raise nd._Bad("wrong_type", "a text answer's `value` is a string", f"{pointer}/value", text)
    ranges = frames(v, pointer)
    if ranges is None:
        raise nd._Bad("missing_field", "a text answered over time needs `frames`", pointer)
    nested = nd._classifications(v.get("classifications"), f"{pointer}/classifications")
    return Choice(text=text, frames=ranges, classifications=nested, pointer=pointer)


def frames_out(ranges: list[tuple[int, int]]) -> list[dict[str, int]]:
    return [{"start": s, "end": e} for s, e in ranges]


def text_choice_out(c: Choice) -> dict[str, Any]:
    d: dict[str, Any] = {"value": c.text, "frames": frames_out(c.frames or [])}
    if c.classifications:
        d["classifications"] = [nd._answer_out(x) for x in c.classifications]
    return d


# --- writing video ------------------------------------------------------------------------------


def write_video(
    row: ExportRow, ref: dict[str, str], fh: IO[bytes], summary: ExportSummary
) -> list[Annotation]:
    """Write a video row's objects (one line per track, its keyframes in segments) and masks (one
    line per mask group, one composite per frame); return the annotations left for plain lines."""
    tracks: dict[str, list[Annotation]] = defaultdict(list)
    groups: dict[str, list[Annotation]] = defaultdict(list)
    rest: list[Annotation] = []
    for ann in row.annotations:
        if ann.frame is not None and ann.kind in OBJECT_SHAPES:
            tracks[ann.track_id or ann.uid or ""].append(ann)
        elif ann.frame is not None and ann.kind == "mask":
            groups[(ann.extra or {}).get("mask_group") or ann.uid or ""].append(ann)
        else:
            rest.append(ann)
    for track, anns in tracks.items():
        line = _object_line(track, anns, ref, row, summary)
        if line is not None:
            fh.write(to_json(line) + b"\n")
    for group, anns in groups.items():
        fh.write(to_json(_masks_line(group, anns, ref, row, summary)) + b"\n")
    plain = []
    for ann in rest:
        line = nd.annotation_to_line(ann, ref) if ann.answer is not None else None
        if line is None:
            plain.append(ann)
            continue
        fh.write(to_json(_sdk_form(line, radio=ann.kind == "radio")) + b"\n")
        summary.annotations += 1
    return plain


def _sdk_form(line: dict[str, Any], *, radio: bool) -> dict[str, Any]:
    """Options that all hold over the same ranges are written as the SDK writes them: the ranges
    once, on the line, and a radio's one option as an object (both forms read the same)."""
    answer = line.get("answer")
    if not isinstance(answer, list) or not answer or any("value" in c or "frames" not in c for c in answer):
        return line
    ranges = answer[0]["frames"]
    if any(c["frames"] != ranges for c in answer):
        return line
    options = [{k: v for k, v in c.items() if k != "frames"} for c in answer]
    return {**line, "frames": ranges, "answer": options[0] if radio else options}


def _object_line(
    track: str, anns: list[Annotation], ref: dict[str, str], row: ExportRow, summary: ExportSummary
) -> dict[str, Any] | None:
    anns = sorted(anns, key=lambda a: (_segment(a), a.frame or 0))
    first = anns[0]
    segments: list[dict[str, Any]] = []
    at: tuple[int, int] | None = None  # (segment, frame) of the keyframe before
    for ann in anns:
        line = nd.annotation_to_line(ann, ref)
        if line is None:
            summary.not_expressible.append(cannot_carry("NDJSON", f"a {ann.kind} keyframe", row, ann))
            continue
        if ann.uid != keyframe_uid(track, ann.frame or 0):
            summary.not_expressible.append(cannot_carry("NDJSON", "the keyframe's own id", row, ann))
        if ann.name != first.name:
            summary.not_expressible.append(cannot_carry("NDJSON", "a class change within a track", row, ann))
            continue
        seg, frame = _segment(ann), ann.frame or 0
        if at is None or seg != at[0] or (seg == -1 and frame != at[1] + 1):
            segments.append({"keyframes": []})
        at = (seg, frame)
        shape = next(k for k in OBJECT_SHAPES if k in line)
        kf = {"frame": ann.frame, shape: line[shape], "classifications": line["classifications"]}
        segments[-1]["keyframes"].append(kf)
        summary.annotations += 1
    if not segments:
        return None
    out: dict[str, Any] = {"uuid": track, "dataRow": ref}
    out.update({"name": first.name} if first.name is not None else {"schemaId": first.schema_id})
    return {**out, "classifications": [], "segments": segments}


def _segment(ann: Annotation) -> int:
    """The keyframe's segment; keyframes from elsewhere (no index) split where frames stop running."""
    seg = (ann.extra or {}).get("segment")
    return seg if isinstance(seg, int) else -1


def _masks_line(
    group: str, anns: list[Annotation], ref: dict[str, str], row: ExportRow, summary: ExportSummary
) -> dict[str, Any]:
    import numpy as np  # with formats.masks, where a mask is met: see its docstring
    from PIL import Image

    from labelport.formats import masks

    instances: dict[tuple[int, ...], tuple[str | None, str | None]] = {}
    by_frame: dict[int, list[tuple[Annotation, tuple[int, ...]]]] = defaultdict(list)
    for ann in anns:
        color = tuple((ann.extra or {}).get("color") or (255, 255, 255))
        if ann.uid != mask_uid(group, ann.frame or 0, list(color)):
            summary.not_expressible.append(cannot_carry("NDJSON", "the mask's own id", row, ann))
        if instances.setdefault(color, (ann.name, ann.schema_id)) != (ann.name, ann.schema_id):
            summary.not_expressible.append(cannot_carry("NDJSON", "a second class for one colour", row, ann))
            continue
        by_frame[ann.frame or 0].append((ann, color))
    frames_out_: list[dict[str, Any]] = []
    for index in sorted(by_frame):
        composite: np.ndarray[Any, np.dtype[np.uint8]] | None = None
        for ann, color in by_frame[index]:
            m = masks.decode(ann.geometry)
            if composite is None:
                composite = np.zeros((*m.shape, 3), np.uint8)
            if composite[m].any():
                summary.not_expressible.append(cannot_carry("NDJSON", "pixels under another mask", row, ann))
            composite[m] = color
            summary.annotations += 1
        assert composite is not None
        buf = io.BytesIO()
        Image.fromarray(composite, mode="RGB").save(buf, format="PNG")
        frames_out_.append({"index": index, "imBytes": base64.b64encode(buf.getvalue()).decode()})
    inst = [
        {("name" if name is not None else "schemaId"): name if name is not None else sid, "colorRGB": list(c)}
        for c, (name, sid) in instances.items()
    ]
    return {"uuid": group, "dataRow": ref, "masks": {"frames": frames_out_, "instances": inst}}
