"""Real ``labelport worker`` processes for tests, started and stopped by pid (never by name)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa


class Worker:
    def __init__(
        self, url: str, log: Path, *, heartbeat: float = 0.5, env: dict[str, str] | None = None
    ) -> None:
        self.log = log
        with log.open("wb") as fh:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "labelport.cli.main",
                    "--db",
                    url,
                    "worker",
                    "--heartbeat",
                    str(heartbeat),
                ],
                env={**os.environ, **(env or {})},
                stdout=fh,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, as a supervisor would: procrastinate finishes and exits."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, on_fail: Callable[[], str] = str
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}\n{on_fail()}")


def job_state(engine: sa.Engine, job_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT state FROM import_jobs WHERE id = :j"), {"j": job_id}).scalar()


def queue_worker_of(engine: sa.Engine, job_id: int) -> int | None:
    """procrastinate's worker id for the queue entry of a labelport job (None while not taken)."""
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT worker_id FROM procrastinate_jobs WHERE (args->>'job_id')::int = :j "
                "AND status = 'doing'"
            ),
            {"j": job_id},
        ).scalar()
