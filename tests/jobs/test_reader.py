"""A payload read in a process of its own gives the job exactly what reading it in the job's
process gives: the same records, the same issues at the same places in the stream, the same
error at the end. Exactness is checked on ``repr``, which tells a tuple from a list and 1 from 1.0.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from bench import payloads

from labelport import Workspace
from labelport.formats import get as get_format
from labelport.formats.base import IssueSink
from labelport.jobs import reader
from labelport.model.errors import InvalidInputError
from labelport.model.issues import Issue, Location
from labelport.model.jobs import JobState
from labelport.model.records import Annotation, Record, RowRef
from tests.formats.test_agreement import FOREIGN, ONTOLOGY, source  # noqa: F401 - a fixture

FIXTURES = Path(__file__).parent.parent / "formats" / "fixtures"


def _events(
    fmt: str, payload: Path, *, in_process: bool, options: Mapping[str, str] | None = None
) -> list[Any]:
    os.environ[reader.MIN_BYTES_ENV] = str(1 << 60 if in_process else 0)
    try:
        out: list[Any] = []
        try:

            def sink(issue: Issue) -> None:
                out.append(("issue", repr(issue)))

            with reader.records(fmt, payload, sink, options or {}) as stream:
                out.extend(("record", repr(_unpacked(r))) for r in stream)
        except Exception as exc:  # compared like the rest
            out.append(("raised", type(exc).__name__, str(exc)))
        return out
    finally:
        del os.environ[reader.MIN_BYTES_ENV]


def _unpacked(record: Record) -> Record:
    """The record as read in the job's process: what was packed of its annotations back in place."""
    for k in range(len(record.annotations)):
        record.unpack(k)
    record.packed = None
    return record


def _read_as_it_is(fmt: str, payload: Path, options: Mapping[str, str] | None = None) -> list[Any]:
    """The format's own ``read``, not a job's (which may be ``read_packed``)."""
    out: list[Any] = []
    read = get_format(fmt).read
    assert read is not None
    try:
        out.extend(
            ("record", repr(r))
            for r in read(payload, lambda i: out.append(("issue", repr(i))), options or {})
        )
    except Exception as exc:
        out.append(("raised", type(exc).__name__, str(exc)))
    return out


def _same_both_ways(fmt: str, payload: Path, options: Mapping[str, str] | None = None) -> list[Any]:
    """In the job's process, in a reader process, and as the format reads it for anyone else."""
    here = _events(fmt, payload, in_process=True, options=options)
    there = _events(fmt, payload, in_process=False, options=options)
    assert there == here
    assert _read_as_it_is(fmt, payload, options) == here
    return here


@pytest.mark.parametrize("fmt", ["coco", "ndjson", "yolo", "aimmo"])
def test_generated_payloads_with_invalid_annotations(tmp_path: Path, fmt: str) -> None:
    payload = tmp_path / ("p.json" if fmt == "coco" else "p.ndjson" if fmt == "ndjson" else "p")
    getattr(payloads, f"write_{fmt}")(payload, 60, invalid=40)
    events = _same_both_ways(fmt, payload)
    assert sum(e[0] == "record" for e in events) >= 60
    if fmt == "coco":  # COCO's reader reports unknown categories itself
        assert any(e[0] == "issue" for e in events)


@pytest.mark.parametrize("fmt", FOREIGN)
def test_every_format_exported_and_read_back(source: Workspace, tmp_path: Path, fmt: str) -> None:  # noqa: F811
    out = tmp_path / (f"out-{fmt}.json" if fmt == "coco" else f"out-{fmt}")
    source.export("src", out, format=fmt)
    events = _same_both_ways(fmt, out)
    assert any(e[0] == "record" for e in events)


def test_ndjson_with_nested_answers(source: Workspace, tmp_path: Path) -> None:  # noqa: F811
    events = _same_both_ways("ndjson", tmp_path / "src.ndjson")
    assert sum(e[0] == "record" for e in events) >= 5


@pytest.mark.parametrize("path", sorted(p.relative_to(FIXTURES).parts[0] for p in FIXTURES.iterdir()))
def test_fixture_files(path: str) -> None:
    _same_both_ways(path, FIXTURES / path)


def test_malformed_files_say_the_same(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_bytes(b'{"images": [{"id": 1, "file_name": "a.png"}], "annotations": [{"id": 1, "image_')
    assert any(e[0] == "issue" for e in _same_both_ways("coco", broken))
    latin = tmp_path / "latin.json"
    doc = '{"images": [], "annotations": [], "categories": [{"id": 1, "name": "caf\xe9"}]}'
    latin.write_bytes(doc.encode("latin-1"))
    assert any(e[0] == "issue" for e in _same_both_ways("coco", latin))
    lines = tmp_path / "lines.ndjson"
    first = '{"dataRow": {"globalKey": "a"}, "name": "car", "bbox": {"top": 1}}'
    lines.write_text(f'{first}\nnot json\n\n{{"x": 1}}\n')
    assert sum(e[0] == "issue" for e in _same_both_ways("ndjson", lines)) >= 2


def test_integers_beyond_64_bits_are_carried_exactly(tmp_path: Path) -> None:
    big = 2**70 + 1
    doc = {
        "images": [{"id": big, "file_name": "a.png", "width": 640, "height": 480}],
        "categories": [{"id": 1, "name": "car"}],
        "annotations": [{"id": big, "image_id": big, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 12}],
    }
    payload = tmp_path / "big.json"
    payload.write_text(json.dumps(doc))
    events = _same_both_ways("coco", payload)
    assert events[0][0] == "record" and f"'id': {big}" in events[0][1]


def test_the_process_is_used_only_for_large_payloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = tmp_path / "p.json"
    payloads.write_coco(payload, 3)
    started: list[Any] = []
    real = reader.subprocess.Popen
    monkeypatch.setattr(reader.subprocess, "Popen", lambda *a, **k: started.append(a) or real(*a, **k))
    monkeypatch.setenv(reader.MIN_BYTES_ENV, str(payload.stat().st_size + 1))
    with reader.records("coco", payload, print, {}) as stream:
        assert len(list(stream)) == 3
    assert not started
    monkeypatch.setenv(reader.MIN_BYTES_ENV, str(payload.stat().st_size))
    with reader.records("coco", payload, print, {}) as stream:
        assert len(list(stream)) == 3
    assert len(started) == 1


def _children() -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        with open(f"/proc/{os.getpid()}/task/{task}/children") as fh:
            found += [int(p) for p in fh.read().split()]
    return found


def test_a_killed_reader_fails_the_job_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = tmp_path / "p.ndjson"
    payloads.write_ndjson(payload, 3000)
    monkeypatch.setenv(reader.MIN_BYTES_ENV, "0")
    before = set(_children())
    with reader.records("ndjson", payload, print, {}) as stream:
        next(stream)
        (child,) = set(_children()) - before
        os.kill(child, signal.SIGKILL)
        with pytest.raises(reader.ReaderProcessError, match="exit -9"):
            list(stream)
    assert child not in _children()


def test_leaving_early_ends_the_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = tmp_path / "p.ndjson"
    payloads.write_ndjson(payload, 3000)
    monkeypatch.setenv(reader.MIN_BYTES_ENV, "0")
    before = set(_children())
    with pytest.raises(KeyboardInterrupt), reader.records("ndjson", payload, print, {}) as stream:
        next(stream)
        (child,) = set(_children()) - before
        raise KeyboardInterrupt  # a cancelled job leaves its loop with an exception
    assert child not in _children()


def _niceness(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[16])  # field 19 of proc(5)


@pytest.mark.parametrize("yield_to_job", [True, False])
def test_the_reader_process_yields_to_the_job_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yield_to_job: bool
) -> None:
    payload = tmp_path / "p.ndjson"
    payloads.write_ndjson(payload, 3000)
    monkeypatch.setenv(reader.MIN_BYTES_ENV, "0")
    before = set(_children())
    with reader.records("ndjson", payload, print, {}, yield_to_job=yield_to_job) as stream:
        next(stream)  # the child has started reading: it set its niceness first
        (child,) = set(_children()) - before
        expected = _niceness(os.getpid()) + (reader._NICE if yield_to_job else 0)
        assert _niceness(child) == min(expected, 19)
        assert sum(1 for _ in stream) > 0


# --- the protocol, both ends in this process ------------------------------------------------------


class _Spec:
    read_packed = None

    def __init__(self, fail: Exception) -> None:
        self.fail = fail

    def read(self, payload: Path, sink: IssueSink, options: Mapping[str, str]) -> Iterator[Record]:
        yield Record(row=RowRef(global_key="a"), annotations=[Annotation(kind="bbox")], location=Location())
        sink(Issue(code="invalid_value", message="m", location=Location(line=2), value=(1, 2)))
        yield Record(row=RowRef(global_key="b"), annotations=[], location=Location(line=3))
        raise self.fail


class _Child:
    def wait(self) -> int:
        return 0


def _through(fail: Exception, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    monkeypatch.setattr(reader, "get_format", lambda name: _Spec(fail))
    frames = io.BytesIO()
    reader._send("x", tmp_path, {}, reader._Sender(frames))
    frames.seek(0)
    events: list[Any] = []
    stream = reader._received(_Child(), frames, events.append)  # type: ignore[arg-type]
    with pytest.raises(Exception) as raised:
        events.extend(stream)
    return [*events, raised.value]


def test_a_readers_error_arrives_after_what_came_before_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fail = InvalidInputError("bad option", code="invalid_option", hint="say it right")
    first, issue, second, error = _through(fail, monkeypatch, tmp_path)
    assert first.row.global_key == "a" and second.location.line == 3
    assert issue.value == (1, 2)  # an issue's value is carried exactly, tuple and all
    assert type(error) is InvalidInputError
    assert (error.code, error.message, error.hint) == ("invalid_option", "bad option", "say it right")


def test_any_other_exception_is_a_reader_process_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    *_, error = _through(KeyError("x"), monkeypatch, tmp_path)
    assert isinstance(error, reader.ReaderProcessError) and str(error) == "KeyError: 'x'"


# --- a whole job ----------------------------------------------------------------------------------


def _job(ws: Workspace, tmp_path: Path, *, in_process: bool) -> tuple[Any, ...]:
    name = "here" if in_process else "there"
    ws.create_project(name, ontology="o", media_type="image")
    ws.create_batch(name, "b", dataset="d")
    os.environ[reader.MIN_BYTES_ENV] = str(1 << 60 if in_process else 0)
    try:
        job = ws.import_labels(name, tmp_path / "p.json", format="coco")
    finally:
        del os.environ[reader.MIN_BYTES_ENV]
    issues = [(i.code, i.message, i.location) for i in ws.job_issues(job.id)]
    stored = ws.labels(name).items()
    labels = {row: [(a.uid, a.kind, a.geometry, a.extra) for a in anns] for row, anns in stored}
    return job.state, job.counts, issues, labels


def test_a_job_gives_the_same_labels_and_issues(ws: Workspace, tmp_path: Path) -> None:
    manifest = payloads.write_manifest(tmp_path / "rows.json", 40)
    ws.create_dataset("d")
    ws.add_manifest("d", manifest)
    ws.create_ontology("o", payloads.ontology())
    payloads.write_coco(tmp_path / "p.json", 40)
    here = _job(ws, tmp_path, in_process=True)
    assert here[0] is JobState.SUCCEEDED and here[1]["annotations_imported"] > 300
    assert _job(ws, tmp_path, in_process=False) == here


def test_a_job_beside_a_database_server_does_not_make_its_reader_yield(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.create_dataset("d")
    ws.add_manifest("d", payloads.write_manifest(tmp_path / "rows.json", 4))
    ws.create_ontology("o", payloads.ontology())
    payloads.write_coco(tmp_path / "p.json", 4)
    started: list[list[str]] = []
    real = reader.subprocess.Popen
    monkeypatch.setattr(reader.subprocess, "Popen", lambda args, **k: started.append(args) or real(args, **k))
    assert _job(ws, tmp_path, in_process=False)[0] is JobState.SUCCEEDED
    ((*_, nice),) = started
    assert nice == ("0" if ws.engine.dialect.name == "postgresql" else str(reader._NICE))


def test_without_a_setting_only_a_machine_of_two_cores_or_more_reads_beside_the_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(reader.MIN_BYTES_ENV, raising=False)
    monkeypatch.setattr(reader.os, "sched_getaffinity", lambda pid: {0})
    assert reader._min_bytes() is None
    monkeypatch.setattr(reader.os, "sched_getaffinity", lambda pid: {0, 1})
    assert reader._min_bytes() == 16 << 20
    monkeypatch.setenv(reader.MIN_BYTES_ENV, "5")
    assert reader._min_bytes() == 5


def test_issues_a_reader_reports_before_the_validator_exists_reach_it_first_and_in_order() -> None:
    """The payload's reading starts before the snapshot loads, so its first issues can come
    before the validator that counts them: they wait, then go ahead of every later one."""
    from labelport.formats.base import issue
    from labelport.jobs.pipeline import _Notes

    notes, got = _Notes(), list[Issue]()
    early = [issue("invalid_json", f"early {i}", Location(line=i)) for i in range(3)]
    for item in early:
        notes(item)
    notes.to(got.append)
    late = issue("invalid_json", "late", Location(line=9))
    notes(late)
    assert got == [*early, late]


def test_the_reader_process_imports_no_database_library() -> None:
    """The child starts reading as soon as it has imported its format: SQLAlchemy alone would
    add a tenth of a second before a COCO file's first record."""
    code = "import sys\nimport labelport.jobs.reader\nprint('sqlalchemy' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_neither_the_job_nor_a_reader_imports_numpy_or_pillow_before_a_mask(tmp_path: Path) -> None:
    """They come with ``formats.masks``, a quarter of a second of imports before a job's first
    record; the mask fetcher and COCO's and NDJSON's mask paths import it where a mask is met."""
    Workspace.init(str(tmp_path / "ws.db"))
    code = (
        "import sys; from labelport import Workspace; import labelport.jobs.pipeline\n"
        "import labelport.jobs.reader, labelport.formats.coco, labelport.formats.ndjson\n"
        f"Workspace({str(tmp_path / 'ws.db')!r}).close()\n"
        "print(sorted(m for m in ('numpy', 'PIL', 'labelport.formats.masks') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_pipe_the_job_stopped_reading_fails_the_reader_process_thread_and_all() -> None:
    """The frames are written by a thread; a broken pipe there is raised in the reading thread
    (at its next frame, or when it ends), which then exits as it did before (status 1)."""
    r, w = os.pipe()
    os.close(r)
    with open(w, "wb", buffering=0) as out:
        ahead = reader._Ahead(out)
        with pytest.raises(BrokenPipeError):
            for _ in range(1000):
                ahead.write(b"x" * 1000)
            ahead.close()
        with pytest.raises(BrokenPipeError):  # and ending says so again, the thread done
            ahead.close()
    assert not ahead.thread.is_alive()


class _HeldPipe(io.RawIOBase):
    """A pipe the job is not reading yet: a write waits until it is let go."""

    def __init__(self) -> None:
        self.go = threading.Event()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.go.wait()
        return len(data)


def _box_record() -> Record:
    box = Annotation(kind="bbox", name="car", geometry=[1.0, 2.0, 3.0, 4.0], extra={"id": 7})
    return Record(row=RowRef(filename="a.jpg"), annotations=[box], location=Location(file="p.json"))


def test_the_reader_packs_geometry_only_while_it_is_ahead_of_the_job() -> None:
    """When the job waits for frames, the reader process is the longest chain: it leaves the
    geometry for the job to test and encode. When frames queue up, the job is behind and the
    reader takes that work on. Either way the job reads the same record (``Record.unpack_all``)."""
    pipe = _HeldPipe()
    ahead = reader._Ahead(pipe)  # type: ignore[arg-type]
    send = reader._Sender(ahead)
    waiting = _box_record()
    send.record(waiting)  # nothing queued: the job would be waiting
    assert waiting.packed is not None and waiting.packed.shapes is None
    assert waiting.annotations[0].geometry == [1.0, 2.0, 3.0, 4.0]
    assert waiting.packed.extras == [b'{"id":7}'] and waiting.annotations[0].extra is None
    ahead.write(b"taken by the thread, which waits on the pipe")
    ahead.write(b"queued behind it")
    while ahead.queue.qsize() != 1:  # the thread has taken the first
        time.sleep(0.001)
    behind = _box_record()
    send.record(behind)
    assert behind.packed is not None and behind.packed.shapes == [b"[1.0,2.0,3.0,4.0]"]
    assert behind.annotations[0].geometry is None
    for record in (waiting, behind):
        record.unpack_all()
        assert record == _box_record()
    pipe.go.set()
    ahead.close()
    # a sender writing straight to a stream (no queue to tell by) packs all it can, as before
    direct = _box_record()
    reader._Sender(io.BytesIO()).record(direct)
    assert direct.packed is not None and direct.packed.shapes is not None


def test_a_reader_started_without_a_niceness_yields_as_before(tmp_path: Path) -> None:
    """What a job of an earlier labelport starts while this one is installed: three arguments."""
    payload = tmp_path / "p.ndjson"
    payloads.write_ndjson(payload, 3)
    done = subprocess.run(
        [sys.executable, "-m", "labelport.jobs.reader", "ndjson", str(payload), "{}"],
        capture_output=True,
        check=True,
    )
    assert done.stdout.endswith(b"D" + (0).to_bytes(8, "little"))
