"""Geospatial tiles: rows from a manifest (the tile layer described with the Labelbox SDK's own
TiledImageData), NDJSON written by the real SDK in longitude/latitude, shapes checked against the
layer's bounds, and an NDJSON export that imports back to the same labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from labelport import Workspace
from tests.jobs.conftest import write_ndjson
from tests.jobs.scenes import canon, refused, succeeded

lb = pytest.importorskip("labelbox.types")
serialization = pytest.importorskip("labelbox.data.serialization")

ONTOLOGY = {
    "tools": [
        {"name": "tree", "tool": "point"},
        {
            "name": "building",
            "tool": "rectangle",
            "classifications": [
                {"name": "use", "type": "radio", "options": [{"value": "home"}, {"value": "shop"}]}
            ],
        },
        {"name": "field", "tool": "polygon"},
        {"name": "road", "tool": "line"},
        {"name": "flood", "tool": "raster-segmentation"},
    ],
    "classifications": [{"name": "cloudy", "type": "radio", "options": [{"value": "yes"}, {"value": "no"}]}],
}


def tile_data(key: str) -> Any:
    """A tile layer over Mexico City, as the SDK describes one (x = longitude, y = latitude)."""
    return lb.TiledImageData(
        global_key=key,
        tile_layer=lb.TileLayer(url="https://tiles.example.com/{z}/{x}/{y}.png"),
        tile_bounds=lb.TiledBounds(
            epsg=lb.EPSG.EPSG4326, bounds=[lb.Point(x=-99.22, y=19.39), lb.Point(x=-99.19, y=19.42)]
        ),
        zoom_levels=[12, 20],
    )


def manifest_entry(data: Any) -> dict[str, Any]:
    (x0, y0), (x1, y1) = [(p.x, p.y) for p in data.tile_bounds.bounds]
    return {
        "global_key": data.global_key,
        "media_type": "TMS_GEO",
        **data.tile_layer.asdict(),  # tileLayerUrl, Labelbox's spelling
        "bounds": [[x0, y0], [x1, y1]],
        "minZoom": data.zoom_levels[0],
        "maxZoom": data.zoom_levels[1],
        "epsg": data.tile_bounds.epsg.name,
    }


@pytest.fixture
def geo(ws: Workspace, tmp_path: Path) -> Workspace:
    manifest = tmp_path / "rows.json"
    manifest.write_text(json.dumps([manifest_entry(tile_data(k)) for k in ("geo-1", "geo-2")]))
    ws.create_dataset("tiles")
    ws.add_manifest("tiles", manifest)
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="geospatial")
    ws.create_batch("p", "b", dataset="tiles")
    return ws


def sdk_lines() -> list[dict[str, Any]]:
    t = lb
    label = t.Label(
        data={"global_key": "geo-1"},  # 7.x labels name the row; the layer is the row's
        annotations=[
            t.ObjectAnnotation(name="tree", value=t.Point(x=-99.21, y=19.4)),
            t.ObjectAnnotation(
                name="building",
                value=t.Rectangle(start=t.Point(x=-99.215, y=19.405), end=t.Point(x=-99.205, y=19.401)),
                classifications=[
                    t.ClassificationAnnotation(
                        name="use", value=t.Radio(answer=t.ClassificationAnswer(name="shop"))
                    )
                ],
            ),
            t.ObjectAnnotation(
                name="field",
                value=t.Polygon(
                    points=[
                        t.Point(x=-99.21, y=19.40),
                        t.Point(x=-99.20, y=19.40),
                        t.Point(x=-99.20, y=19.41),
                    ]
                ),
            ),
            t.ObjectAnnotation(
                name="road", value=t.Line(points=[t.Point(x=-99.22, y=19.39), t.Point(x=-99.19, y=19.42)])
            ),
            t.ClassificationAnnotation(
                name="cloudy", value=t.Radio(answer=t.ClassificationAnswer(name="no"))
            ),
        ],
    )
    return [
        msgspec.json.decode(msgspec.json.encode(x)) for x in serialization.NDJsonConverter.serialize([label])
    ]


def test_manifest_rows_carry_the_checked_tile_layer(geo: Workspace) -> None:
    row = geo.row("geo-1")
    assert row.media_type.value == "geospatial"
    assert row.metadata == {
        "tile_layer_url": "https://tiles.example.com/{z}/{x}/{y}.png",
        "bounds": [[-99.22, 19.39], [-99.19, 19.42]],
        "min_zoom": 12,
        "max_zoom": 20,
        "epsg": "EPSG4326",
    }


def test_sdk_payload_imports_in_lng_lat(geo: Workspace, tmp_path: Path) -> None:
    lines = sdk_lines()
    succeeded(geo, "p", write_ndjson(tmp_path / "sdk.ndjson", lines), "ndjson")
    by_name = {a.name: a for a in geo.labels("p")["geo-1"]}
    assert by_name["tree"].geometry == [-99.21, 19.4]
    x, y, w, h = by_name["building"].geometry
    assert (x, y) == (-99.215, 19.401) and w > 0 and h > 0
    assert by_name["field"].geometry[0][:2] == [-99.21, 19.40]
    assert by_name["cloudy"].answer.value.name == "no"  # type: ignore[union-attr]


def test_notebook_box_with_a_negative_height_is_the_same_box(geo: Workspace, tmp_path: Path) -> None:
    """Labelbox's hand-written geo example gives the northern latitude as `top` and a negative height."""
    sdk = next(line for line in sdk_lines() if "bbox" in line)
    b = sdk["bbox"]
    north = {**b, "top": b["top"] + b["height"], "height": -b["height"]}
    line = {**sdk, "uuid": "00000000-0000-4000-8000-000000000001", "bbox": north}
    succeeded(geo, "p", write_ndjson(tmp_path / "nb.ndjson", [line]), "ndjson")
    (ann,) = geo.labels("p")["geo-1"]
    assert ann.geometry[:2] == [b["left"], b["top"]]
    assert ann.geometry[3] == pytest.approx(b["height"])


def test_ndjson_export_round_trip(geo: Workspace, tmp_path: Path) -> None:
    succeeded(geo, "p", write_ndjson(tmp_path / "sdk.ndjson", sdk_lines()), "ndjson")
    out = tmp_path / "out.ndjson"
    summary = geo.export("p", out, format="ndjson")
    assert summary.annotations == 5 and summary.not_expressible == []
    written = [json.loads(x) for x in out.read_text().splitlines()]
    assert next(x for x in written if x["name"] == "tree")["point"] == {"x": -99.21, "y": 19.4}
    geo.create_project("p2", ontology="o", media_type="geospatial")
    geo.create_batch("p2", "b", dataset="tiles")
    succeeded(geo, "p2", out, "ndjson")
    assert canon(geo.labels("p2")) == canon(geo.labels("p"))


def _one(line: dict[str, Any], geo: Workspace, tmp_path: Path) -> list[str]:
    line = {"uuid": "00000000-0000-4000-8000-000000000009", "dataRow": {"globalKey": "geo-1"}, **line}
    return refused(geo, "p", write_ndjson(tmp_path / "bad.ndjson", [line]), "ndjson")


def test_point_outside_the_layer(geo: Workspace, tmp_path: Path) -> None:
    assert _one({"name": "tree", "point": {"x": -99.3, "y": 19.4}}, geo, tmp_path) == ["out_of_bounds"]


def test_lat_lng_swapped(geo: Workspace, tmp_path: Path) -> None:
    line = {"name": "road", "line": [{"x": 19.4, "y": -99.21}, {"x": 19.41, "y": -99.2}]}
    assert _one(line, geo, tmp_path) == ["out_of_bounds"]


def test_box_without_area(geo: Workspace, tmp_path: Path) -> None:
    line = {"name": "building", "bbox": {"top": 19.4, "left": -99.21, "height": 0, "width": 0.01}}
    assert _one(line, geo, tmp_path) == ["degenerate_geometry"]


def test_polygon_of_two_points(geo: Workspace, tmp_path: Path) -> None:
    line = {
        "name": "field",
        "polygon": [{"x": -99.21, "y": 19.4}, {"x": -99.2, "y": 19.4}, {"x": -99.21, "y": 19.4}],
    }
    assert _one(line, geo, tmp_path) == ["degenerate_geometry"]


def test_no_masks_on_tiles(geo: Workspace, tmp_path: Path) -> None:
    line = {"name": "flood", "mask": {"counts": [0, 4], "size": [2, 2]}}
    assert _one(line, geo, tmp_path) == ["wrong_media_type"]
