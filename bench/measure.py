"""Timing and memory of one step, each measured in a fresh process so peak RSS is its own."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def in_subprocess(module: str, func: str, *args: str) -> dict[str, Any]:
    """Run ``module.func(*args)`` in a new interpreter; returns its result plus seconds and peak RSS."""
    code = (
        "import json,resource,sys,time,importlib\n"
        f"m = importlib.import_module({module!r})\n"
        "t = time.perf_counter()\n"
        f"r = m.{func}(*sys.argv[1:])\n"
        "dt = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'seconds': dt, 'peak_rss_mb': rss, 'result': r}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    r = fn()
    return time.perf_counter() - t, r


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
