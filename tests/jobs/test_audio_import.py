"""Audio through NDJSON, end to end on a real WAV (stdlib ``wave``, 1.5 s): the real Labelbox SDK's
temporal lines (milliseconds, no uuid) import with nothing refused, broken copies are refused with
their codes and change nothing, and export then import gives back exactly the stored labels."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from labelport import Workspace
from tests.jobs.conftest import write_ndjson
from tests.jobs.temporal import add_project, canon, imported, one_row_project, refusals
from tests.media.assets import make_wav

lb = pytest.importorskip("labelbox.types")
serialization = pytest.importorskip("labelbox.data.serialization")

MS = 1500

ONTOLOGY: dict[str, Any] = {
    "tools": [],
    "classifications": [
        {"name": "transcript", "type": "text", "scope": "index"},
        {
            "name": "speaker",
            "type": "radio",
            "scope": "index",
            "options": [
                {
                    "value": "alice",
                    "options": [
                        {"name": "mood", "type": "radio", "options": [{"value": "calm"}, {"value": "angry"}]}
                    ],
                },
                {"value": "bob"},
            ],
        },
        {
            "name": "noises",
            "type": "checklist",
            "scope": "index",
            "options": [{"value": "dog"}, {"value": "car"}],
        },
        {"name": "lang", "type": "radio", "options": [{"value": "en"}, {"value": "ko"}]},
    ],
}


@pytest.fixture
def aproj(ws: Workspace, tmp_path: Path) -> Workspace:
    wav = make_wav(tmp_path / "talk.wav", seconds=MS / 1000)
    return one_row_project(ws, tmp_path, wav, "aud-1", ONTOLOGY, "audio", "a")


def sdk_lines() -> list[dict[str, Any]]:
    t = lb
    calm = t.TemporalClassificationQuestion(
        name="mood", value=[t.TemporalClassificationAnswer(name="calm", frames=[(100, 400)])]
    )
    label = t.Label(
        data={"global_key": "aud-1"},
        annotations=[
            t.TemporalClassificationText(name="transcript", value=[(0, 700, "hello"), (800, MS, "world")]),
            t.TemporalClassificationQuestion(
                name="speaker",
                value=[
                    t.TemporalClassificationAnswer(name="alice", frames=[(0, 500)], classifications=[calm]),
                    t.TemporalClassificationAnswer(name="bob", frames=[(600, 900), (1000, 1200)]),
                ],
            ),
            t.TemporalClassificationQuestion(
                name="noises",
                value=[
                    t.TemporalClassificationAnswer(name="dog", frames=[(0, 300)]),
                    t.TemporalClassificationAnswer(name="car", frames=[(200, 900)]),
                ],
            ),
            t.ClassificationAnnotation(name="lang", value=t.Radio(answer=t.ClassificationAnswer(name="en"))),
        ],
    )
    lines = serialization.NDJsonConverter.serialize([label])
    return [msgspec.json.decode(msgspec.json.encode(x)) for x in lines]


def _import(ws: Workspace, path: Path, project: str = "a") -> Any:
    return imported(ws, project, path)


def test_sdk_payload_imports(aproj: Workspace, tmp_path: Path) -> None:
    lines = sdk_lines()
    assert sum("uuid" not in x for x in lines) == 3  # the SDK names no temporal line
    job = _import(aproj, write_ndjson(tmp_path / "a.ndjson", lines))
    assert job.counts["annotations_imported"] == 4 and job.counts["warnings"] == 0
    answers = {a.name: a.answer for a in aproj.labels("a")["aud-1"]}
    transcript, speaker = answers["transcript"], answers["speaker"]
    assert transcript is not None and isinstance(transcript.value, list)
    assert [(c.text, c.frames) for c in transcript.value] == [("hello", [(0, 700)]), ("world", [(800, MS)])]
    assert speaker is not None and isinstance(speaker.value, list)
    alice, bob = speaker.value
    assert (alice.name, alice.frames, bob.frames) == ("alice", [(0, 500)], [(600, 900), (1000, 1200)])
    mood = alice.classifications[0].value
    assert isinstance(mood, list) and (mood[0].name, mood[0].frames) == ("calm", [(100, 400)])
    # checklist options may hold at once
    noises = answers["noises"]
    assert noises is not None and isinstance(noises.value, list) and len(noises.value) == 2


def test_export_then_import_reproduces_the_labels(aproj: Workspace, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "a.ndjson", sdk_lines())
    _import(aproj, path)
    out = tmp_path / "out.ndjson"
    summary = aproj.export("a", out, format="ndjson")
    assert summary.not_expressible == [] and summary.annotations == 4
    written = {x["name"]: x for x in map(json.loads, out.read_text().splitlines())}
    assert written["speaker"]["answer"][0]["frames"] == [{"start": 0, "end": 500}]  # the SDK's temporal form
    add_project(aproj, "a2", "audio")
    _import(aproj, out, "a2")
    assert canon(aproj.labels("a2")) == canon(aproj.labels("a"))
    # and the SDK's payload, imported again, names its id-less lines the same
    add_project(aproj, "a3", "audio")
    _import(aproj, path, "a3")
    assert canon(aproj.labels("a3")) == canon(aproj.labels("a"))


def _speaker(*answers: dict[str, Any]) -> dict[str, Any]:
    return {"dataRow": {"globalKey": "aud-1"}, "name": "speaker", "answer": list(answers)}


def _ms(*pairs: tuple[int, int]) -> list[dict[str, int]]:
    return [{"start": s, "end": e} for s, e in pairs]


BROKEN: dict[str, tuple[dict[str, Any], str]] = {
    "a range past the clip": (
        _speaker({"name": "bob", "frames": _ms((1000, MS + 1))}),
        "range_out_of_bounds",
    ),
    "a negative start": (_speaker({"name": "bob", "frames": _ms((-5, 100))}), "range_out_of_bounds"),
    "a range ending before it starts": (
        _speaker({"name": "bob", "frames": _ms((900, 600))}),
        "range_reversed",
    ),
    "one answer's ranges overlapping": (
        _speaker({"name": "bob", "frames": _ms((0, 500), (400, 900))}),
        "segments_overlap",
    ),
    "two speakers at once": (
        _speaker({"name": "alice", "frames": _ms((0, 500))}, {"name": "bob", "frames": _ms((300, 900))}),
        "segments_overlap",
    ),
    "a nested answer outside its parent": (
        _speaker(
            {
                "name": "alice",
                "frames": _ms((0, 500)),
                "classifications": [
                    {"name": "mood", "answer": [{"name": "calm", "frames": _ms((400, 700))}]}
                ],
            }
        ),
        "child_outside_parent",
    ),
    "an unknown option": (_speaker({"name": "carol", "frames": _ms((0, 10))}), "attribute_value_not_allowed"),
    "a shape on audio": (
        {"dataRow": {"globalKey": "aud-1"}, "name": "lang", "point": {"x": 1, "y": 1}},
        "wrong_media_type",
    ),
}


def test_broken_copies_are_refused_and_change_nothing(aproj: Workspace, tmp_path: Path) -> None:
    """Each broken line replaces its classification's good line in the SDK payload."""
    cases = {}
    for n, (case, (line, code)) in enumerate(BROKEN.items()):
        good = [x for x in sdk_lines() if x.get("name") != line.get("name")]
        cases[case] = (write_ndjson(tmp_path / f"bad{n}.ndjson", [*good, copy.deepcopy(line)]), code)
    assert refusals(aproj, "a", cases) == {}
