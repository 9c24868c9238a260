from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelport.cli.main import main


def test_demo_builds_and_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "demo", "--dir", str(tmp_path / "demo")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["rows_added"] == 4
    assert doc["job"]["state"] == "succeeded" and doc["job"]["counts"]["annotations_imported"] == 13
    assert doc["project"]["task_counts"]["done"] == 4
    assert (tmp_path / "demo" / "labelport.db").exists()
