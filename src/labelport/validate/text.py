"""Where a label sits in a text, an HTML page or a conversation: character spans and messages.

Spans are ``[start, end)`` in characters (code points, as the probe counts them: a BOM is not a
character, an ``é`` is one however many bytes it takes). Payloads that write an inclusive end
(NDJSON) were turned into this form by their reader, so messages quote the payload's own numbers:
``end`` as the last character.

HTML projects take classifications only; the engine refuses tools there before any rule runs
(``wrong_media_type``). A conversation entity names its message (``messageId``) and stays inside
it; a classification may name a message too (answered for that message), or none (the whole
conversation).
"""

from __future__ import annotations

from typing import Any

from labelport.model.records import Annotation
from labelport.validate.geometry import Problem


def check_text(ann: Annotation, meta: dict[str, Any]) -> list[Problem]:
    problems = foreign_placement(ann, "text")
    if ann.kind == "entity":
        problems += _span(ann, meta.get("length"), "the text")
    return problems


def check_html(ann: Annotation, meta: dict[str, Any]) -> list[Problem]:
    return foreign_placement(ann, "html")


def check_conversation(ann: Annotation, meta: dict[str, Any]) -> list[Problem]:
    problems = foreign_placement(ann, "conversation")
    if ann.kind != "entity" and ann.message_id is None:
        return problems  # a global classification
    if ann.kind == "entity" and ann.message_id is None:
        return [*problems, ("message_not_found", "a conversation entity needs `messageId`", None)]
    lengths = {m.get("id"): m.get("length") for m in meta.get("messages") or [] if isinstance(m, dict)}
    if ann.message_id not in lengths:
        known = ", ".join(str(m) for m in list(lengths)[:10]) + (", …" if len(lengths) > 10 else "")
        return [
            *problems,
            (
                "message_not_found",
                f"the conversation has no message {ann.message_id!r} (it has {known or 'none'})",
                ann.message_id,
            ),
        ]
    if ann.kind == "entity":
        problems += _span(ann, lengths[ann.message_id], f"message {ann.message_id!r}")
    return problems


def foreign_placement(ann: Annotation, media: str) -> list[Problem]:
    """A ``messageId`` outside a conversation, or a ``page`` outside a document, would be stored and
    mean nothing; a text selection by token ids belongs to a PDF's text layer."""
    problems: list[Problem] = []
    if ann.message_id is not None and media != "conversation":
        problems.append(
            (
                "wrong_media_type",
                f"`messageId` places a label in a conversation message; this is a {media} project",
                ann.message_id,
            )
        )
    if ann.page is not None and media != "pdf":
        problems.append(
            ("wrong_media_type", f"`page` places a label on a PDF page; this is a {media} project", ann.page)
        )
    if ann.kind == "entity" and isinstance(ann.geometry, dict) and media != "pdf":
        problems.append(
            (
                "wrong_media_type",
                f"a text selection by token ids (`textSelections`) is for PDF documents; a {media} "
                "entity is a `location` with start and end",
                None,
            )
        )
    return problems


def _span(ann: Annotation, length: Any, where: str) -> list[Problem]:
    g = ann.geometry
    if not isinstance(g, list):
        return []  # a text selection, refused above
    start, end = g[0], g[1] - 1  # the payload's inclusive end
    if end < start:
        return [("degenerate_geometry", f"the span ends (at {end}) before it starts (at {start})", g)]
    if not isinstance(length, int):
        return [("missing_dimensions", f"the row has no probed length, so {where} cannot be checked", None)]
    if start < 0 or end >= length:
        return [
            (
                "span_out_of_range",
                f"characters {start} to {end} are not all inside {where}, which has {length} "
                f"character{'s' if length != 1 else ''}" + (f" (0 to {length - 1})" if length else ""),
                [start, end],
            )
        ]
    return []
