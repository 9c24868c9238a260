"""Conversation rows: entities inside one message, classifications for one message or the whole
conversation, from the real Labelbox SDK's serializer; checked against the probed messages,
exported and imported back exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labelport import Workspace
from labelport.model.jobs import JobState
from tests.jobs.conftest import uid, write_ndjson
from tests.jobs.documents import issues_of, project, refused_lines, round_trip, sdk_lines
from tests.media.assets import make_conversation

lb = pytest.importorskip("labelbox.types")

MESSAGES = [
    ("msg-1", "Hallo! Ich bin Zoë aus Zürich."),
    ("msg-2", "Bonjour Zoë, ça va ?"),
    ("msg-3", "Très bien 🙂"),
]
TEXT = dict(MESSAGES)


def _span(message: str, word: str) -> tuple[int, int]:
    start = TEXT[message].index(word)
    return start, start + len(word) - 1


@pytest.fixture
def proj(ws: Workspace, tmp_path: Path) -> Workspace:
    project(ws, tmp_path, "conversation", {"conv-1": make_conversation(tmp_path / "c.json", MESSAGES)})
    return ws


def _intent(message: str, answer: str) -> Any:
    t = lb
    return t.ClassificationAnnotation(
        name="intent", value=t.Radio(answer=t.ClassificationAnswer(name=answer)), message_id=message
    )


def _label() -> Any:
    t = lb
    zoe, zurich, zoe2 = _span("msg-1", "Zoë"), _span("msg-1", "Zürich"), _span("msg-2", "Zoë")
    return t.Label(
        data={"global_key": "conv-1"},
        annotations=[
            t.ObjectAnnotation(
                name="person",
                value=t.ConversationEntity(start=zoe[0], end=zoe[1], message_id="msg-1"),
                classifications=[
                    t.ClassificationAnnotation(
                        name="confidence", value=t.Radio(answer=t.ClassificationAnswer(name="low"))
                    )
                ],
            ),
            t.ObjectAnnotation(
                name="place", value=t.ConversationEntity(start=zurich[0], end=zurich[1], message_id="msg-1")
            ),
            t.ObjectAnnotation(
                name="person", value=t.ConversationEntity(start=zoe2[0], end=zoe2[1], message_id="msg-2")
            ),
            # the whole last message, emoji included: its length is in characters
            t.ObjectAnnotation(
                name="place",
                value=t.ConversationEntity(start=0, end=len(TEXT["msg-3"]) - 1, message_id="msg-3"),
            ),
            _intent("msg-1", "greeting"),  # one classification, answered per message
            _intent("msg-2", "question"),
            t.ClassificationAnnotation(
                name="sentiment", value=t.Radio(answer=t.ClassificationAnswer(name="positive"))
            ),
        ],
    )


def test_sdk_payload_imports_into_messages(proj: Workspace, tmp_path: Path) -> None:
    job = proj.import_labels("p", write_ndjson(tmp_path / "c.ndjson", sdk_lines(_label())), format="ndjson")
    assert job.state is JobState.SUCCEEDED, issues_of(proj, job.id)
    anns = proj.labels("p")["conv-1"]
    spans = sorted(
        (a.message_id or "", TEXT[a.message_id or ""][a.geometry[0] : a.geometry[1]])
        for a in anns
        if a.kind == "entity"
    )
    assert spans == [("msg-1", "Zoë"), ("msg-1", "Zürich"), ("msg-2", "Zoë"), ("msg-3", TEXT["msg-3"])]
    scoped = sorted(
        (a.message_id or "", a.answer.value.name)  # type: ignore[union-attr]
        for a in anns
        if a.kind == "radio" and a.answer is not None
    )
    assert scoped == [("", "positive"), ("msg-1", "greeting"), ("msg-2", "question")]


def test_export_and_import_again_is_exact(proj: Workspace, tmp_path: Path) -> None:
    job = proj.import_labels("p", write_ndjson(tmp_path / "c.ndjson", sdk_lines(_label())), format="ndjson")
    assert job.state is JobState.SUCCEEDED
    first, again = round_trip(proj, tmp_path, "conversation")
    assert again == first and len(first["conv-1"]) == 7


def _entity(message: str | None, start: int, end: int) -> dict[str, Any]:
    line: dict[str, Any] = {
        "uuid": uid(1),
        "dataRow": {"globalKey": "conv-1"},
        "name": "place",
        "location": {"start": start, "end": end},
    }
    return line | ({"messageId": message} if message is not None else {})


BROKEN: list[tuple[dict[str, Any], str, str]] = [
    (_entity("msg-9", 0, 2), "message_not_found", "no message 'msg-9' (it has msg-1, msg-2, msg-3)"),
    (_entity(None, 0, 2), "message_not_found", "needs `messageId`"),
    # inside the conversation's text as a whole, but past the end of its own message
    (_entity("msg-3", 0, len(TEXT["msg-3"])), "span_out_of_range", "inside message 'msg-3'"),
    (_entity("msg-2", 4, 2), "degenerate_geometry", "before it starts"),
    (
        {
            "uuid": uid(1),
            "name": "intent",
            "answer": {"name": "greeting"},
            "dataRow": {"globalKey": "conv-1"},
            "messageId": "msg-7",
        },
        "message_not_found",
        "no message 'msg-7'",
    ),
    (
        {
            "uuid": uid(1),
            "name": "intent",
            "answer": {"name": "question"},
            "dataRow": {"globalKey": "conv-1"},
            "messageId": "msg-1",
        },
        "duplicate_answer",
        "answered twice for message 'msg-1'",
    ),
    (
        {
            "uuid": uid(1),
            "dataRow": {"globalKey": "conv-1"},
            "name": "place",
            "messageId": "msg-1",
            "textSelections": [{"tokenIds": ["1-1-1"], "groupId": "1-1", "page": 1}],
        },
        "wrong_media_type",
        "PDF documents",
    ),
]


def test_broken_copies_are_refused(proj: Workspace, tmp_path: Path) -> None:
    refused_lines(proj, tmp_path, sdk_lines(_label()), BROKEN)
