"""labelport.formats.masks: exact against pycocotools and label-studio-converter where installed."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from labelport.formats import masks
from labelport.formats.masks import MaskError


def _pycocotools() -> Any:
    """pycocotools.mask (a test dependency); only the tests comparing against it skip without it."""
    return pytest.importorskip("pycocotools.mask")


# pycocotools.mask.decode trips numpy 2's __array__ copy-keyword deprecation inside its Cython code
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

Mask = npt.NDArray[np.bool_]

SHAPES = [(1, 1), (1, 7), (7, 1), (2, 3), (5, 5), (13, 31), (64, 48), (101, 257)]
DENSITIES = [0.0, 1.0, 0.5, 0.02, 0.98]


def _random(shape: tuple[int, int], density: float, seed: int = 0) -> Mask:
    result: Mask = np.random.default_rng(seed).random(shape) < density
    return result


def _blob(shape: tuple[int, int] = (1080, 1920)) -> Mask:
    """A large mask with a few shapes, a hole and noise at the edges, as real masks look."""
    h, w = shape
    m = np.zeros(shape, dtype=np.bool_)
    yy, xx = np.mgrid[:h, :w]
    m |= (yy - h * 0.5) ** 2 + (xx - w * 0.4) ** 2 < (h * 0.3) ** 2
    m &= ~((yy - h * 0.5) ** 2 + (xx - w * 0.4) ** 2 < (h * 0.1) ** 2)
    m[h // 10 : h // 5, w * 3 // 4 : w - 3] = True
    m[-1, :] = True
    m[:, 0] = True
    m ^= _random(shape, 0.001, seed=7)
    return m


def _coco(m: npt.NDArray[Any]) -> dict[str, Any]:
    result: dict[str, Any] = _pycocotools().encode(np.asfortranarray(m.astype(np.uint8)))
    return result


def _assert_like_pycocotools(m: Mask) -> None:
    ref = _coco(m)
    ours = masks.encode(m)
    assert ours == {"size": list(m.shape), "counts": ref["counts"].decode("ascii")}
    decoded = masks.decode(ours)
    assert decoded.dtype == np.bool_ and decoded.shape == m.shape and decoded.flags.c_contiguous
    np.testing.assert_array_equal(decoded, _pycocotools().decode(ref).astype(bool))
    np.testing.assert_array_equal(decoded, m)
    assert masks.area(ours) == int(_pycocotools().area(ref)) == int(m.sum())
    assert masks.bbox(ours) == _pycocotools().toBbox(ref).tolist()


# --------------------------------------------------------------------------------------------
# COCO RLE


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("density", DENSITIES)
def test_random_masks_match_pycocotools(shape: tuple[int, int], density: float) -> None:
    for seed in range(3):
        _assert_like_pycocotools(_random(shape, density, seed))


@pytest.mark.parametrize("shape", [(1080, 1920), (1920, 1080)])
def test_full_hd_masks_match_pycocotools(shape: tuple[int, int]) -> None:
    _assert_like_pycocotools(_blob(shape))
    _assert_like_pycocotools(_random(shape, 0.5))
    _assert_like_pycocotools(np.zeros(shape, dtype=np.bool_))
    _assert_like_pycocotools(np.ones(shape, dtype=np.bool_))


def test_bbox_of_runs_across_columns_and_single_pixels() -> None:
    m = np.zeros((6, 5), dtype=np.bool_)
    m[4:, 1] = True
    m[:2, 2] = True  # one run from column 1 into column 2: all rows
    _assert_like_pycocotools(m)
    single = np.zeros((6, 5), dtype=np.bool_)
    single[3, 2] = True
    assert masks.bbox(masks.encode(single)) == [2.0, 3.0, 1.0, 1.0]
    assert masks.bbox(masks.encode(np.zeros((3, 3)))) == [0.0, 0.0, 0.0, 0.0]


def test_large_counts_and_deltas_match_pycocotools() -> None:
    # long runs next to short ones: big positive and negative deltas against counts[i-2]
    m = np.zeros((3000, 3000), dtype=np.bool_)
    m[:, 1500:] = True
    m[5, 3] = m[2999, 10] = m[0, 2999] = False
    m[7, 7] = True
    _assert_like_pycocotools(m)


def test_encode_accepts_numeric_masks_nonzero_is_in() -> None:
    m = np.array([[0, 3, 255], [0, 0, 1]], dtype=np.uint8)
    assert masks.encode(m) == masks.encode(m != 0) == masks.encode(m.astype(np.int32))
    assert masks.encode(np.asfortranarray(m)) == masks.encode(m)
    assert masks.encode(m[:, ::-1]) == masks.encode(np.ascontiguousarray(m[:, ::-1]))
    assert masks.encode(m.tolist()) == masks.encode(m)


def test_decode_accepts_bytes_and_uncompressed_counts() -> None:
    m = _random((17, 23), 0.3)
    ref = _coco(m)
    np.testing.assert_array_equal(masks.decode(ref), m)
    uncompressed = masks.to_uncompressed(masks.encode(m))
    assert sum(uncompressed["counts"]) == m.size
    np.testing.assert_array_equal(masks.decode(uncompressed), m)
    np.testing.assert_array_equal(masks.decode({**uncompressed, "counts": tuple(uncompressed["counts"])}), m)
    np.testing.assert_array_equal(
        masks.decode({"size": (17, 23), "counts": np.asarray(uncompressed["counts"])}), m
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_from_uncompressed_matches_fr_py_objects(shape: tuple[int, int]) -> None:
    for density in DENSITIES:
        m = _random(shape, density)
        uncompressed = masks.to_uncompressed(masks.encode(m))
        h, w = shape
        ref = _pycocotools().frPyObjects(uncompressed, h, w)
        assert masks.from_uncompressed(uncompressed["counts"], [h, w]) == {
            "size": [h, w],
            "counts": ref["counts"].decode("ascii"),
        }
        # and pycocotools reads our uncompressed counts back to the same mask
        np.testing.assert_array_equal(_pycocotools().decode(ref).astype(bool), m)


def test_uncompressed_round_trip_is_canonical() -> None:
    m = _random((9, 11), 0.5)
    rle = masks.encode(m)
    assert masks.from_uncompressed(**masks.to_uncompressed(rle)) == rle
    first_set = np.ones((2, 2), dtype=np.bool_)
    assert masks.to_uncompressed(masks.encode(first_set)) == {"size": [2, 2], "counts": [0, 4]}
    assert masks.to_uncompressed(masks.encode(~first_set)) == {"size": [2, 2], "counts": [4]}


def test_zero_length_runs_are_merged_into_the_one_canonical_string() -> None:
    # 2 out, 0 in, 1 out, 3 in, 0 out, 0 in: the mask [0,0,0,1,1,1] (column-major, 3x2)
    counts = [2, 0, 1, 3, 0, 0]
    expected = masks.encode(np.array([[0, 1], [0, 1], [0, 1]], dtype=np.uint8))
    assert masks.from_uncompressed(counts, [3, 2]) == expected
    assert masks.to_uncompressed({"size": [3, 2], "counts": counts})["counts"] == [3, 3]
    # pycocotools keeps the zero runs in its string; we still decode that string exactly
    theirs = _pycocotools().frPyObjects({"size": [3, 2], "counts": counts}, 3, 2)
    assert theirs["counts"].decode() != expected["counts"]
    np.testing.assert_array_equal(masks.decode(theirs), _pycocotools().decode(theirs).astype(bool))
    assert masks.to_canonical(theirs) == expected
    assert masks.area(theirs) == 3
    assert masks.bbox(theirs) == _pycocotools().toBbox(expected).tolist()


# --------------------------------------------------------------------------------------------
# PNG


def _png(array: npt.NDArray[Any], mode: str | None = None, palette: list[int] | None = None) -> bytes:
    image = Image.fromarray(array)
    if mode is not None and image.mode != mode:
        image = image.convert(mode)
    if palette is not None:
        image.putpalette(palette)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_to_png_is_binary_mode_l_and_round_trips() -> None:
    m = _random((37, 53), 0.4)
    data = masks.to_png(m)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.mode == "L" and image.size == (53, 37)
        assert set(np.unique(np.asarray(image)).tolist()) <= {0, 255}
    np.testing.assert_array_equal(masks.from_png(data), m)
    np.testing.assert_array_equal(masks.from_png(data, (255, 255, 255)), m)


def test_from_png_single_channel_modes() -> None:
    m = _random((20, 30), 0.5)
    values = np.where(m, np.arange(600).reshape(20, 30) % 200 + 1, 0)
    np.testing.assert_array_equal(masks.from_png(_png(values.astype(np.uint8))), m)
    np.testing.assert_array_equal(masks.from_png(_png(m)), m)  # mode "1"
    np.testing.assert_array_equal(masks.from_png(_png((values * 300).astype(np.uint16))), m)  # 16-bit
    palette = [0, 0, 0] + [10, 20, 30] * 255
    indexed = _png(values.astype(np.uint8), palette=palette)
    with Image.open(io.BytesIO(indexed)) as image:
        assert image.mode == "P"
    np.testing.assert_array_equal(masks.from_png(indexed), m)
    gray_alpha = np.stack([values.astype(np.uint8), np.full((20, 30), 255, np.uint8)], axis=2)
    np.testing.assert_array_equal(masks.from_png(_png(gray_alpha)), m)


def test_from_png_rgb_any_channel_alpha_ignored() -> None:
    rgba = np.zeros((4, 5, 4), dtype=np.uint8)
    rgba[..., 3] = 255  # opaque black: out
    rgba[0, 0] = (1, 0, 0, 255)
    rgba[1, 2] = (0, 1, 0, 0)  # transparent but coloured: in
    rgba[3, 4] = (0, 0, 200, 17)
    expected = np.zeros((4, 5), dtype=np.bool_)
    expected[0, 0] = expected[1, 2] = expected[3, 4] = True
    np.testing.assert_array_equal(masks.from_png(_png(rgba)), expected)
    np.testing.assert_array_equal(masks.from_png(_png(rgba[..., :3].copy())), expected)


def _composite() -> tuple[npt.NDArray[np.uint8], dict[tuple[int, int, int], Mask]]:
    rgb = np.zeros((40, 60, 3), dtype=np.uint8)
    instances: dict[tuple[int, int, int], Mask] = {}
    for i, color in enumerate([(255, 0, 0), (0, 255, 0), (250, 50, 83), (255, 0, 1)]):
        m = np.zeros((40, 60), dtype=np.bool_)
        m[5 + i * 8 : 12 + i * 8, 3 + i * 11 : 20 + i * 11] = True
        m[0, i] = True
        rgb[m] = color
        instances[color] = m
    for color, m in instances.items():  # later instances painted over earlier ones
        instances[color] = m & np.all(rgb == color, axis=2)
    return rgb, instances


def test_composite_png_instances_by_color() -> None:
    rgb, instances = _composite()
    for data in (_png(rgb), _png(np.dstack([rgb, np.full((40, 60), 128, np.uint8)]))):
        assert masks.colors_in_png(data) == {(0, 0, 0), *instances}
        for color, m in instances.items():
            assert m.any()
            np.testing.assert_array_equal(masks.from_png(data, color), m)
            np.testing.assert_array_equal(masks.from_png(data, list(color)), m)
        assert not masks.from_png(data, (1, 2, 3)).any()
        np.testing.assert_array_equal(masks.from_png(data), rgb.any(axis=2))


def test_composite_palette_png_is_read_through_its_palette() -> None:
    rgb, instances = _composite()
    colors = [(0, 0, 0), *instances]
    index = np.zeros((40, 60), dtype=np.uint8)
    for i, color in enumerate(colors):
        index[np.all(rgb == color, axis=2)] = i
    palette = [c for color in colors for c in color]
    data = _png(index, palette=palette)
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "P"
    assert masks.colors_in_png(data) == set(colors)
    for color, m in instances.items():
        np.testing.assert_array_equal(masks.from_png(data, color), m)


def test_from_png_base64() -> None:
    m = _random((8, 9), 0.5)
    text = base64.b64encode(masks.to_png(m)).decode()
    np.testing.assert_array_equal(masks.from_png_base64(text), m)
    np.testing.assert_array_equal(masks.from_png_base64(text[:20] + "\n" + text[20:]), m)
    np.testing.assert_array_equal(masks.from_png_base64(text.encode(), (0, 0, 0)), ~m)


# --------------------------------------------------------------------------------------------
# polygons


def test_polygon_to_mask() -> None:
    m = masks.polygon_to_mask([[2, 1, 6, 1, 6, 4, 2, 4], [0.0, 7.0, 1.0, 7.0, 1.0, 8.0]], 10, 8)
    assert m.shape == (10, 8) and m.dtype == np.bool_
    expected = np.zeros((10, 8), dtype=np.bool_)
    expected[1:5, 2:7] = True
    np.testing.assert_array_equal(m[:6], expected[:6])
    assert m[7:9, 0:2].any() and not m[7:, 3:].any()
    assert not masks.polygon_to_mask([], 3, 3).any()


# --------------------------------------------------------------------------------------------
# CVAT


def test_cvat_rle_round_trip_off_origin_with_hole() -> None:
    m = np.zeros((30, 40), dtype=np.bool_)
    m[7:19, 11:26] = True
    m[10:14, 15:20] = False  # a hole
    m[7, 11] = False  # the box's first pixel is out
    counts, left, top, width, height = masks.to_cvat_rle(m)
    assert (left, top, width, height) == (11, 7, 15, 12)
    assert sum(counts) == width * height and counts[0] == 1
    box = np.repeat(np.arange(len(counts)) % 2 == 1, counts).reshape(height, width)  # row-major
    np.testing.assert_array_equal(box, m[7:19, 11:26])
    np.testing.assert_array_equal(masks.from_cvat_rle(counts, left, top, width, height, 30, 40), m)


def test_cvat_rle_first_pixel_in_starts_with_zero_run() -> None:
    m = np.zeros((5, 6), dtype=np.bool_)
    m[1, 2:4] = True
    m[2, 2] = True
    assert masks.to_cvat_rle(m) == ([0, 3, 1], 2, 1, 2, 2)
    np.testing.assert_array_equal(masks.from_cvat_rle([0, 3, 1], 2, 1, 2, 2, 5, 6), m)
    full = np.ones((3, 4), dtype=np.bool_)
    assert masks.to_cvat_rle(full) == ([0, 12], 0, 0, 4, 3)
    np.testing.assert_array_equal(masks.from_cvat_rle([0, 12], 0, 0, 4, 3, 3, 4), full)


# --------------------------------------------------------------------------------------------
# Label Studio


def _brush() -> Any:
    return pytest.importorskip("label_studio_converter.brush")


# label-studio-converter 0.0.59 brush.mask2rle(m * 255) of this mask
GOLDEN_MASK = np.array([[0, 1, 1, 0], [0, 1, 0, 0], [1, 1, 1, 1]], dtype=np.bool_)
GOLDEN_RLE = [0, 0, 0, 48, 57, 27, 252, 96, 19, 255, 206, 1, 31, 252, 224, 23, 255, 192]


def test_labelstudio_golden_vector() -> None:
    assert masks.to_labelstudio_rle(GOLDEN_MASK) == GOLDEN_RLE
    np.testing.assert_array_equal(masks.from_labelstudio_rle(GOLDEN_RLE, 3, 4), GOLDEN_MASK)
    np.testing.assert_array_equal(masks.from_labelstudio_rle(bytes(GOLDEN_RLE), 3, 4), GOLDEN_MASK)


@pytest.mark.parametrize(
    "make",
    [
        lambda: _random((1, 1), 1.0),
        lambda: _random((1, 1), 0.0),
        lambda: _random((13, 31), 0.5),
        lambda: _random((64, 48), 0.05),
        lambda: np.ones((300, 400), dtype=np.bool_),  # runs longer than 2**16 values
        lambda: _blob((270, 480)),
        lambda: _blob((1080, 1920)),
    ],
)
def test_labelstudio_round_trip(make: Callable[[], Mask]) -> None:
    m = make()
    rle = masks.to_labelstudio_rle(m)
    assert all(0 <= v <= 255 for v in rle)
    np.testing.assert_array_equal(masks.from_labelstudio_rle(rle, *m.shape), m)


@pytest.mark.parametrize(
    "make",
    [
        lambda: _random((1, 1), 1.0),
        lambda: _random((2, 2), 0.0),
        lambda: _random((13, 31), 0.5),
        lambda: np.ones((300, 400), dtype=np.bool_),
        lambda: np.pad(np.ones((128, 128), dtype=np.bool_), 1),  # a run of exactly 2**16 values
        lambda: _blob((270, 480)),
    ],
)
def test_labelstudio_matches_label_studio_converter(make: Callable[[], Mask]) -> None:
    brush = _brush()
    m = make()
    ours = masks.to_labelstudio_rle(m)
    assert ours == brush.mask2rle(m.astype(np.uint8) * 255)
    theirs = brush.decode_rle(ours).reshape(*m.shape, 4)
    np.testing.assert_array_equal(theirs, np.repeat(m[..., None], 4, axis=2).astype(np.uint8) * 255)


def _stream(num: int, word: int, sizes: list[int], tokens: list[tuple[int, int, list[int]]]) -> list[int]:
    """A hand-made rle-pack stream: tokens (repeat flag, size index, words)."""
    bits = f"{num:032b}{word - 1:05b}" + "".join(f"{s - 1:04b}" for s in sizes)
    for repeat, index, words in tokens:
        n = len(words)
        if repeat:
            bits += f"1{index:02b}{n - 1:0{sizes[index]}b}{words[0]:0{word}b}"
        else:
            bits += f"0{index:02b}{n - 1:0{sizes[index]}b}" + "".join(f"{v:0{word}b}" for v in words)
    bits += "0" * (-len(bits) % 8)
    return [int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)]


def _literal_stream(word: int) -> tuple[list[int], Mask]:
    """2x3 image (24 values): literal runs, repeats, other field sizes, the browser's way."""
    values = [0, 0, 0, 0] + [9, 0, 0, 1] + [0] * 8 + [0, 0, 3, 0] + [5, 5, 5, 5]
    tokens = [
        (1, 1, [0] * 4),
        (0, 2, [9, 0, 0, 1]),
        (1, 3, [0] * 8),
        (0, 0, [0, 0, 3]),
        (0, 0, [0]),
        (1, 0, [5] * 4),
    ]
    rle = _stream(24, word, [2, 3, 5, 9], tokens)
    expected: Mask = np.asarray(values).reshape(2, 3, 4).max(axis=2) != 0
    return rle, expected


def test_labelstudio_decodes_literal_runs_and_other_parameters() -> None:
    for word in (4, 8, 16, 32):
        rle, expected = _literal_stream(word)
        np.testing.assert_array_equal(masks.from_labelstudio_rle(rle, 2, 3), expected)
    wide = _stream(8, 16, [3, 4, 8, 16], [(0, 0, [0, 0, 0, 256]), (1, 0, [0] * 4)])
    np.testing.assert_array_equal(masks.from_labelstudio_rle(wide, 1, 2), [[True, False]])


def test_labelstudio_literal_runs_agree_with_converter_decoder() -> None:
    brush = _brush()
    rle, expected = _literal_stream(8)
    theirs = brush.decode_rle(rle).reshape(2, 3, 4)
    np.testing.assert_array_equal(theirs.any(axis=2), expected)
    np.testing.assert_array_equal(masks.from_labelstudio_rle(rle, 2, 3), expected)


# --------------------------------------------------------------------------------------------
# errors


@pytest.mark.parametrize(
    ("rle", "reason"),
    [
        ({"size": [2, 2], "counts": "3"}, "sum to 3"),
        ({"size": [2, 2], "counts": [1, 2]}, "sum to 3"),
        ({"size": [2, 2], "counts": [5, -1]}, "negative"),
        ({"size": [2, 2], "counts": ""}, "empty"),
        ({"size": [2, 2], "counts": []}, "empty"),
        ({"size": [2, 2], "counts": "4 "}, "character"),
        ({"size": [2, 2], "counts": "4é"}, "ASCII"),
        ({"size": [2, 2], "counts": "4P"}, "middle"),  # 'P' sets the continuation bit
        ({"size": [2, 2], "counts": "oooooooo0"}, "too large"),
        ({"size": [2, 2], "counts": "224K"}, "negative"),  # 2, 2, 4, then 2 + (-5)
        ({"size": [2, 2], "counts": [1.0, 3.0]}, "list of ints"),
        ({"size": [2, 2], "counts": [[1, 3]]}, "flat"),
        ({"size": [2, 2], "counts": 4}, "string or a list"),
        ({"size": [0, 2], "counts": "0"}, "two positive ints"),
        ({"size": [2], "counts": "4"}, "two positive ints"),
        ({"size": [2, -2], "counts": "4"}, "two positive ints"),
        ({"size": [2.0, 2], "counts": "4"}, "two positive ints"),
        ({"size": [True, 4], "counts": "4"}, "two positive ints"),
        ({"size": "22", "counts": "4"}, "size must be"),
        ({"size": [100000, 100000], "counts": "4"}, "too large"),
        ({"counts": "4"}, "both"),
        ({"size": [2, 2]}, "both"),
        ([2, 2], "mapping"),
    ],
)
def test_bad_rle_raises_mask_error(rle: Any, reason: str) -> None:
    for function in (masks.decode, masks.area, masks.bbox, masks.to_uncompressed, masks.to_canonical):
        with pytest.raises(MaskError, match=reason) as info:
            function(rle)
        assert isinstance(info.value, ValueError)


def test_bad_uncompressed_raises_mask_error() -> None:
    with pytest.raises(MaskError, match="sum to 5"):
        masks.from_uncompressed([2, 3], [2, 3])
    with pytest.raises(MaskError, match="negative"):
        masks.from_uncompressed([7, -1], [2, 3])
    with pytest.raises(MaskError, match="list of ints"):
        masks.from_uncompressed("6", [2, 3])  # type: ignore[arg-type]
    with pytest.raises(MaskError, match="two positive ints"):
        masks.from_uncompressed([6], [2, 3, 1])


@pytest.mark.parametrize(
    "mask",
    [
        np.zeros((0, 3)),
        np.zeros(5),
        np.zeros((2, 2, 2)),
        np.array([["a", "b"]]),
        [[None]],
    ],
)
def test_bad_masks_raise_mask_error(mask: Any) -> None:
    for function in (masks.encode, masks.to_png, masks.to_cvat_rle, masks.to_labelstudio_rle):
        with pytest.raises(MaskError):
            function(mask)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "signature"),
        (b"GIF89a....", "signature"),
        (masks.to_png(_random((50, 50), 0.5))[:60], "bad PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "bad PNG"),
        ("not bytes", "bytes"),
    ],
)
def test_bad_png_raises_mask_error(data: Any, reason: str) -> None:
    with pytest.raises(MaskError, match=reason):
        masks.from_png(data)
    with pytest.raises(MaskError, match=reason):
        masks.colors_in_png(data)


def test_bad_color_and_base64_raise_mask_error() -> None:
    data = masks.to_png(np.ones((2, 2), dtype=np.bool_))
    for color in [(1, 2), (1, 2, 3, 4), (0, 0, 256), (0, -1, 0), (0.0, 0, 0), "abc"]:
        with pytest.raises(MaskError, match="color"):
            masks.from_png(data, color)  # type: ignore[arg-type]
    for text in ["not base64!", "abc", "aGVsbG8=", "é"]:
        with pytest.raises(MaskError, match=r"bad base64|signature"):
            masks.from_png_base64(text)


def test_bad_polygons_raise_mask_error() -> None:
    for rings in (
        [[0, 0, 1, 1]],
        [[0, 0, 1, 1, 2]],
        [[0, 0, 1, "x", 2, 2]],
        [[0, 0, 1, float("nan"), 2, 2]],
        ["0 0 1 1 2 2"],
        "rings",
    ):
        with pytest.raises(MaskError):
            masks.polygon_to_mask(rings, 5, 5)  # type: ignore[arg-type]
    with pytest.raises(MaskError, match="two positive ints"):
        masks.polygon_to_mask([[0, 0, 1, 0, 1, 1]], 0, 5)


def test_bad_cvat_rle_raises_mask_error() -> None:
    with pytest.raises(MaskError, match="empty mask"):
        masks.to_cvat_rle(np.zeros((3, 3), dtype=np.bool_))
    with pytest.raises(MaskError, match="outside"):
        masks.from_cvat_rle([0, 4], 2, 0, 2, 2, 5, 3)
    with pytest.raises(MaskError, match="sum to 3"):
        masks.from_cvat_rle([1, 2], 0, 0, 2, 2, 5, 5)
    with pytest.raises(MaskError, match="negative"):
        masks.from_cvat_rle([5, -1], 0, 0, 2, 2, 5, 5)
    with pytest.raises(MaskError, match="non-negative int"):
        masks.from_cvat_rle([4], -1, 0, 2, 2, 5, 5)
    with pytest.raises(MaskError, match="non-negative int"):
        masks.from_cvat_rle([4], 0, 1.5, 2, 2, 5, 5)  # type: ignore[arg-type]
    with pytest.raises(MaskError, match="two positive ints"):
        masks.from_cvat_rle([0], 0, 0, 0, 2, 5, 5)


def test_bad_labelstudio_rle_raises_mask_error() -> None:
    with pytest.raises(MaskError, match="holds 48 values"):
        masks.from_labelstudio_rle(GOLDEN_RLE, 4, 4)
    with pytest.raises(MaskError, match="truncated"):
        masks.from_labelstudio_rle(GOLDEN_RLE[:8], 3, 4)
    with pytest.raises(MaskError, match="truncated"):
        masks.from_labelstudio_rle([], 3, 4)
    with pytest.raises(MaskError, match="bytes"):
        masks.from_labelstudio_rle([0, 0, 0, 300], 3, 4)
    with pytest.raises(MaskError, match="list of ints"):
        masks.from_labelstudio_rle(["a"], 3, 4)  # type: ignore[list-item]
    overrun = _stream(8, 8, [3, 4, 8, 16], [(1, 1, [0] * 12)])
    with pytest.raises(MaskError, match="past the end"):
        masks.from_labelstudio_rle(overrun, 1, 2)
    short_literal = _stream(8, 8, [3, 4, 8, 16], [(0, 0, [1, 2, 3])])[:-2]
    with pytest.raises(MaskError, match="truncated"):
        masks.from_labelstudio_rle(short_literal, 1, 2)
