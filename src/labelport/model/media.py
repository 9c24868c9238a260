"""Media types a data row can have, and which annotation kinds each one can carry."""

from __future__ import annotations

from enum import StrEnum

from labelport.model.errors import InvalidInputError


class MediaType(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    TEXT = "text"
    HTML = "html"
    CONVERSATION = "conversation"
    PDF = "pdf"
    AUDIO = "audio"
    GEOSPATIAL = "geospatial"
    IMAGE_SEQUENCE = "image_sequence"
    POINT_CLOUD = "point_cloud"

    @classmethod
    def parse(cls, value: str) -> MediaType:
        """Accept our names and the seed platforms' spellings (``IMAGE``, ``TMS_GEO``, ``PDF``…)."""
        key = value.strip().lower().replace("-", "_").replace(" ", "_")
        key = _ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise InvalidInputError(
                f"unknown media type {value!r}; expected one of {allowed}", code="unknown_media_type"
            ) from None


_ALIASES = {
    "conversational": "conversation",
    "document": "pdf",
    "tms_geo": "geospatial",
    "geospatial_tile": "geospatial",
    "sequence": "image_sequence",
    "sequence_image": "image_sequence",
    "scene": "image_sequence",
    "pointcloud": "point_cloud",
    "lidar": "point_cloud",
}
