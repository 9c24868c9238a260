"""Every command has help text with a purpose, and the README walks through every command group."""

from __future__ import annotations

from pathlib import Path

import typer.main

from labelport.cli.main import app

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def _commands(group: object, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for name, cmd in getattr(group, "commands", {}).items():
        full = f"{prefix} {name}".strip()
        out.append((full, cmd))
        out.extend(_commands(cmd, full))
    return out


def test_every_command_has_help_and_is_in_readme() -> None:
    root = typer.main.get_command(app)
    commands = _commands(root)
    assert len(commands) >= 15
    for name, cmd in commands:
        assert (getattr(cmd, "help", None) or "").strip(), f"`labelport {name}` has no help text"
        assert f"labelport {name}" in README or f"labelport --json {name}" in README, (
            f"`labelport {name}` is not in the README"
        )
