"""Geospatial tile layers: nothing to probe, so what the manifest states is checked instead.

A tile set lives on a tile server (``https://host/{z}/{x}/{y}.png``); labelport never fetches it.
Its row carries what validation needs: the layer's bounds in longitude/latitude, its zoom range
and projection. These are checked here, once, at ingest, so a row with a latitude of 120 or
bounds given as (lat, lng) is refused with the field named, instead of every annotation on it
being refused later for a reason nobody can see.

Accepted spellings: ours (``tile_layer_url``, ``bounds``, ``min_zoom``, ``max_zoom``, ``epsg``) and
Labelbox's tiled-imagery row (``tileLayerUrl``, ``minZoom``, ``maxZoom``). Bounds are two
opposite corners ``[[lng, lat], [lng, lat]]`` in that order (Labelbox's ``version: 2``); they are
stored as ``[[min_lng, min_lat], [max_lng, max_lat]]``. A layer that crosses the antimeridian is
not supported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import orjson

from labelport.model.errors import InvalidInputError

# Projections a web tile layer may be served in. Annotations on every one of them are written in
# longitude/latitude (EPSG:4326), as Labelbox's SDK writes them; the projection is kept for viewers.
_EPSG = {"4326": "EPSG4326", "3857": "EPSG3857", "3395": "EPSG3395"}
_ALIASES = {
    "tile_layer_url": ("tile_layer_url", "tileLayerUrl"),
    "min_zoom": ("min_zoom", "minZoom"),
    "max_zoom": ("max_zoom", "maxZoom"),
}
MAX_ZOOM = 30


def tile_metadata(entry: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The checked, normalised metadata of one geospatial manifest entry (``where`` locates it).

    The fields may sit at the entry's top level or inside its ``metadata`` object.
    """
    source = {**(entry.get("metadata") or {}), **entry}

    def get(key: str) -> Any:
        for name in _ALIASES.get(key, (key,)):
            if source.get(name) not in (None, ""):
                return source[name]
        return None

    url = get("tile_layer_url")
    if url is None:
        raise InvalidInputError(
            f"{where}: a geospatial row needs `tile_layer_url`",
            code="missing_field",
            hint="e.g. https://tiles.example.com/{z}/{x}/{y}.png",
        )
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidInputError(
            f"{where}: `tile_layer_url` must be an http(s) URL, got {url!r}", code="wrong_type"
        )
    bounds = _bounds(get("bounds"), where)
    low = _zoom(get("min_zoom"), "min_zoom", where, 0)
    high = _zoom(get("max_zoom"), "max_zoom", where, MAX_ZOOM)
    if low > high:
        raise InvalidInputError(f"{where}: `min_zoom` {low} is above `max_zoom` {high}", code="invalid_value")
    return {
        "tile_layer_url": url,
        "bounds": bounds,
        "min_zoom": low,
        "max_zoom": high,
        "epsg": _epsg(get("epsg"), where),
    }


def _bounds(value: Any, where: str) -> list[list[float]]:
    at = f"{where}/bounds"
    if value is None:
        raise InvalidInputError(
            f"{at}: a geospatial row needs `bounds`",
            code="missing_field",
            hint="[[min_lng, min_lat], [max_lng, max_lat]]",
        )
    if isinstance(value, str):  # a CSV manifest cell
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise InvalidInputError(f"{at}: `bounds` is not JSON: {value!r}", code="wrong_type") from None
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(c, list) and len(c) == 2 and all(_is_num(v) for v in c) for c in value)
    )
    if not ok:
        raise InvalidInputError(
            f"{at}: `bounds` must be two corners [[lng, lat], [lng, lat]], got {value!r}", code="wrong_type"
        )
    for i, (lng, lat) in enumerate(value):
        if not (math.isfinite(lng) and math.isfinite(lat)):
            raise InvalidInputError(f"{at}/{i}: a corner is not finite", code="non_finite_coordinate")
        if not -180 <= lng <= 180:
            raise InvalidInputError(f"{at}/{i}/0: longitude {lng} is outside -180..180", code="out_of_bounds")
        if not -90 <= lat <= 90:
            raise InvalidInputError(
                f"{at}/{i}/1: latitude {lat} is outside -90..90",
                code="out_of_bounds",
                hint="corners are [longitude, latitude]; swap them if they were given as (lat, lng)",
            )
    (x0, y0), (x1, y1) = value
    out = [[min(x0, x1), min(y0, y1)], [max(x0, x1), max(y0, y1)]]
    if out[0][0] == out[1][0] or out[0][1] == out[1][1]:
        raise InvalidInputError(f"{at}: the bounds have no area: {value!r}", code="degenerate_geometry")
    return out


def _zoom(value: Any, key: str, where: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, str) and value.strip().isdigit():  # a CSV manifest cell
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ZOOM:
        raise InvalidInputError(
            f"{where}/{key}: `{key}` must be a whole number from 0 to {MAX_ZOOM}, got {value!r}",
            code="wrong_type",
        )
    return value


def _epsg(value: Any, where: str) -> str:
    """``EPSG4326`` (the default), ``EPSG:3857``, ``3857``... as Labelbox's enum names them."""
    if value is None:
        return "EPSG4326"
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    if digits in _EPSG and str(value).upper().replace(":", "").replace("EPSG", "") == digits:
        return _EPSG[digits]
    raise InvalidInputError(
        f"{where}/epsg: unsupported projection {value!r}",
        code="invalid_value",
        hint="use EPSG4326, EPSG3857 or EPSG3395; a plain picture (SIMPLEPIXEL) is an image row",
    )


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
