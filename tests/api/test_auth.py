"""Every route refuses a missing, wrong, revoked or under-scoped token. The routes come from the
server's own OpenAPI document, so a route added later is covered without anyone remembering."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from labelport import Client
from labelport.sdk import AuthError
from tests.api.server import UPLOAD_LIMIT, Server

RANK = {"read": 0, "import": 1, "admin": 2}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


def _operations(server: Server) -> list[tuple[str, str, dict[str, Any]]]:
    doc = httpx.get(server.url + "/openapi.json", timeout=10).json()
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if path != "/health"
    ]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "999999", path)


def _call(http: httpx.Client, server: Server, method: str, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return http.request(method, server.url + _concrete(path), headers=headers)


def _refused(resp: httpx.Response, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == code


def test_every_route_declares_a_scope(server: Server) -> None:
    ops = _operations(server)
    assert len(ops) >= 25
    for method, path, op in ops:
        assert op.get("x-labelport-scope") in RANK, f"{method} {path} declares no scope"
        assert op.get("security") == [{"bearerAuth": []}], f"{method} {path}"
        assert op.get("operationId"), f"{method} {path}"


def test_every_route_refuses_missing_and_wrong_tokens(http: httpx.Client, server: Server) -> None:
    for method, path, _op in _operations(server):
        missing = _call(http, server, method, path, None)
        _refused(missing, 401, "unauthorized")
        assert missing.headers["www-authenticate"] == "Bearer"
        _refused(_call(http, server, method, path, "lpt_" + "x" * 43), 401, "unauthorized")
        _refused(_call(http, server, method, path, "not-even-a-token"), 401, "unauthorized")
        wrong_kind = http.request(
            method, server.url + _concrete(path), headers={"Authorization": "Basic YWRtaW46YWRtaW4="}
        )
        _refused(wrong_kind, 401, "unauthorized")


def test_every_route_refuses_tokens_below_its_scope(http: httpx.Client, server: Server) -> None:
    checked = 0
    for method, path, op in _operations(server):
        needed = RANK[op["x-labelport-scope"]]
        for scope, rank in RANK.items():
            resp = _call(http, server, method, path, server.tokens[scope])
            if rank < needed:
                _refused(resp, 403, "insufficient_scope")
                checked += 1
            else:
                assert resp.status_code not in (401, 403), f"{method} {path} with {scope}: {resp.text}"
    assert checked >= 15  # import routes refuse read; admin routes refuse read and import


def test_unknown_paths_need_a_token_too(http: httpx.Client, server: Server) -> None:
    _refused(http.get(server.url + "/no/such/route"), 401, "unauthorized")
    _refused(
        http.get(server.url + "/no/such/route", headers={"Authorization": f"Bearer {server.tokens['read']}"}),
        404,
        "not_found",
    )


def test_health_and_schema_need_no_token(http: httpx.Client, server: Server) -> None:
    assert http.get(server.url + "/health").json() == {"status": "ok", "max_upload_bytes": UPLOAD_LIMIT}
    assert http.get(server.url + "/openapi.json").status_code == 200


def test_a_revoked_token_is_refused_at_once(server: Server) -> None:
    with Client(server.url, server.tokens["admin"]) as admin:
        issued = admin.create_token("read", name="short-lived")
        with Client(server.url, issued.token) as c:
            assert isinstance(c.datasets(), list)
            admin.revoke_token(issued.info.id)
            with pytest.raises(AuthError) as err:
                c.datasets()
            assert err.value.code == "unauthorized"
        listed = {t.id: t for t in admin.tokens()}
        assert listed[issued.info.id].revoked_at is not None
        deadline = time.monotonic() + 10  # the use is written off the request's path
        while listed[issued.info.id].last_used_at is None and time.monotonic() < deadline:
            time.sleep(0.05)
            listed = {t.id: t for t in admin.tokens()}
        assert listed[issued.info.id].last_used_at is not None


def test_tokens_never_reach_the_log(http: httpx.Client, server: Server) -> None:
    for secret in server.tokens.values():
        http.get(server.url + "/datasets", headers={"Authorization": f"Bearer {secret}"})
        http.get(server.url + "/datasets", headers={"Authorization": f"Bearer {secret}x"})
    log = server.log_text()
    assert "GET /datasets" in log  # the access log is on, and still
    for secret in server.tokens.values():
        assert secret not in log
        assert secret[4:20] not in log
