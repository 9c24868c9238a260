"""Ids derived from content are uuid5 of the annotation's content in labelport's namespace: they
are stored, and re-importing the same payload must name its annotations the same, so the hand-made
derivation (faster than building UUID objects) is held to :func:`uuid.uuid5` exactly."""

from __future__ import annotations

import random
import uuid

import msgspec

from labelport.model.records import Annotation
from labelport.model.snapshot import RowInfo
from labelport.validate.engine import _UID_NS, Validator


def _row(key: str) -> RowInfo:
    return RowInfo(
        pk=1,
        uid="r",
        global_key=key,
        media_type="image",
        metadata={},
        parent_path="/",
        filename=key,
        external_id=None,
        task_status="not_started",
        label_id=None,
    )


def test_derived_ids_are_uuid5_of_the_content() -> None:
    rnd = random.Random(5)
    for k in range(3000):
        row = _row(f"photos/{k}-é.jpg")
        ann = Annotation(
            kind=rnd.choice(["bbox", "polygon", "point"]),
            name=rnd.choice(["car", None, "Ünïcode"]),
            schema_id=rnd.choice([None, "ckx1"]),
            geometry=[rnd.random() * 1000 for _ in range(rnd.choice([2, 4, 8]))],
            frame=rnd.choice([None, 3]),
            page=rnd.choice([None, 2]),
            message_id=rnd.choice([None, "m1"]),
        )
        occurrence = rnd.choice([1, 1, 2, 17])
        body = msgspec.json.encode(
            [
                row.global_key,
                ann.kind,
                ann.name,
                ann.schema_id,
                ann.geometry,
                ann.frame,
                ann.page,
                ann.message_id,
            ]
        ).decode()
        if occurrence != 1:
            body += f"#{occurrence}"
        assert Validator._derived_uid(row, ann, occurrence) == str(uuid.uuid5(_UID_NS, body))
