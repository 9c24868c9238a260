from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from labelport.cli.main import main

Run = Callable[..., tuple[int, Any, str]]


@pytest.fixture
def run(db_url: str, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``labelport --db URL --json ARGS`` in-process: (exit code, parsed stdout, stderr)."""

    def _run(*args: str, as_json: bool = True) -> tuple[int, Any, str]:
        argv = ["--db", db_url, *(["--json"] if as_json else []), *args]
        code = main(argv)
        captured = capsys.readouterr()
        data = json.loads(captured.out) if as_json and captured.out.strip() else captured.out
        return code, data, captured.err

    return _run
