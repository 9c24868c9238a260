"""A payload read in a process of its own, so that reading and validating use both cores.

Reading a large payload (decoding it, making the canonical records) costs about as much as
validating it, and both are Python per annotation: in one process they take turns. On a machine
with two cores or more, a job whose payload is large enough runs its format's reader in a
child process (``python -m labelport.jobs.reader``) and validates the records as they arrive,
while the child reads on. Sending a record costs a small part of making it (msgpack, one C call
per batch each way), but not nothing (see :func:`_min_bytes`).

Nothing about the job changes with the process: the records come in the order the reader made
them, and the issues it reports come between them exactly where they were reported, so the
validator sees the same stream as in one process (``tests/jobs/test_reader.py`` holds the two
to the same records and issues over every format's fixtures). A reader's error (a
:class:`LabelportError`) is raised in the job as it was raised in the child, after what came
before it.

The child writes its frames from a thread, with a few dozen queued when the pipe is full, so it
reads on while the job loads its snapshot or catches up (``_Ahead``).

Protocol on the child's stdout: frames of a one-byte tag, an 8-byte little-endian length and a
body. ``R``: a msgpack array of records; ``P``: the same, pickled, for a batch msgpack cannot
carry exactly (an integer beyond 64 bits, text that is not UTF-8); ``I``: one issue, pickled;
``E``: a reader's error, pickled as (class name, message, code, hint); ``X``: any other
exception, as its text; ``D``: the end. Anything else, or an end without ``D``, is a crash.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import queue
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import msgspec
import orjson

from labelport.formats import get as get_format
from labelport.formats.base import IssueSink, Reader
from labelport.model import errors
from labelport.model.issues import Issue
from labelport.model.records import Record, pack
from labelport.store.pipes import widen

MIN_BYTES_ENV = "LABELPORT_READER_PROCESS_MIN_BYTES"
# below this a payload is read in the job's process: starting one costs about what reading
# a few megabytes does
_MIN_BYTES = 16 << 20
# annotations (and records) per frame: a frame of 4096 (1.4 MB of NDJSON) was decoded by the job
# into more than its processor's cache holds beside the reader's and the writer's; at 1024 the
# job's CPU for 1M NDJSON lines fell from 5.3 s to 4.7-4.8 s (three alternating pairs)
_BATCH = 1024
_HEADER = 9
_AHEAD = 64  # frames queued in the reader process: about 64 MB at most
_NICE = 5  # how far the reader process yields to the job, when it does (_yield_to_the_job)


class ReaderProcessError(RuntimeError):
    """The reader process failed in a way a reader never fails on purpose (a bug, or killed)."""


def _min_bytes() -> int | None:
    """Set in the environment, the size from which a payload is read in a child process. Unset,
    16 MB on a machine with two cores or more, and never on one. Two cores are enough since the
    spool's writer binds its rows in a third of the CPU it once took (1M COCO, back to back on
    two cores: 25.0-26.5 s read in the job's process, 20.6-21.6 s read beside it); before that,
    the job, the reader and the writer filled both cores and the records' trip between
    processes (2-3 s of the job's CPU per million annotations) ate the gain."""
    given = os.environ.get(MIN_BYTES_ENV)
    if given is not None:
        return int(given)
    return _MIN_BYTES if len(os.sched_getaffinity(0)) >= 2 else None


def _large(payload: Path) -> bool:
    """Whether the payload is read in a child process (a folder is measured up to the limit)."""
    limit = _min_bytes()
    if limit is None:
        return False
    if payload.is_file():
        return payload.stat().st_size >= limit
    total = 0
    for root, _, files in os.walk(payload):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(root, name)).st_size
        if total >= limit:
            return True
    return False


@contextlib.contextmanager
def records(
    fmt: str, payload: Path, sink: IssueSink, options: Mapping[str, str], *, yield_to_job: bool = True
) -> Iterator[Iterator[Record]]:
    """The payload's records, read here or in a child process by its size; the process is
    ended whatever happens to the job. ``yield_to_job``: the child gives way to the job when both
    want a core (:func:`_yield_to_the_job`)."""
    if not _large(payload):
        stream = _reader(fmt)(payload, sink, options)
        try:
            yield stream
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        return
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "labelport.jobs.reader",
            fmt,
            str(payload.resolve()),
            orjson.dumps(dict(options)).decode(),
            str(_NICE if yield_to_job else 0),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        widen(child.stdout.fileno())
        yield _received(child, child.stdout, sink)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def _reader(fmt: str) -> Reader:
    """The format's reader for a job: its packed one when it has one (``FormatSpec.read_packed``)."""
    spec = get_format(fmt)
    read = spec.read_packed or spec.read
    assert read is not None
    return read


def _received(child: subprocess.Popen[bytes], pipe: IO[bytes], sink: IssueSink) -> Iterator[Record]:
    # a frame is split into its records' bytes and each record decoded as the job takes it: the
    # job then validates what it just decoded, still in the processor's cache, where a frame's
    # records (about a thousand annotations) decoded at once were evicted before their turn (1M COCO,
    # decoded and validated in one process, six alternations: 0.18-0.62 s of CPU less each time)
    split = msgspec.msgpack.Decoder(list[msgspec.Raw]).decode
    decode = msgspec.msgpack.Decoder(Record).decode
    while True:
        head = pipe.read(_HEADER)
        tag, size = head[:1], int.from_bytes(head[1:], "little")
        body = pipe.read(size) if len(head) == _HEADER else b""
        if len(head) < _HEADER or len(body) < size:
            code = child.wait()
            raise ReaderProcessError(f"the reader process ended (exit {code}) before the end of the payload")
        if tag == b"R":
            for raw in split(body):
                yield decode(raw)
        elif tag == b"P":
            yield from pickle.loads(body)
        elif tag == b"I":
            sink(pickle.loads(body))
        elif tag == b"D":
            return
        elif tag == b"E":
            raise _error(*pickle.loads(body))
        elif tag == b"X":
            raise ReaderProcessError(pickle.loads(body))
        else:
            raise ReaderProcessError(f"the reader process sent an unknown frame {tag!r}")


def _error(name: str, message: str, code: str, hint: str | None) -> errors.LabelportError:
    """The reader's error as raised in the child: its class when it is one of ours, its code."""
    cls = getattr(errors, name, errors.LabelportError)
    if not (isinstance(cls, type) and issubclass(cls, errors.LabelportError)):
        cls = errors.LabelportError
    exc = cls.__new__(cls)
    errors.LabelportError.__init__(exc, message, code=code, hint=hint)
    return exc


# --- the child ----------------------------------------------------------------------------------


class _Ahead:
    """The frames, written to the pipe by a thread while this process reads on: up to
    :data:`_AHEAD` of them wait here when the pipe is full, so reading does not stop while the
    job loads its snapshot or catches up (a write to a full pipe lets go of the GIL)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.queue: queue.Queue[bytes | None] = queue.Queue(_AHEAD)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="frames", daemon=True)
        self.thread.start()

    def write(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(data)

    def close(self) -> None:
        """Everything queued is written; the writing's error, if any, is raised here."""
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            while (data := self.queue.get()) is not None:
                self.out.write(data)
            self.out.flush()
        except BaseException as exc:  # raised in the reading thread, at its next frame
            self.error = exc
            while self.queue.get() is not None:
                pass  # what is queued after is dropped, so the reading thread never waits


class _Sender:
    def __init__(self, out: _Ahead | IO[bytes]) -> None:
        self.out = out
        self.batch: list[Record] = []
        self.size = 0
        self.encode = msgspec.msgpack.Encoder().encode

    def record(self, record: Record) -> None:
        pack(record, shapes=self.ahead())
        self.batch.append(record)
        self.size += 1 + len(record.annotations)
        if self.size >= _BATCH:
            self.flush()

    def ahead(self) -> bool:
        """Whether this process is ahead of the job: frames wait in its queue, so the pipe is
        full. Then it packs the annotations' geometry, the job's work it can take on; when the
        job waits for it instead, the job tests and encodes the geometry itself."""
        out = self.out
        return not isinstance(out, _Ahead) or out.queue.qsize() > 0

    def report(self, issue: Issue) -> None:
        self.flush()  # the issue goes after the records read before it, as in one process
        self.frame(b"I", pickle.dumps(issue, pickle.HIGHEST_PROTOCOL))

    def flush(self) -> None:
        if not self.batch:
            return
        try:
            self.frame(b"R", self.encode(self.batch))
        except (TypeError, ValueError, OverflowError, UnicodeError):  # carried exactly by pickle
            self.frame(b"P", pickle.dumps(self.batch, pickle.HIGHEST_PROTOCOL))
        self.batch, self.size = [], 0

    def frame(self, tag: bytes, body: bytes) -> None:
        self.out.write(tag + len(body).to_bytes(_HEADER - 1, "little"))
        self.out.write(body)


def main(argv: list[str]) -> int:
    fmt, payload, options = argv[0], Path(argv[1]), orjson.loads(argv[2])
    # a job of an earlier labelport, still running as this one is installed, names no niceness
    nice = int(argv[3]) if len(argv) > 3 else _NICE
    gc.disable()  # as the job's process: millions of small acyclic objects
    _yield_to_the_job(nice)
    with open(sys.stdout.fileno(), "wb", buffering=1 << 20, closefd=False) as out:
        ahead = _Ahead(out)
        try:
            _send(fmt, payload, options, _Sender(ahead))
            ahead.close()  # the thread has written and flushed every frame
        except BrokenPipeError:
            return 1  # the job stopped listening (cancelled, failed): nothing more to say
    return 0


def _yield_to_the_job(nice: int) -> None:
    """Beside a SQLite workspace, the job, this process and the spool's writer (niced as this
    one) share two cores; the job is the longest chain, and this process far ahead of it, so the
    job gets the core when both want it. Beside PostgreSQL the server writes the rows, at the
    usual priority, and a niced reader lost the core to it rather than to the job, which then
    waited for frames (1M NDJSON lines: 2.25 s of the job's 6.5 s of validating); there the
    caller asks for no yielding (``records``), and the import took 0.3-0.9 s less in five
    alternating pairs of 9.4-10.4 s. COCO's, whose job is busier, were even either way."""
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)


def _send(fmt: str, payload: Path, options: Mapping[str, str], send: _Sender) -> None:
    try:
        for record in _reader(fmt)(payload, send.report, options):
            send.record(record)
        send.flush()
        send.frame(b"D", b"")
    except errors.LabelportError as exc:
        send.flush()
        send.frame(b"E", pickle.dumps((type(exc).__name__, exc.message, exc.code, exc.hint)))
    except BrokenPipeError:
        raise
    except Exception as exc:
        traceback.print_exc()
        send.flush()
        send.frame(b"X", pickle.dumps(f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = ["MIN_BYTES_ENV", "ReaderProcessError", "records"]
