"""Imports point down (../shared/DESIGN.md, "Layers"): model imports nothing of ours; formats,
validate, store and media import only model; jobs imports those; workspace imports jobs and below;
the faces sit on top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "labelport"

ALLOWED: dict[str, set[str]] = {
    "model": {"model"},
    "formats": {"model", "formats"},
    "validate": {"model", "validate"},
    "store": {"model", "store"},
    "media": {"model", "media"},
    "jobs": {"model", "formats", "validate", "store", "media", "jobs"},
    "workspace": {"model", "formats", "validate", "store", "media", "jobs", "workspace"},
    "sdk": {"model", "formats", "sdk"},  # formats: label objects become NDJSON, as in the workspace
    "api": {"model", "formats", "validate", "store", "media", "jobs", "workspace", "api", "web"},
    "web": {"model", "workspace", "api", "web"},
    "cli": {"model", "formats", "workspace", "sdk", "cli", "media"},
}


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "labelport" else None


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path: Path) -> None:
    rel = path.relative_to(SRC)
    layer = rel.parts[0] if len(rel.parts) > 1 else None
    if layer is None or layer not in ALLOWED or "migrations" in rel.parts:
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if name == "labelport":
                pytest.fail(f"{rel} imports the top-level package; import the layer module instead")
            target = _layer_of(name)
            if target is not None:
                assert target in ALLOWED[layer], f"{rel} ({layer}) imports {name} ({target})"
