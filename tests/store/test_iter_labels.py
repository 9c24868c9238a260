"""Pages of labels are selected in SQL: a page loads only its own rows' annotations (the API's
`/labels` and `Client.labels` page through this), on both engines."""

from __future__ import annotations

import json
from pathlib import Path

from labelport import Workspace
from labelport.store import imports as store
from labelport.store.projects import project_record
from tests.helpers import make_images


def test_offset_limit_and_key_select_rows_in_key_order(ws: Workspace, tmp_path: Path) -> None:
    names = {f"r{i}.png": (20, 10) for i in range(5)}
    ws.create_dataset("d")
    ws.add_rows("d", [make_images(tmp_path / "img", names)])
    ws.create_ontology("o", {"tools": [{"name": "car", "tool": "rectangle"}]})
    ws.create_project("p", ontology="o", media_type="image")
    ws.create_batch("p", "b", dataset="d")
    lines = [
        {
            "dataRow": {"globalKey": f"/r{i}.png"},
            "name": "car",
            "bbox": {"left": i, "top": 1, "width": 2, "height": 3},
        }
        for i in range(5)
    ]
    payload = tmp_path / "p.ndjson"
    payload.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    assert ws.import_labels("p", payload, format="ndjson").counts["annotations_imported"] == 5

    with ws.engine.connect() as conn:
        pid = project_record(conn, "p").id

        def keys(**kw: object) -> list[tuple[str, float]]:
            rows = store.iter_labels(conn, pid, "ground_truth", **kw)  # type: ignore[arg-type]
            return [(info.global_key, anns[0].geometry[0]) for info, _f, anns in rows]

        everything = keys()
        assert everything == [(f"/r{i}.png", i) for i in range(5)]
        assert keys(offset=1, limit=2) == everything[1:3]
        assert keys(offset=4, limit=10) == everything[4:]
        assert keys(global_key="/r3.png") == [everything[3]]
        assert keys(global_key="/nope.png") == []
