from __future__ import annotations

import pathlib

import numpy as np
import pytest

from labelport.media import ProbeError, probe
from labelport.model.media import MediaType

from .assets import make_kitti_bin, make_pcd

POINTS = np.array(
    [
        [1.5, -2.0, 0.25, 0.1],
        [-3.0, 4.0, 1.0, 0.9],
        [0.5, 0.5, -1.75, 0.5],
    ],
    dtype=np.float32,
)
BOUNDS = [-3.0, -2.0, -1.75, 1.5, 4.0, 1.0]


@pytest.mark.parametrize("data", ["ascii", "binary"])
def test_pcd(tmp_path: pathlib.Path, data: str) -> None:
    path = make_pcd(tmp_path / f"{data}.pcd", POINTS, data=data)
    assert probe(path, MediaType.POINT_CLOUD) == {
        "point_count": 3,
        "bounds": BOUNDS,
        "fields": ["x", "y", "z", "intensity"],
    }


def test_pcd_bounds_skip_nan_points(tmp_path: pathlib.Path) -> None:
    cloud = np.vstack([POINTS, [[np.nan, np.nan, np.nan, 0.0]]])
    metadata = probe(make_pcd(tmp_path / "c.pcd", cloud, data="binary"), MediaType.POINT_CLOUD)
    assert (metadata["point_count"], metadata["bounds"]) == (4, BOUNDS)


def test_pcd_with_padding_and_packed_fields(tmp_path: pathlib.Path) -> None:
    # The layout PCL writes for PointXYZRGB: x y z, one padding float, rgb packed in a uint32.
    table = np.zeros(2, dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("_", "<f4"), ("rgb", "<u4")])
    table["x"], table["y"], table["z"] = [1, 2], [3, 4], [5, 6]
    header = (
        "VERSION .7\nFIELDS x y z _ rgb\nSIZE 4 4 4 4 4\nTYPE F F F F U\nCOUNT 1 1 1 1 1\n"
        "WIDTH 2\nHEIGHT 1\nPOINTS 2\nDATA binary\n"
    )
    path = tmp_path / "rgb.pcd"
    path.write_bytes(header.encode() + table.tobytes())
    assert probe(path, MediaType.POINT_CLOUD) == {
        "point_count": 2,
        "bounds": [1.0, 3.0, 5.0, 2.0, 4.0, 6.0],
        "fields": ["x", "y", "z", "rgb"],
    }


def test_truncated_binary_pcd(tmp_path: pathlib.Path) -> None:
    path = make_pcd(tmp_path / "t.pcd", POINTS, data="binary")
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ProbeError, match="data ends before 3 points"):
        probe(path, MediaType.POINT_CLOUD)


def test_ascii_pcd_with_missing_rows(tmp_path: pathlib.Path) -> None:
    path = make_pcd(tmp_path / "t.pcd", POINTS, data="ascii")
    path.write_bytes(path.read_bytes().rsplit(b"\n", 2)[0] + b"\n")
    with pytest.raises(ProbeError, match="header says 3 points, data has 2"):
        probe(path, MediaType.POINT_CLOUD)


def test_binary_compressed_pcd_is_unsupported(tmp_path: pathlib.Path) -> None:
    path = make_pcd(tmp_path / "c.pcd", POINTS, data="binary_compressed")
    with pytest.raises(ProbeError, match="unsupported PCD DATA 'binary_compressed'"):
        probe(path, MediaType.POINT_CLOUD)


def test_not_a_pcd(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "x.pcd"
    path.write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(ProbeError, match=r"^not a valid PCD: "):
        probe(path, MediaType.POINT_CLOUD)


def test_kitti_bin(tmp_path: pathlib.Path) -> None:
    path = make_kitti_bin(tmp_path / "000000.bin", POINTS)
    assert probe(path, MediaType.POINT_CLOUD) == {
        "point_count": 3,
        "bounds": BOUNDS,
        "fields": ["x", "y", "z", "intensity"],
    }


def test_kitti_bin_of_wrong_size(tmp_path: pathlib.Path) -> None:
    path = make_kitti_bin(tmp_path / "000001.bin", POINTS)
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(ProbeError, match="not a whole number of 16-byte points"):
        probe(path, MediaType.POINT_CLOUD)


def test_empty_kitti_bin(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    with pytest.raises(ProbeError, match="no points"):
        probe(path, MediaType.POINT_CLOUD)
