"""Payloads written by the real Labelbox SDK serializer import with no false rejections, and the
same labels built with labelport's own Python types come out identical."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from labelport import Workspace
from labelport.model import annotation_types as lp
from labelport.model.jobs import JobState
from tests.jobs.conftest import box_mask, uid, write_ndjson

lb_types = pytest.importorskip("labelbox.types")
serialization = pytest.importorskip("labelbox.data.serialization")


def _lb_label() -> Any:
    t = lb_types
    src = t.ObjectAnnotation(name="eye", value=t.Point(x=1.0, y=1.0), extra={"uuid": uid(10)})
    dst = t.ObjectAnnotation(name="eye", value=t.Point(x=9.0, y=9.0), extra={"uuid": uid(11)})
    mask = t.Mask(mask=t.MaskData.from_2D_arr(box_mask().astype(np.uint8) * 255), color=(255, 255, 255))
    return t.Label(
        data={"global_key": "img-1"},
        annotations=[
            t.ObjectAnnotation(
                name="car",
                extra={"uuid": uid(1)},
                value=t.Rectangle(start=t.Point(x=10.0, y=20.0), end=t.Point(x=110.0, y=70.0)),
                classifications=[
                    t.ClassificationAnnotation(
                        name="color",
                        value=t.Radio(
                            answer=t.ClassificationAnswer(
                                name="red",
                                classifications=[
                                    t.ClassificationAnnotation(
                                        name="shade",
                                        value=t.Radio(answer=t.ClassificationAnswer(name="dark")),
                                    )
                                ],
                            )
                        ),
                    )
                ],
            ),
            t.ObjectAnnotation(
                name="lake",
                extra={"uuid": uid(2)},
                value=t.Polygon(points=[t.Point(x=1.0, y=1.0), t.Point(x=5.0, y=1.0), t.Point(x=5.0, y=5.0)]),
            ),
            t.ObjectAnnotation(
                name="road",
                extra={"uuid": uid(3)},
                value=t.Line(points=[t.Point(x=0.0, y=0.0), t.Point(x=10.0, y=10.0)]),
            ),
            t.ObjectAnnotation(name="eye", extra={"uuid": uid(4)}, value=t.Point(x=3.5, y=4.0)),
            t.ObjectAnnotation(name="seg", extra={"uuid": uid(5)}, value=mask),
            t.ClassificationAnnotation(
                name="weather",
                extra={"uuid": uid(7)},
                value=t.Radio(answer=t.ClassificationAnswer(name="sunny")),
            ),
            t.ClassificationAnnotation(
                name="tags",
                extra={"uuid": uid(8)},
                value=t.Checklist(
                    answer=[
                        t.ClassificationAnswer(name="a"),
                        t.ClassificationAnswer(
                            name="b",
                            classifications=[
                                t.ClassificationAnnotation(name="why", value=t.Text(answer="blurry"))
                            ],
                        ),
                    ]
                ),
            ),
            t.ClassificationAnnotation(
                name="caption", extra={"uuid": uid(9)}, value=t.Text(answer="two cars")
            ),
            src,
            dst,
            t.RelationshipAnnotation(
                name="follows",
                extra={"uuid": uid(12)},
                value=t.Relationship(source=src, target=dst, type=t.Relationship.Type.UNIDIRECTIONAL),
            ),
        ],
    )


def _lp_label() -> lp.Label:
    src = lp.ObjectAnnotation(name="eye", value=lp.Point(x=1.0, y=1.0), uuid=uid(10))
    dst = lp.ObjectAnnotation(name="eye", value=lp.Point(x=9.0, y=9.0), uuid=uid(11))
    return lp.Label(
        global_key="img-1",
        annotations=[
            lp.ObjectAnnotation(
                name="car",
                uuid=uid(1),
                value=lp.Rectangle.from_xywh(10.0, 20.0, 100.0, 50.0),
                classifications=[
                    lp.ClassificationAnnotation(
                        name="color",
                        value=lp.Radio(
                            answer=lp.ClassificationAnswer(
                                name="red",
                                classifications=[
                                    lp.ClassificationAnnotation(
                                        name="shade",
                                        value=lp.Radio(answer=lp.ClassificationAnswer(name="dark")),
                                    )
                                ],
                            )
                        ),
                    )
                ],
            ),
            lp.ObjectAnnotation(
                name="lake",
                uuid=uid(2),
                value=lp.Polygon(
                    points=[
                        lp.Point(x=1.0, y=1.0),
                        lp.Point(x=5.0, y=1.0),
                        lp.Point(x=5.0, y=5.0),
                        lp.Point(x=1.0, y=1.0),
                    ]
                ),
            ),
            lp.ObjectAnnotation(
                name="road",
                uuid=uid(3),
                value=lp.Line(points=[lp.Point(x=0.0, y=0.0), lp.Point(x=10.0, y=10.0)]),
            ),
            lp.ObjectAnnotation(name="eye", uuid=uid(4), value=lp.Point(x=3.5, y=4.0)),
            lp.ObjectAnnotation(name="seg", uuid=uid(5), value=lp.Mask(array=box_mask())),
            lp.ClassificationAnnotation(
                name="weather", uuid=uid(7), value=lp.Radio(answer=lp.ClassificationAnswer(name="sunny"))
            ),
            lp.ClassificationAnnotation(
                name="tags",
                uuid=uid(8),
                value=lp.Checklist(
                    answer=[
                        lp.ClassificationAnswer(name="a"),
                        lp.ClassificationAnswer(
                            name="b",
                            classifications=[
                                lp.ClassificationAnnotation(name="why", value=lp.Text(answer="blurry"))
                            ],
                        ),
                    ]
                ),
            ),
            lp.ClassificationAnnotation(name="caption", uuid=uid(9), value=lp.Text(answer="two cars")),
            src,
            dst,
            lp.RelationshipAnnotation(
                name="follows", uuid=uid(12), value=lp.Relationship(source=src, target=dst)
            ),
        ],
    )


def _canon(labels: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {k: sorted((msgspec.to_builtins(a) for a in v), key=lambda d: d["uid"]) for k, v in labels.items()}


def test_sdk_payload_imports_and_matches_labelport_types(proj: Workspace, tmp_path: Path) -> None:
    lines = list(serialization.NDJsonConverter.serialize([_lb_label()]))
    payload = write_ndjson(
        tmp_path / "sdk.ndjson", [msgspec.json.decode(msgspec.json.encode(x)) for x in lines]
    )
    job = proj.import_labels("p", payload, format="ndjson")
    assert job.state is JobState.SUCCEEDED, [
        str(i.location) + " " + i.message for i in proj.job_issues(job.id)
    ]
    assert job.counts["annotations_imported"] == 11
    from_sdk = _canon(proj.labels("p"))

    proj.create_project("p2", ontology="o", media_type="image")
    proj.create_batch("p2", "b", dataset="d")
    job2 = proj.import_labels("p2", [_lp_label()])
    assert job2.state is JobState.SUCCEEDED, [i.message for i in proj.job_issues(job2.id)]
    assert _canon(proj.labels("p2")) == from_sdk
