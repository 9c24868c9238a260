"""Timing and memory of one step, each measured in a fresh process so peak RSS is its own.

An import starts processes of its own (the SQLite spool's writer), so the peak is of the whole
tree: a thread samples the resident memory of the step's process and all its descendants every
10 ms and keeps the largest sum (``ru_maxrss`` of the process alone is reported beside it)."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any


def in_subprocess(module: str, func: str, *args: str) -> dict[str, Any]:
    """Run ``module.func(*args)`` in a new interpreter; returns its result plus seconds and peak RSS."""
    code = (
        "import json,resource,sys,time,importlib\n"
        "from bench.measure import TreeRss\n"
        f"m = importlib.import_module({module!r})\n"
        "tree = TreeRss()\n"
        "t = time.perf_counter()\n"
        f"r = m.{func}(*sys.argv[1:])\n"
        "dt = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'seconds': dt, 'peak_rss_mb': max(rss, tree.stop()), 'self_rss_mb': rss,"
        " 'result': r}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


class TreeRss:
    """The largest resident memory of this process and its descendants together, sampled."""

    def __init__(self, every: float = 0.01) -> None:
        self.peak = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while not self._done.wait(every):
            self.peak = max(self.peak, sum(_rss_kb(p) for p in _tree(os.getpid())) / 1024)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in glob.glob(f"/proc/{p}/task/*/children"):
            with contextlib.suppress(OSError), open(task) as fh:
                todo.extend(int(c) for c in fh.read().split())
    return out


def _rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    r = fn()
    return time.perf_counter() - t, r


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
