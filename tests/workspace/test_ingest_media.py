"""Ingest of the media types that are not one file each: image sequences and point-cloud scenes (a
folder of frames is one row) and geospatial tile layers (a manifest entry, checked field by field)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labelport import InvalidInputError, Workspace
from tests.media.assets import make_garbage, make_image, make_kitti_bin, make_pcd, make_scene

CLOUD = np.array([[0, 0, 0, 1], [1, 2, 3, 1]], dtype=np.float32)


def keys(ws: Workspace) -> list[str]:
    return sorted(r.global_key for r in ws.rows("d"))


def test_scene_folders_below_the_root_given(ws: Workspace, tmp_path: Path) -> None:
    root = tmp_path / "drives"
    make_scene(root / "day" / "a", ["2.jpg", "1.jpg"])
    make_scene(root / "day" / "b", ["1.png"])
    make_scene(root / ".cache" / "c", ["1.png"])  # hidden: not a scene
    ws.create_dataset("d")
    res = ws.add_rows("d", [root], media_type="image_sequence")
    assert (res.added, res.skipped) == (2, [])
    assert keys(ws) == ["/day/a", "/day/b"]
    a = ws.row("/day/a")
    assert (a.parent_path, a.filename, a.media_type.value) == ("/day", "a", "image_sequence")
    assert [f["filename"] for f in a.metadata["frames"]] == ["1.jpg", "2.jpg"]


def test_a_scene_folder_given_itself_is_keyed_by_its_name(ws: Workspace, tmp_path: Path) -> None:
    make_scene(tmp_path / "scene_7", ["0001.jpg"])
    ws.create_dataset("d")
    ws.add_rows("d", [tmp_path / "scene_7"], media_type="sequence_image")
    assert keys(ws) == ["/scene_7"]


def test_a_file_is_not_an_image_sequence(ws: Workspace, tmp_path: Path) -> None:
    ws.create_dataset("d")
    with pytest.raises(InvalidInputError, match="folder of frames") as err:
        ws.add_rows("d", [make_image(tmp_path / "a.jpg")], media_type="image_sequence")
    assert err.value.code == "wrong_media_type"


def test_point_cloud_folders_are_scenes_and_files_are_single_clouds(ws: Workspace, tmp_path: Path) -> None:
    root = tmp_path / "lidar"
    (root / "seq").mkdir(parents=True)
    make_pcd(root / "seq" / "10.pcd", CLOUD, data="ascii")
    make_kitti_bin(root / "seq" / "9.bin", CLOUD * 2)
    ws.create_dataset("d")
    ws.add_rows("d", [root, make_pcd(tmp_path / "one.pcd", CLOUD, data="binary")], media_type="lidar")
    assert keys(ws) == ["/one.pcd", "/seq"]
    scene = next(r for r in ws.rows("d") if r.filename == "seq")
    assert scene.metadata == {
        "frames": [
            {"filename": "9.bin", "point_count": 2, "bounds": [0.0, 0.0, 0.0, 2.0, 4.0, 6.0]},
            {"filename": "10.pcd", "point_count": 2, "bounds": [0.0, 0.0, 0.0, 1.0, 2.0, 3.0]},
        ],
        "frame_count": 2,
    }
    single = next(r for r in ws.rows("d") if r.filename == "one.pcd")
    assert single.metadata["point_count"] == 2 and "frames" not in single.metadata


def test_a_bad_frame_fails_its_scene(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "seq").mkdir()
    make_pcd(tmp_path / "seq" / "1.pcd", CLOUD, data="ascii")
    make_garbage(tmp_path / "seq" / "2.pcd")
    ws.create_dataset("d")
    res = ws.add_rows("d", [tmp_path / "seq"], media_type="point_cloud")
    assert res.added == 0 and len(res.skipped) == 1
    assert "frame 2.pcd: not a valid PCD" in res.skipped[0].reason
    with pytest.raises(InvalidInputError, match=r"frame 2\.pcd"):
        ws.add_rows("d", [tmp_path / "seq"], media_type="point_cloud", strict=True)
    assert keys(ws) == []


# --- geospatial tile layers ------------------------------------------------------------------


def tile(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "global_key": "mx-city",
        "media_type": "geospatial",
        "tile_layer_url": "https://tiles.example.com/{z}/{x}/{y}.png",
        "bounds": [[-99.19, 19.42], [-99.22, 19.39]],  # any two opposite corners
        "min_zoom": 12,
        "max_zoom": 20,
        "epsg": "EPSG:3857",
    }
    entry.update(changes)
    return {k: v for k, v in entry.items() if v is not None}


def add(ws: Workspace, tmp_path: Path, entries: list[dict[str, Any]]) -> None:
    manifest = tmp_path / "rows.json"
    manifest.write_text(json.dumps(entries))
    ws.add_manifest("d", manifest)


def test_tile_layer_row(ws: Workspace, tmp_path: Path) -> None:
    ws.create_dataset("d")
    add(ws, tmp_path, [tile(tags=["city"])])
    row = ws.row("mx-city")
    assert row.uri == "https://tiles.example.com/{z}/{x}/{y}.png"
    assert row.metadata == {
        "tile_layer_url": "https://tiles.example.com/{z}/{x}/{y}.png",
        "bounds": [[-99.22, 19.39], [-99.19, 19.42]],
        "min_zoom": 12,
        "max_zoom": 20,
        "epsg": "EPSG3857",
    }


def test_tile_layer_from_a_csv_manifest(ws: Workspace, tmp_path: Path) -> None:
    manifest = tmp_path / "rows.csv"
    manifest.write_text(
        "global_key,media_type,tile_layer_url,bounds,min_zoom,max_zoom\n"
        'a,TMS_GEO,https://t.example/{z}/{x}/{y}.png,"[[1, 2], [3, 4]]",3,9\n'
    )
    ws.create_dataset("d")
    ws.add_manifest("d", manifest)
    meta = ws.row("a").metadata
    assert (meta["bounds"], meta["min_zoom"], meta["max_zoom"], meta["epsg"]) == (
        [[1, 2], [3, 4]],
        3,
        9,
        "EPSG4326",
    )


@pytest.mark.parametrize(
    ("changes", "code", "where"),
    [
        ({"tile_layer_url": None}, "missing_field", "#/1: a geospatial row needs `tile_layer_url`"),
        ({"tile_layer_url": "tiles/{z}"}, "wrong_type", "#/1: `tile_layer_url` must be an http(s) URL"),
        ({"bounds": None}, "missing_field", "#/1/bounds"),
        ({"bounds": [[-99.2, 19.4]]}, "wrong_type", "#/1/bounds: `bounds` must be two corners"),
        ({"bounds": [[19.39, -99.22], [19.42, -99.19]]}, "out_of_bounds", "#/1/bounds/0/1: latitude -99.22"),
        ({"bounds": [[-190, 0], [0, 1]]}, "out_of_bounds", "#/1/bounds/0/0: longitude -190"),
        ({"bounds": [[1, 2], [1, 3]]}, "degenerate_geometry", "#/1/bounds: the bounds have no area"),
        ({"min_zoom": 21}, "invalid_value", "#/1: `min_zoom` 21 is above `max_zoom` 20"),
        ({"max_zoom": 2.5}, "wrong_type", "#/1/max_zoom"),
        ({"epsg": "SIMPLEPIXEL"}, "invalid_value", "#/1/epsg: unsupported projection"),
        ({"global_key": None}, "missing_field", "#/1: a geospatial row needs `global_key`"),
    ],
)
def test_tile_layer_errors_are_located_and_change_nothing(
    ws: Workspace, tmp_path: Path, changes: dict[str, Any], code: str, where: str
) -> None:
    ws.create_dataset("d")
    with pytest.raises(InvalidInputError) as err:
        add(ws, tmp_path, [tile(global_key="fine"), tile(**changes)])
    assert err.value.code == code
    assert f"rows.json{where}" in err.value.message
    assert keys(ws) == []


def test_swapped_bounds_hint(ws: Workspace, tmp_path: Path) -> None:
    ws.create_dataset("d")
    with pytest.raises(InvalidInputError) as err:
        add(ws, tmp_path, [tile(bounds=[[19.39, -99.22], [19.42, -99.19]])])
    assert err.value.hint is not None and "(lat, lng)" in err.value.hint


def test_tile_layers_are_not_files(ws: Workspace, tmp_path: Path) -> None:
    ws.create_dataset("d")
    with pytest.raises(InvalidInputError, match="tile layers") as err:
        ws.add_rows("d", [make_image(tmp_path / "a.png")], media_type="TMS_GEO")
    assert err.value.code == "wrong_media_type" and err.value.hint is not None
    assert "manifest" in err.value.hint
