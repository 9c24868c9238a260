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
# the step's processes are looked for every tenth sample, their memory read at every one (from
# files kept open): walking the tree and opening the files each time cost a tenth of a core, taken
# from an import whose three processes fill both cores (the single-process floor lost nothing)
_TREE_EVERY = 10


def in_subprocess(module: str, func: str, *args: str) -> dict[str, Any]:
    """Run ``module.func(*args)`` in a new interpreter; returns its result plus seconds, peak RSS
    and CPU seconds over the same span: of the process and of the children it waited for (an
    import's reader and writer; not a database server), the children's also on their own."""
    code = (
        "import json,resource,sys,time,importlib\n"
        f"m = importlib.import_module({module!r})\n"
        "def cpu(who):\n"
        "    u = resource.getrusage(who)\n"
        "    return u.ru_utime + u.ru_stime\n"
        "me, kids = resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN\n"
        "c0, k0, t = cpu(me), cpu(kids), time.perf_counter()\n"
        f"r = m.{func}(*sys.argv[1:])\n"
        "dt = time.perf_counter() - t\n"
        "c, k = cpu(me) - c0, cpu(kids) - k0\n"
        "rss = resource.getrusage(me).ru_maxrss / 1024\n"
        "out = {'seconds': dt, 'cpu_seconds': c + k, 'cpu_children': k, 'self_rss_mb': rss, 'result': r}\n"
        "print(json.dumps(out))\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        peak, polls, statm = 0.0, 0, _Statm()
        try:
            while proc.poll() is None:
                if polls % _TREE_EVERY == 0:
                    statm.follow(_tree(proc.pid))
                peak = max(peak, statm.rss_mb())
                polls += 1
                time.sleep(0.01)
        finally:
            statm.follow([])
        out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(err)
    got: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    got["peak_rss_mb"] = max(peak, got["self_rss_mb"])
    return got


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in glob.glob(f"/proc/{p}/task/*/children"):
            with contextlib.suppress(OSError), open(task) as fh:
                todo.extend(int(c) for c in fh.read().split())
    return out


class _Statm:
    """The resident memory of a set of processes, each one's ``statm`` kept open and read again
    in place (a fraction of the cost of opening it at every sample)."""

    def __init__(self) -> None:
        self.fds: dict[int, int] = {}

    def follow(self, pids: list[int]) -> None:
        for pid in set(self.fds) - set(pids):
            os.close(self.fds.pop(pid))
        for pid in pids:
            if pid not in self.fds:
                with contextlib.suppress(OSError):
                    self.fds[pid] = os.open(f"/proc/{pid}/statm", os.O_RDONLY)

    def rss_mb(self) -> float:
        kb = 0
        for fd in self.fds.values():
            with contextlib.suppress(OSError, IndexError, ValueError):  # the process has ended
                kb += int(os.pread(fd, 128, 0).split()[1]) * _PAGE_KB
        return kb / 1024
