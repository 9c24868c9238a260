"""How foreign formats' image paths find rows: exact relative path first, then a unique basename."""

from __future__ import annotations

from labelport.model.ontology import Ontology
from labelport.model.snapshot import RowInfo, Snapshot


def _row(pk: int, parent: str, name: str) -> RowInfo:
    key = f"{parent.rstrip('/')}/{name}"
    return RowInfo(pk, f"u{pk}", key, "image", {}, parent, name, None, "not_started", None)


def _snap(*rows: RowInfo) -> Snapshot:
    return Snapshot(project_id=1, media_type="image", ontology=Ontology(), top_level_pk={}, rows=list(rows))


def test_a_top_level_file_is_not_made_ambiguous_by_a_nested_namesake() -> None:
    top, nested = _row(1, "/", "img-1.png"), _row(2, "/train", "img-1.png")
    s = _snap(top, nested)
    assert s.by_relpath["img-1.png"] is top
    assert s.by_relpath["train/img-1.png"] is nested


def test_a_basename_shared_by_two_nested_rows_is_ambiguous() -> None:
    a, b = _row(1, "/train", "x.png"), _row(2, "/val", "x.png")
    s = _snap(a, b)
    assert s.by_relpath["x.png"] is None
    assert s.by_relpath["val/x.png"] is b


def test_stems_match_without_extension_and_flag_clashes() -> None:
    a, b, c = _row(1, "/train", "a.jpg"), _row(2, "/train", "b.jpg"), _row(3, "/train", "b.png")
    s = _snap(a, b, c)
    assert s.by_relstem["train/a"] is a and s.by_relstem["a"] is a
    assert s.by_relstem["train/b"] is None
