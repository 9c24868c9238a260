"""Timing and memory of one step, each measured in a fresh process so peak RSS is its own.

An import starts processes of its own (the reader, the spool's writer), so the peak is of the
whole tree: this (the driving) process samples the resident memory of the step's process and
all its descendants every 10 ms and keeps the largest sum. The sampling runs here, not in a
thread of the measured process: there it took the GIL from the job a hundred times a second and
cost it about a fifth of its time at a million annotations.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import subprocess
import sys
import time
from typing import Any

_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def in_subprocess(module: str, func: str, *args: str) -> dict[str, Any]:
    """Run ``module.func(*args)`` in a new interpreter; returns its result plus seconds and peak RSS."""
    code = (
        "import json,resource,sys,time,importlib\n"
        f"m = importlib.import_module({module!r})\n"
        "t = time.perf_counter()\n"
        f"r = m.{func}(*sys.argv[1:])\n"
        "dt = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'seconds': dt, 'self_rss_mb': rss, 'result': r}))\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, tree_rss_mb(proc.pid))
            time.sleep(0.01)
        out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(err)
    got: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    got["peak_rss_mb"] = max(peak, got["self_rss_mb"])
    return got


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, now."""
    return sum(_rss_kb(p) for p in _tree(pid)) / 1024


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
    with contextlib.suppress(OSError, IndexError, ValueError), open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * _PAGE_KB
    return 0
