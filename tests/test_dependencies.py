"""Every third-party package the source imports is a declared runtime dependency.

The test extra pulls in many packages (Labelbox's SDK, Datumaro, schemathesis), so a module that
imports something only they bring still passes the suite and then fails on a plain
`pip install -e .` (jinja2 for the web pages did). This reads the imports themselves."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> set[str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return {_norm(re.split(r"[\[<>=!~; ]", d, maxsplit=1)[0]) for d in deps}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported() -> dict[str, str]:
    """Top-level module name -> the first file importing it, for every absolute import in src."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "src" / "labelport").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_every_imported_package_is_a_runtime_dependency() -> None:
    declared = _declared()
    dists = packages_distributions()
    missing = []
    for module, where in _imported().items():
        if module == "labelport" or module in sys.stdlib_module_names or module == "__future__":
            continue
        owners = {_norm(d) for d in dists.get(module, [module])}
        if not owners & declared:
            missing.append(f"{module} ({where}; from {sorted(owners)})")
    assert missing == [], f"imported but not in [project] dependencies: {missing}"


def test_every_data_file_ships_in_the_package() -> None:
    """Templates, static files and samples are package data: an editable install finds them in the
    tree either way, a wheel only when `[tool.setuptools.package-data]` names them."""
    from fnmatch import fnmatch

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = conf["tool"]["setuptools"]["package-data"]["labelport"]
    base = ROOT / "src" / "labelport"
    data = [
        p.relative_to(base).as_posix()
        for p in base.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    unshipped = [f for f in data if not any(fnmatch(f, g) for g in globs)]
    assert data and unshipped == []
