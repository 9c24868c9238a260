"""Issues: the "this piece of the payload is wrong" channel.

An import never stops at the first problem. Every problem becomes an :class:`Issue` with a stable
``code`` from :data:`CODES`, a severity, a location precise enough to find the culprit (payload
file, line, JSON pointer, annotation id, data row) and, where one exists, a hint. The catalogue is
the single source for the codes: the docs page and the CLI's report read it, and a test checks
that every code used anywhere is listed here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec


class Severity(StrEnum):
    ERROR = "error"  # the job cannot commit while this stands
    WARNING = "warning"  # committed anyway; a person should look
    INFO = "info"  # what happened, e.g. a row skipped by policy


class Location(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    """Where in the payload an issue is. Every field is optional; readers fill what they know."""

    file: str | None = None
    line: int | None = None  # 1-based line of the payload file
    pointer: str | None = None  # RFC 6901 JSON pointer inside that line or file
    annotation_id: str | None = None
    data_row: str | None = None  # global key or id as the payload gave it

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line else ""))
        elif self.line:
            parts.append(f"line {self.line}")
        if self.pointer:
            parts.append(self.pointer)
        if self.annotation_id:
            parts.append(f"annotation {self.annotation_id}")
        if self.data_row:
            parts.append(f"row {self.data_row}")
        return " ".join(parts) or "-"


class Issue(msgspec.Struct):
    code: str
    message: str
    severity: Severity = Severity.ERROR
    location: Location = msgspec.field(default_factory=Location)
    value: Any = None
    hint: str | None = None


class CodeInfo(msgspec.Struct, frozen=True):
    severity: Severity
    summary: str
    example: str
    fix: str


def _c(severity: Severity, summary: str, example: str, fix: str) -> CodeInfo:
    return CodeInfo(severity, summary, example, fix)


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

CODES: dict[str, CodeInfo] = {
    # --- structure of the payload -------------------------------------------------------------
    "invalid_json": _c(
        E,
        "A line or file is not valid JSON.",
        'line 12: `{"name": "car", "bbox": {`',
        "Fix the JSON syntax at the line given.",
    ),
    "missing_field": _c(
        E,
        "A field the format requires is absent.",
        "line 3: no `dataRow`",
        "Add the field; the message names it.",
    ),
    "wrong_type": _c(
        E,
        "A field has the wrong JSON type.",
        '`"points": "1,2"` where a list of numbers is expected',
        "Give the type the message names.",
    ),
    "unknown_field": _c(
        W,
        "A field the format does not define; it is ignored.",
        '`"colour": "red"` on an annotation',
        "Remove it, or check its spelling.",
    ),
    "unsupported_annotation": _c(
        E,
        "The annotation's shape is not one this format or media type carries.",
        "an NDJSON line with none of bbox/polygon/line/point/mask/answer",
        "Use one of the shapes in the format's documentation page.",
    ),
    "invalid_xml": _c(
        E,
        "An XML file cannot be parsed, or uses a forbidden construct (entities, DTDs).",
        "`<annotation><object>` never closed",
        "Fix the XML at the line given; external entities are refused on purpose.",
    ),
    "invalid_value": _c(
        E,
        "A field has the right type but a value the format does not allow.",
        "a YOLO line with 6 numbers for a detect dataset",
        "Give a value the format's documentation page allows.",
    ),
    "unknown_category": _c(
        E,
        "A numeric class id is not among the names the payload itself declares.",
        "COCO `category_id: 91` with no such entry in `categories`",
        "Declare the category in the file (COCO `categories`, YOLO `names`).",
    ),
    "unknown_image": _c(
        E,
        "An annotation refers to an image the payload does not declare.",
        "COCO `image_id: 7` with no such entry in `images`",
        "Add the image to the payload's image list.",
    ),
    "unreadable_payload": _c(
        E,
        "A payload file cannot be opened or decoded.",
        "a .json file that is not UTF-8",
        "Check the path and encoding.",
    ),
    "path_mismatch": _c(
        W,
        "An AIMMO GT file is not where its `parent_path`/`filename` say; the fields decide.",
        "`day/a.json` declaring `parent_path: /night`",
        "Move the file to mirror the resource tree.",
    ),
    # --- data rows and tasks ------------------------------------------------------------------
    "data_row_not_found": _c(
        E,
        "No data row has the id or global key the payload names.",
        '`{"globalKey": "img-9"}` with no such row',
        "Add the row first, or fix the key.",
    ),
    "data_row_not_in_project": _c(
        E,
        "The data row exists but was never sent to this project.",
        "row `img-3` is in the catalog but in no batch of the project",
        "Send it with `labelport batch create`.",
    ),
    "ambiguous_data_row": _c(
        E,
        "The reference matches more than one data row, or names two.",
        "`file_name: a.jpg` matches `/x/a.jpg` and `/y/a.jpg`",
        "Use the full relative path or the global key.",
    ),
    "file_id_mismatch": _c(
        E,
        "An AIMMO `file_id` does not match the data row found by its path.",
        '`"file_id": "62…"` for a row whose id is `c1…`',
        "Drop `file_id` or give the row's id or external id.",
    ),
    "task_already_started": _c(
        E,
        "The row's task has left `not_started` and the policy is `fail`.",
        "task of `img-1` is `in_review`",
        "Use `--on-existing skip` or `replace`, or reset the task.",
    ),
    "existing_labels": _c(
        E,
        "The row already has labels of this kind and the policy is `fail`.",
        "`img-1` has a ground-truth label from job 4",
        "Use `--on-existing skip` or `replace`, or undo the earlier job.",
    ),
    "skipped_existing": _c(
        INFO,
        "A row was left alone because of `--on-existing skip`.",
        "`img-1` already labelled",
        "Nothing to fix; use `replace` to overwrite.",
    ),
    "wrong_media_type": _c(
        E,
        "The annotation does not fit the row's or project's media type.",
        "a `location` entity on an image row",
        "Import it into a project of the right media type.",
    ),
    # --- ontology ------------------------------------------------------------------------------
    "unknown_class": _c(
        E,
        "The class name or schema id is not in the project's ontology.",
        "`Car` where the ontology has `car`",
        "Rename it in the payload or map it with `--class-map`.",
    ),
    "tool_type_mismatch": _c(
        E,
        "The class exists but is a different tool than the geometry given.",
        "a `polygon` for the `rectangle` tool `car`",
        "Use the class's tool, or another class.",
    ),
    "unknown_attribute": _c(
        E,
        "A classification or attribute name is not defined where it is used.",
        "`colour` under `car`, which defines `color`",
        "Use a name the ontology defines there.",
    ),
    "attribute_value_not_allowed": _c(
        E,
        "An answer is not among the options the ontology allows.",
        "`weather: Snow` where sunny/cloudy/rainy are allowed",
        "Use one of the allowed values; the message lists them.",
    ),
    "answer_type_mismatch": _c(
        E,
        "The answer's shape does not fit the classification's type.",
        "a list for the radio `weather`",
        "Radio takes one answer, checklist a list, text a string.",
    ),
    "missing_required_classification": _c(
        E,
        "A classification the ontology marks required is absent.",
        "`car` without its required `occluded`",
        "Add the answer.",
    ),
    "duplicate_answer": _c(
        E,
        "A checklist names the same option twice, or a classification is answered twice.",
        "`[{name: a}, {name: a}]`",
        "Give each option once.",
    ),
    # --- geometry ------------------------------------------------------------------------------
    "image_size_mismatch": _c(
        E,
        "The payload says the image has another size than the data row's real one.",
        "COCO says 640x480, the file is 1280x960 (a resized copy was labelled)",
        "Label the same file, or rescale the payload before importing.",
    ),
    "attribute_not_in_ontology": _c(
        W,
        "A foreign format's attribute has no classification of that name on the tool; its values are kept beside the annotation and exported again.",
        "VOC `truncated` on `car`, whose tool defines no `truncated`",
        "Add the classification to the tool to validate it, or ignore the warning.",
    ),
    "out_of_bounds": _c(
        E,
        "A coordinate lies outside the asset.",
        "`x = 2000` on a 1920-wide image",
        "Clip or fix the coordinate at its source.",
    ),
    "rounded_onto_edge": _c(
        W,
        "A shape given in relative units lay outside the image by no more than the rounding of those "
        "units (a millionth of the side); it was moved onto the edge.",
        "a YOLO box `0 1.000000 0.5 0.005208 0.1` drawn against the right edge",
        "Nothing to do; write more decimals to avoid it.",
    ),
    "degenerate_geometry": _c(
        E, "A shape has no extent.", "a box of width 0; a polygon with 2 points", "Drop or fix the shape."
    ),
    "non_finite_coordinate": _c(
        E, "A coordinate is NaN, infinite or not a number.", '`"x": "NaN"`', "Give a finite number."
    ),
    "missing_dimensions": _c(
        E,
        "The row has no probed size, so bounds cannot be checked.",
        "a remote row added without width/height",
        "Re-add the row with its metadata, or let it be probed.",
    ),
    "mask_invalid": _c(
        E,
        "A mask cannot be decoded or does not fit the asset.",
        "a PNG of 640x480 on a 1920x1080 image",
        "Give a mask of the asset's size.",
    ),
    "mask_color_not_found": _c(
        E,
        "The `colorRGB` of a composite mask appears nowhere in it.",
        "`[255, 0, 0]` in a PNG with no red pixel",
        "Use a colour that the PNG contains.",
    ),
    # --- identities ----------------------------------------------------------------------------
    "bad_annotation_id": _c(
        E,
        "An annotation id is not of the form the format defines.",
        "AIMMO `abc` instead of `26-<uuid>`",
        "Use the format's id form.",
    ),
    "duplicate_annotation_id": _c(
        E,
        "Two annotations of the payload share an id.",
        "uuid `…0001` on lines 3 and 9",
        "Give each annotation its own id.",
    ),
    "skeleton_mismatch": _c(
        E,
        "A keypoints annotation's points are not the points of the ontology's skeleton.",
        "COCO category keypoints nose, eye where the skeleton `person` has nose, left_eye, right_eye",
        "Give every point of the skeleton, named as in the ontology (the order may differ).",
    ),
    "segmentation_kept": _c(
        W,
        "A class drawn with a rectangle tool got objects with a box and a segmentation (COCO); the box is imported, the segmentation kept beside it and exported again.",
        "COCO val2017 `car` objects with polygons, imported into a project whose `car` is a rectangle",
        "Make the class a polygon tool to import the outlines as shapes; otherwise nothing to do.",
    ),
    "identical_annotations": _c(
        W,
        "A payload without annotation ids has the same shape of the same class twice on one row; both are imported.",
        "two COCO annotations with the same category and bbox on one image",
        "Remove the copy from the source if it is a mistake.",
    ),
    "duplicate_track_id": _c(
        E,
        "Two objects of one frame share a `track_id`.",
        "`track_id 7` twice in frame 12",
        "Give each object of a frame its own track.",
    ),
    "track_class_changed": _c(
        E,
        "A track changes its class between frames.",
        "track 7 is `car` in frame 1 and `bus` in frame 2",
        "Keep one class per track.",
    ),
    "relationship_endpoint_missing": _c(
        E,
        "A relationship names a source or target not in the payload.",
        "target uuid `…0011` appears nowhere",
        "Import both endpoints in the same job.",
    ),
    # --- time: video frames and audio milliseconds ---------------------------------------------
    "frame_out_of_range": _c(
        E,
        "A video frame, or a range of frames, lies outside the video (frames are 1-based: 1 to its frame count).",
        "keyframe `frame: 0`, or `frames: [{start: 40, end: 60}]` on a 48-frame video",
        "Number frames from 1, as the probed video has them (`labelport --json rows list` shows frame_count).",
    ),
    "range_out_of_bounds": _c(
        E,
        "A time range lies outside the audio clip (milliseconds from 0 to its duration).",
        "`frames: [{start: 1000, end: 2500}]` on a 1.5 s clip",
        "Give milliseconds within the clip's probed duration_ms (`labelport --json rows list` shows it).",
    ),
    "range_reversed": _c(
        E,
        "A range ends before it starts.",
        "`frames: [{start: 8, end: 3}]`",
        "Swap start and end, or fix the one that is wrong.",
    ),
    "segments_overlap": _c(
        E,
        "Ranges that must not overlap do: an object's segments and keyframes (in frame order, each frame once), the ranges of one answer, or a radio's answers over time.",
        "a segment with keyframes 5 and 9 followed by one starting at frame 7",
        "Order the keyframes, merge the overlapping ranges, or give each time one radio answer.",
    ),
    "child_outside_parent": _c(
        E,
        "A nested answer's range is not inside the ranges of the answer it is nested under.",
        "`mood` over 1200-1800 ms under `speaker=alice` over 0-1500 ms",
        "Keep a nested answer within its parent's ranges (the Labelbox SDK drops the rest).",
    ),
    # --- documents: text spans, conversation messages, PDF pages and tokens -------------------
    "span_out_of_range": _c(
        E,
        "A text span lies outside its text, or outside its conversation message (offsets count characters, not bytes, from 0).",
        "`location: {start: 10, end: 42}` on a text of 40 characters",
        "Count characters (code points) from 0; NDJSON's `end` is the last character, not one past it.",
    ),
    "message_not_found": _c(
        E,
        "An annotation names a `messageId` the conversation does not have, or a conversation entity names none.",
        "`messageId: msg-9` on a conversation with msg-1 to msg-4",
        "Use the ids of the conversation's `messages` (`labelport --json rows list` shows them).",
    ),
    "page_out_of_range": _c(
        E,
        "A PDF page number is not a page of the document (pages are 1-based: 1 to its page count).",
        "`page: 0`, or `page: 5` on a 3-page document",
        "Number pages from 1, as the document has them (`labelport rows list` shows page_count).",
    ),
    "token_not_found": _c(
        E,
        "A PDF text selection names a token or group that is not on that page of the document's text layer, or the document has no text layer.",
        '`tokenIds: ["3-1-2"]` with `page: 1`',
        "Take token and group ids from the row's text layer, on the page they are on (`labelport --json rows list` shows each row's `text_layer`).",
    ),
    # --- scenes: image sequences and point clouds ----------------------------------------------
    "frame_not_found": _c(
        E,
        "A frame the payload names is not a frame of the scene (a file not in the scene's folder as ingested, or a frame number past its last frame).",
        "AIMMO `filename: 0042.jpg` for a scene whose frames are 0001.jpg to 0040.jpg",
        "Name a frame file the scene has (`labelport rows list` shows its frames), or re-add the scene.",
    ),
    "frame_number_mismatch": _c(
        W,
        "A frame file's `frame_number` is not the position of its `filename` in the scene; the file name decides the frame.",
        "`filename: 0003.jpg` (the 3rd frame) with `frame_number: 2`",
        "Number frames from 1 in the scene's order, or leave `frame_number` out.",
    ),
    "scene_id_mismatch": _c(
        E,
        "A frame file's `scene_id` names another scene than its `parent_path`.",
        "`parent_path: /0000/scene_a` with the scene_id of scene_b",
        "Give the id, external id or global key of the scene the folder names, or leave `scene_id` out.",
    ),
    # --- options -------------------------------------------------------------------------------
    "class_map_invalid": _c(
        E,
        "The class map file cannot be used.",
        '`{"Car": 3}`',
        "Give a JSON object of source name to ontology name.",
    ),
    "format_detected": _c(
        INFO,
        "Which format `--format auto` chose for the payload, and why.",
        "coco: a JSON object with `images`, `annotations` and `categories`",
        "Nothing to fix; pass `--format` to choose another.",
    ),
    "format_not_detected": _c(
        E,
        "No format, or more than one, matched the payload.",
        "a folder of .txt files without `data.yaml`",
        "Pass `--format` explicitly.",
    ),
}

del E, W, INFO


def info(code: str) -> CodeInfo:
    return CODES[code]
