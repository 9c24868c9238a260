"""Rules that depend on the project's media type: where an annotation may sit in its asset.

The engine resolves classes, ids and answers the same way for every media type; only "is this
shape inside the asset" differs. Each media type's rules live in their own module and are looked up
here by media type, so adding a media type never touches the engine. A rule takes the annotation
(geometry already in canonical units, see ``model/records.py``) and the row's probed metadata, and
returns problems as ``(code, message, value)`` triples; the engine adds the location.

Rules may also *canonicalise* the annotation in place (a PDF box in inches becomes points), since
only they know the asset; they do so before checking it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labelport.model.records import Annotation
from labelport.validate.audio import check_audio
from labelport.validate.document import check_pdf
from labelport.validate.geo import check_geo
from labelport.validate.geometry import Problem
from labelport.validate.scene import check_cloud, check_sequence
from labelport.validate.text import check_conversation, check_html, check_text
from labelport.validate.video import check_video

MediaRule = Callable[[Annotation, dict[str, Any]], list[Problem]]

# media type -> its rule, one module per media type (image rules stay in the engine: they report a row
# without a size once per row). One explicit table rather than registration on import, so what runs
# for a media type is read here.
RULES: dict[str, MediaRule] = {
    "text": check_text,
    "html": check_html,
    "conversation": check_conversation,
    "pdf": check_pdf,
    "image_sequence": check_sequence,
    "point_cloud": check_cloud,
    "geospatial": check_geo,
    "video": check_video,
    "audio": check_audio,
}
