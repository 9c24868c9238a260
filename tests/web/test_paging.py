"""Pages stay a page: a project of 100,000 rows and a job of 50,000 issues are shown 50 at a time,
and no query behind a page reads a whole table (every row or issue SELECT carries a LIMIT)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx
import pytest
import sqlalchemy as sa

from labelport import Workspace
from labelport.api.app import create_app
from labelport.store.schema import data_rows, job_issues, tasks
from tests.helpers import ONTOLOGY, make_images

ROWS, ISSUES = 100_000, 50_000
BIG = ("data_rows", "tasks", "job_issues")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, list[str], int, str]]:
    tmp = tmp_path_factory.mktemp("big")
    url = str(tmp / "ws.db")
    make_images(tmp / "a", {"x.png": (10, 10)})
    payload = tmp / "p.ndjson"
    payload.write_text('{"dataRow": {"globalKey": "/x.png"}, "name": "car", "bbox": {}}\n', encoding="utf-8")
    with Workspace(url, create=True) as ws:
        ws.create_dataset("d")
        ws.add_rows("d", [tmp / "a"])
        ws.create_ontology("o", ONTOLOGY)
        ws.create_project("p", ontology="o", media_type="image")
        ws.create_batch("p", "b", dataset="d")
        job = ws.import_labels("p", payload, format="ndjson", dry_run=True)
        token = ws.create_token("read").token
        now = dt.datetime.now(dt.UTC)
        with ws.engine.begin() as conn:
            ds = conn.execute(sa.select(data_rows.c.dataset_id)).scalar_one()
            pid = conn.execute(sa.select(tasks.c.project_id)).scalar_one()
            conn.execute(
                data_rows.insert(),
                [
                    {
                        "uid": f"r{i}",
                        "dataset_id": ds,
                        "global_key": f"/big/{i:06d}.png",
                        "media_type": "image",
                        "uri": "/nowhere",
                        "parent_path": "/big",
                        "filename": f"{i:06d}.png",
                        "metadata": "{}",
                        "tags": "[]",
                        "created_at": now,
                    }
                    for i in range(ROWS)
                ],
            )
            ids = conn.execute(sa.select(data_rows.c.id).where(data_rows.c.parent_path == "/big")).scalars()
            conn.execute(
                tasks.insert(),
                [
                    {
                        "project_id": pid,
                        "data_row_id": i,
                        "status": "not_started",
                        "stage": "labeling",
                        "last_workers": "{}",
                        "updated_at": now,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                job_issues.insert(),
                [
                    {
                        "job_id": job.id,
                        "seq": 1000 + i,
                        "code": "data_row_not_found" if i % 2 else "unknown_class",
                        "severity": "error",
                        "message": f"issue {i}",
                        "data_row": f"/big/{i % 999:06d}.png",
                    }
                    for i in range(ISSUES)
                ],
            )
    app = create_app(url)
    statements: list[str] = []
    sa.event.listen(
        app.state.ctx.ws.engine, "before_cursor_execute", lambda _c, _cur, stmt, *_a: statements.append(stmt)
    )
    yield app, statements, job.id, token
    app.state.ctx.ws.close()


def _unbounded(statements: list[str]) -> list[str]:
    """SELECTs over a big table that neither aggregate nor stop at a LIMIT."""
    out = []
    for s in statements:
        flat = " ".join(s.split()).lower()
        if not flat.startswith("select") or not any(
            re.search(rf"\bfrom {t}\b|\bjoin {t}\b", flat) for t in BIG
        ):
            continue
        if " limit " in flat or "count(" in flat or "where data_rows.global_key in" in flat:
            continue
        out.append(flat[:200])
    return out


def _get(big: Any, path: str) -> str:
    app, statements, _, token = big
    statements.clear()

    async def fetch() -> httpx.Response:
        # in process, so the test sees every statement the page runs
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://web.test") as client:
            return await client.get(path, headers={"cookie": f"labelport_token={token}"})

    # on a thread of its own: Playwright's sync API keeps an event loop running on this one
    with ThreadPoolExecutor(1) as pool:
        res = pool.submit(anyio.run, fetch).result()
    assert res.status_code == 200, res.text[:500]
    assert _unbounded(statements) == []
    return str(res.text)


def test_the_project_page_shows_a_page_of_100k_rows(big: Any) -> None:
    html = _get(big, "/ui/projects/p")
    assert html.count("/ui/rows?project=p") == 50
    assert "not_started 100001" in html  # the 100,000 and the first row
    html = _get(big, "/ui/projects/p?offset=99951")
    assert html.count("/ui/rows?project=p") == 50 and 'id="rows-next"' not in html


def test_the_job_page_shows_a_page_of_50k_issues(big: Any) -> None:
    job = big[2]
    html = _get(big, f"/ui/jobs/{job}")
    assert html.count('<tr class="sev-error">') == 50
    assert ">25000<" in html  # each code's count, from one GROUP BY
    html = _get(big, f"/ui/jobs/{job}?code=unknown_class&offset=24950")
    assert html.count('<tr class="sev-error">') == 50 and 'id="issues-next"' not in html
    html = _get(big, f"/ui/jobs/{job}?data_row=/big/000007.png")
    assert html.count('<tr class="sev-error">') == 50
