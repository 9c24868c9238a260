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
    executed.clear()

    def seen(_c: Any, _cur: Any, stmt: str, params: Any, *_a: Any) -> None:
        statements.append(stmt)
        executed.append((stmt, params))

    sa.event.listen(app.state.ctx.ws.engine, "before_cursor_execute", seen)
    yield app, statements, job.id, token
    app.state.ctx.ws.close()


executed: list[tuple[str, Any]] = []  # every statement of the last request, with its parameters


def _unbounded(statements: list[str]) -> list[str]:
    """SELECTs over a big table that neither aggregate nor stop at a LIMIT."""
    out = []
    for s in statements:
        flat = " ".join(s.split()).lower()
        if not flat.startswith("select") or not any(
            re.search(rf"\bfrom {t}\b|\bjoin {t}\b", flat) for t in BIG
        ):
            continue
        if " limit " in flat or "count(" in flat or "max(" in flat or "where data_rows.global_key in" in flat:
            continue
        out.append(flat[:200])
    return out


def _get(big: Any, path: str) -> str:
    return str(_fetch(big, path).text)


def _fetch(big: Any, path: str) -> httpx.Response:
    app, statements, _, token = big
    statements.clear()
    executed.clear()

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
    return res


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


def _page_queries(table: str) -> list[tuple[str, Any]]:
    """The statements of the last request that read a page of ``table`` (they carry a LIMIT)."""
    return [
        (stmt, params)
        for stmt, params in executed
        if re.search(rf"\bfrom {table}\b", " ".join(stmt.split()).lower()) and " limit " in stmt.lower()
    ]


def _plan(big: Any, stmt: str, params: Any) -> str:
    with big[0].state.ctx.ws.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + stmt, params).all()
    return " | ".join(str(r[-1]) for r in rows)


def _steps(big: Any, stmt: str, params: Any) -> int:
    """The work SQLite does for one statement, in virtual-machine instructions (hundreds): the
    same on every run, unlike a timing, so a page that walks the table shows as such."""
    raw = big[0].state.ctx.ws.engine.raw_connection()
    try:
        db = raw.driver_connection
        counted = [0]

        def tick() -> int:
            counted[0] += 1
            return 0

        db.set_progress_handler(tick, 100)
        try:
            db.execute(stmt, params).fetchall()
        finally:
            db.set_progress_handler(None, 0)
        return counted[0]
    finally:
        raw.close()


def _cost(big: Any, table: str) -> tuple[int, list[str]]:
    """The last request's page reads of ``table``: their summed work and their plans. None may
    skip rows by OFFSET (SQLite writes ``OFFSET ?`` with every LIMIT: its value must be 0)."""
    found = _page_queries(table)
    assert found
    for stmt, params in found:
        if " offset " in stmt.lower():
            assert params[-1] == 0, stmt
    return sum(_steps(big, s, p) for s, p in found), [_plan(big, s, p) for s, p in found]


def _href(html: str, anchor: str) -> str:
    m = re.search(rf'<a href="([^"]*)" id="{anchor}"', html)
    assert m, f"no #{anchor} link"
    return m.group(1).replace("&amp;", "&")


def _keys(html: str) -> list[str]:
    return re.findall(r"global_key=([^\"&]+)\">", html)


def test_the_last_rows_page_is_reached_by_cursors_at_the_cost_of_the_first(big: Any) -> None:
    first = _get(big, "/ui/projects/p")
    first_cost, first_plans = _cost(big, "tasks")
    assert 'id="rows-prev"' not in first and len(_keys(first)) == 50
    last = _get(big, "/ui/projects/p" + _href(first, "rows-last"))
    last_cost, last_plans = _cost(big, "tasks")
    keys = _keys(last)
    assert len(keys) == 50 and keys[-1] == "%2Fx.png" and keys[0] == "%2Fbig%2F099951.png"
    assert 'id="rows-next"' not in last
    # read along the global-key index, probing the task index per row: no sort of the 100,000
    for plan in first_plans + last_plans:
        assert "USING COVERING INDEX sqlite_autoindex_data_rows_1" in plan, plan
        assert "(project_id=?)" not in plan.replace("(project_id=? AND data_row_id=?)", ""), plan
    assert last_cost <= 2 * first_cost + 20, (first_cost, last_cost)
    # the measure tells: the same last page found by OFFSET walks every row before it
    _get(big, "/ui/projects/p?offset=99951")
    by_offset = sum(_steps(big, s, p) for s, p in executed if "from tasks" in " ".join(s.split()).lower())
    assert by_offset > 20 * last_cost, (by_offset, last_cost)

    back = _get(big, "/ui/projects/p" + _href(last, "rows-prev"))
    assert _keys(back)[-1] == "%2Fbig%2F099950.png" and len(_keys(back)) == 50
    second = _get(big, "/ui/projects/p" + _href(first, "rows-next"))
    assert _keys(second)[0] == "%2Fbig%2F000050.png"
    assert _keys(_get(big, "/ui/projects/p" + _href(second, "rows-prev"))) == _keys(first)


def test_the_last_issues_page_is_reached_by_cursors_at_the_cost_of_the_first(big: Any) -> None:
    job = big[2]
    base = f"/ui/jobs/{job}"
    for query in ("", "?code=unknown_class"):
        first = _get(big, base + query)
        first_cost, first_plans = _cost(big, "job_issues")
        last = _get(big, base + _href(first, "issues-last"))
        last_cost, last_plans = _cost(big, "job_issues")
        assert last.count('<tr class="sev-error">') == 50 and 'id="issues-next"' not in last
        assert ">issue 49999<" in last or "issue 49998" in last
        for plan in first_plans + last_plans:
            assert "USING INDEX ix_job_issues_job_seq" in plan and "TEMP B-TREE" not in plan, plan
        assert last_cost <= 2 * first_cost + 20, (query, first_cost, last_cost)
        prev = _get(big, base + _href(last, "issues-prev"))
        assert prev.count('<tr class="sev-error">') == 50 and 'id="issues-next"' in prev


def test_the_api_pages_follow_cursors_to_the_end_and_back(big: Any) -> None:
    """/tasks names its next page in a Link header; /jobs/{id}/issues in next_after: followed to
    the end they give every item once, in order, with no OFFSET."""
    seen: list[str] = []
    path: str | None = "/tasks?project=p&limit=25000"
    while path:
        res = _fetch(big, path)
        _cost(big, "tasks")
        seen += [t["global_key"] for t in res.json()]
        m = re.search(r'<([^>]+)>; rel="next"', res.headers.get("link", ""))
        path = httpx.URL(m.group(1)).raw_path.decode() if m else None
    assert len(seen) == len(set(seen)) == ROWS + 1 and seen == sorted(seen)

    job = big[2]
    got: list[str] = []
    after = ""
    while after is not None:
        page = _fetch(big, f"/jobs/{job}/issues?code=unknown_class&limit=10000{after}").json()
        _cost(big, "job_issues")
        got += [i["message"] for i in page["issues"]]
        # an offset page counts on (old clients); a cursor page has no offset to give
        assert (page["next_offset"] is None) == bool(after) or page["next_after"] is None
        after = f"&after={page['next_after']}" if page["next_after"] else None
    assert got == [f"issue {i}" for i in range(0, ISSUES, 2)]
    back = _fetch(big, f"/jobs/{job}/issues?code=unknown_class&limit=10000&before={page['prev_before']}")
    n = len(page["issues"])  # the last page's
    assert [i["message"] for i in back.json()["issues"]] == got[-n - 10000 : -n]
