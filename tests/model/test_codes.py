"""The issue-code page is generated from the catalogue, and every code the code base reports is in it."""

from __future__ import annotations

import re
from pathlib import Path

from labelport.model.codes_doc import render
from labelport.model.issues import CODES

ROOT = Path(__file__).parents[2]


def test_page_is_current() -> None:
    page = (ROOT / "docs" / "issue-codes.md").read_text(encoding="utf-8")
    assert page == render(), "run: python -m labelport.model.codes_doc > docs/issue-codes.md"


def test_every_reported_code_is_catalogued() -> None:
    pattern = re.compile(r"""(?:issue|report|_Bad)\(\s*"([a-z_]+)\"""")
    used: set[str] = set()
    for path in (ROOT / "src" / "labelport").rglob("*.py"):
        used.update(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "the pattern found no codes; update it"
    missing = sorted(used - set(CODES))
    assert not missing, f"codes reported but not in CODES: {missing}"
