"""A labelport deployment for end-to-end tests: a fresh PostgreSQL schema, ``labelport serve`` and
any number of ``labelport worker`` processes, all real subprocesses on loopback, driven only over
HTTP with `labelport.Client`."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from labelport import Client, Workspace
from tests.api.server import LABELPORT, _env, _stop, _wait_up, free_port
from tests.api.server import Server as _Server
from tests.workers import Worker


@dataclass
class Cluster:
    db_url: str
    server: _Server
    tmp: Path
    env: dict[str, str]
    workers: list[Worker] = field(default_factory=list)

    def client(self) -> Client:
        return Client(self.server.url, self.server.tokens["import"], timeout=120)

    def add_worker(self, name: str, *, heartbeat: float = 0.5, env: dict[str, str] | None = None) -> Worker:
        w = Worker(
            self.db_url, self.tmp / f"{name}.log", heartbeat=heartbeat, env={**self.env, **(env or {})}
        )
        self.workers.append(w)
        return w

    def logs(self) -> str:
        parts = [f"--- server\n{self.server.log_text()}"]
        parts += [f"--- {w.log.name}\n{w.output()}" for w in self.workers]
        return "\n".join(parts)


@contextmanager
def cluster(db_url: str, tmp: Path, env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """The server on an empty database (the ``db_url`` fixture's PostgreSQL schema); workers are
    added by the test (`Cluster.add_worker`)."""
    (tmp / "assets").mkdir(parents=True, exist_ok=True)
    with Workspace(db_url, create=True) as ws:
        tokens = {s: ws.create_token(s, name=f"e2e-{s}").token for s in ("read", "import", "admin")}
    full_env = _env(tmp, env)
    port = free_port()
    log = tmp / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*LABELPORT, "--db", db_url, "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=full_env,
        )
    server = _Server(f"http://127.0.0.1:{port}", db_url, tmp / "assets", log, tokens)
    c = Cluster(db_url, server, tmp, full_env)
    try:
        _wait_up(server, proc)
        yield c
    finally:
        for w in c.workers:
            w.stop()
        _stop(proc)
