"""The helpers the foreign formats share (formats/common.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelport.formats.base import ExportRow
from labelport.formats.common import (
    esc,
    is_num,
    jtype,
    prepare_output,
    safe_parts,
    safe_rel,
    shown,
    to_json,
    walk,
)
from labelport.model.errors import InvalidInputError
from labelport.model.records import RowRef

# --- prepare_output --------------------------------------------------------------------------------


def test_missing_dir_is_created_with_parents(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"
    assert prepare_output(out, kind="dir") == out
    assert out.is_dir()


def test_existing_empty_dir_is_used(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert prepare_output(out, kind="dir") == out


def test_non_empty_dir_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".hidden").write_text("x")  # a hidden file counts: nothing is mixed in
    with pytest.raises(InvalidInputError) as exc:
        prepare_output(out, kind="dir")
    assert exc.value.code == "output_exists"
    assert exc.value.hint == "choose a new path or empty it"
    assert "not empty" in exc.value.message
    assert (out / ".hidden").read_text() == "x"


def test_existing_file_is_refused_as_dir_and_as_file(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("old")
    for kind in ("dir", "file"):
        with pytest.raises(InvalidInputError) as exc:
            prepare_output(out, kind=kind)
        assert exc.value.code == "output_exists"
    assert out.read_text() == "old"


def test_file_target_makes_its_parent(tmp_path: Path) -> None:
    out = tmp_path / "new" / "deeper" / "out.json"
    assert prepare_output(out, kind="file") == out
    assert out.parent.is_dir() and not out.exists()


def test_file_target_that_is_a_dir_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.mkdir()
    with pytest.raises(InvalidInputError) as exc:
        prepare_output(out, kind="file")
    assert exc.value.code == "output_exists"
    assert "a folder" in exc.value.message


def test_a_file_in_the_way_of_the_parent_is_refused(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("x")
    for kind in ("dir", "file"):
        with pytest.raises(InvalidInputError) as exc:
            prepare_output(tmp_path / "blocker" / "out", kind=kind)
        assert exc.value.code == "output_exists"


def test_dangling_symlink_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "link"
    out.symlink_to(tmp_path / "nowhere")
    with pytest.raises(InvalidInputError) as exc:
        prepare_output(out, kind="file")
    assert exc.value.code == "output_exists"


# --- safe paths ------------------------------------------------------------------------------------


def _row(parent: str | None, filename: str | None, key: str | None = None) -> ExportRow:
    return ExportRow(
        ref=RowRef(parent_path=parent, filename=filename, global_key=key),
        media_type="image",
        metadata={},
        annotations=[],
    )


def test_safe_rel_and_parts() -> None:
    assert safe_rel(_row("/train/", "a.jpg")) == "train/a.jpg"
    assert safe_parts(_row("train/x", "a.jpg")) == ["train", "x", "a.jpg"]
    assert safe_rel(_row(None, None, key="k/b.png")) == "b.png"


@pytest.mark.parametrize(
    ("parent", "filename"), [("..", "a.jpg"), ("a/../..", "b.jpg"), ("", "."), (None, None), ("a//b", "c")]
)
def test_unsafe_paths_are_refused(parent: str | None, filename: str | None) -> None:
    with pytest.raises(ValueError, match="safe relative path"):
        safe_rel(_row(parent, filename))


# --- walking and JSON-message helpers ---------------------------------------------------------------


def test_walk_order_hidden_case_and_symlinks(tmp_path: Path) -> None:
    for rel in ("b.json", "a/z.JSON", "a/y.json", ".hidden/x.json", "a/.h.json", "c.xml", "a-b.json"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    found = [p.relative_to(tmp_path).as_posix() for p in walk(tmp_path, ".json")]
    assert found == ["a/y.json", "a/z.JSON", "a-b.json", "b.json"]
    exact = [p.relative_to(tmp_path).as_posix() for p in walk(tmp_path, ".json", ignore_case=False)]
    assert exact == ["a/y.json", "a-b.json", "b.json"]
    assert list(walk(tmp_path / "missing", ".json")) == []


def test_json_message_helpers() -> None:
    assert esc("a/b~c") == "a~1b~0c"
    values: list[object] = [None, True, 1, 1.5, "s", [], {}]
    assert [jtype(v) for v in values] == [
        "null",
        "boolean",
        "number",
        "number",
        "string",
        "array",
        "object",
    ]
    assert shown("x" * 300) == "x" * 200 + "…"
    assert shown([1, 2]) == "array" and shown(3) == 3 and shown(None) is None
    assert is_num(1) and is_num(1.5) and not is_num(True) and not is_num("1")


def test_to_json_writes_integers_beyond_64_bits_exactly_and_refuses_the_rest_as_orjson_does() -> None:
    """orjson (the writers' encoder) stops at 64 bits; an id a file gave beyond that is written
    as given, indented too, and what orjson refuses for any other reason is still refused."""
    big = 2**70 + 1
    assert (
        to_json({"id": big, "n": [-big, 0.5]})
        == b'{"id":1180591620717411303425,"n":[-1180591620717411303425,0.5]}'
    )
    assert to_json({"id": 2**63}) == b'{"id":9223372036854775808}'  # orjson's own, up to 2**64 - 1
    assert to_json({"a": [big]}, indent=True) == b'{\n  "a": [\n    1180591620717411303425\n  ]\n}'
    assert to_json({"a": [1]}, indent=True) == b'{\n  "a": [\n    1\n  ]\n}'
    with pytest.raises(TypeError):
        to_json({"a": {1, 2}})
