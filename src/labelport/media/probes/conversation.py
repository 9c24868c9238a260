"""Labelbox-style conversation JSON: the message ids and lengths that text labels point into."""

from __future__ import annotations

import codecs
import pathlib
from typing import Any

import msgspec

from ..errors import ProbeError


def decode_json(data: bytes) -> Any:
    """Parse JSON bytes, tolerating the UTF-8 BOM that Windows editors prepend.

    Raises ``ValueError`` (msgspec's DecodeError or UnicodeDecodeError) on anything else.
    """
    return msgspec.json.decode(data.removeprefix(codecs.BOM_UTF8))


def looks_like_conversation(document: Any) -> bool:
    """The shape test shared by detection and probing, so both agree on what a conversation is."""
    return isinstance(document, dict) and isinstance(document.get("messages"), list)


def probe_conversation(path: pathlib.Path) -> dict[str, Any]:
    """List each message's id and content length.

    Labels on a conversation address a message by ``messageId`` and a character range inside its
    ``content``, so both must exist and ids must be unique; otherwise labels could not be checked
    against the asset and it is refused here rather than at label import.
    """
    data = path.read_bytes()
    try:
        document = decode_json(data)
    except ValueError as exc:
        raise ProbeError(f"not valid JSON: {exc}") from None
    if not looks_like_conversation(document):
        raise ProbeError('not a conversation: expected an object with a "messages" list')
    messages: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, message in enumerate(document["messages"]):
        if not isinstance(message, dict):
            raise ProbeError(f"message {index} is not an object")
        message_id = message.get("messageId")
        if not isinstance(message_id, str) or not message_id:
            raise ProbeError(f"message {index} has no messageId")
        if message_id in seen:
            raise ProbeError(f"duplicate messageId {message_id!r}")
        seen.add(message_id)
        content = message.get("content")
        if not isinstance(content, str):
            raise ProbeError(f"message {message_id!r} has no text content")
        messages.append({"id": message_id, "length": len(content)})
    return {"messages": messages, "message_count": len(messages)}
