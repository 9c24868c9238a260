"""A real labelport server (and, on PostgreSQL, a worker) as subprocesses on loopback, for the
API and SDK tests: they talk to it over HTTP only, as a user's script would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from labelport import Workspace

LABELPORT = [sys.executable, "-m", "labelport.cli.main"]
UPLOAD_LIMIT = 4_000_000  # LABELPORT_MAX_UPLOAD_BYTES of the test servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    db_url: str
    root: Path  # LABELPORT_ROW_ROOTS: files the server may add by path
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)  # scope -> secret

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _env(tmp: Path, extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABELPORT_")}
    env.update(
        {
            "LABELPORT_STORAGE": str(tmp / "storage"),
            "LABELPORT_SPOOL": str(tmp / "spool"),
            "LABELPORT_ROW_ROOTS": str(tmp / "assets"),
            "LABELPORT_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def running_server(db_url: str, tmp: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``labelport --db URL serve`` on a free port, with a token of each scope; on PostgreSQL a
    ``labelport worker`` runs the queued imports."""
    (tmp / "assets").mkdir(parents=True, exist_ok=True)
    with Workspace(db_url, create=True) as ws:
        tokens = {s: ws.create_token(s, name=f"test-{s}").token for s in ("read", "import", "admin")}
    port = free_port()
    log = tmp / "server.log"
    full_env = _env(tmp, env)
    procs: list[subprocess.Popen[bytes]] = []
    with log.open("wb") as out:
        procs.append(
            subprocess.Popen(
                [*LABELPORT, "--db", db_url, "serve", "--port", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=full_env,
            )
        )
        if db_url.startswith("postgresql"):
            procs.append(
                subprocess.Popen(
                    [*LABELPORT, "--db", db_url, "worker"], stdout=out, stderr=subprocess.STDOUT, env=full_env
                )
            )
        server = Server(f"http://127.0.0.1:{port}", db_url, tmp / "assets", log, tokens)
        try:
            _wait_up(server, procs[0])
            yield server
        finally:
            for proc in procs:
                _stop(proc)


def _wait_up(server: Server, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{server.log_text()}")
        try:
            if httpx.get(server.url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not come up:\n{server.log_text()}")
