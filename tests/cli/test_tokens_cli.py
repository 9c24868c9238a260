"""`labelport token create | list | revoke` and `labelport serve`'s refusal of a missing workspace."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from labelport import Workspace
from labelport.store.db import create_engine
from tests.cli.conftest import Run


def test_a_token_is_printed_once_and_stored_hashed(run: Run, db_url: str) -> None:
    assert run("init")[0] == 0
    code, data, _ = run("token", "create", "--scope", "import", "--name", "ci")
    assert code == 0 and set(data) == {"token", "id", "scope"} and data["scope"] == "import"
    secret = data["token"]
    assert secret.startswith("lpt_") and len(secret) > 40
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT secret_sha256, prefix FROM api_tokens")).one()
    finally:
        engine.dispose()
    assert stored[0] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in stored[0] and secret.startswith(stored[1])

    code, listed, _ = run("token", "list")
    assert code == 0 and [(t["id"], t["scope"], t["name"]) for t in listed] == [(data["id"], "import", "ci")]
    assert secret not in str(listed)
    code, text, _ = run("token", "list", as_json=False)
    assert code == 0 and secret not in text and stored[1] in text

    code, revoked, _ = run("token", "revoke", str(data["id"]))
    assert code == 0 and revoked["revoked_at"]
    code, again, _ = run("token", "revoke", str(data["id"]))
    assert code == 1 and again["error"]["code"] == "token_revoked"
    code, missing, _ = run("token", "revoke", "999")
    assert code == 1 and missing["error"]["code"] == "token_not_found"


def test_plain_output_is_the_token_alone(run: Run) -> None:
    run("init")
    code, out, err = run("token", "create", "--scope", "read", as_json=False)
    assert code == 0 and out.strip().startswith("lpt_") and len(out.strip().split()) == 1
    assert "not shown again" in err


def test_unknown_scope_is_refused(run: Run, db_url: str) -> None:
    run("init")
    code, data, _ = run("token", "create", "--scope", "root")
    assert code == 1 and data["error"]["code"] == "invalid_scope"
    with Workspace(db_url) as ws:
        assert ws.tokens() == []


def test_serve_refuses_a_missing_workspace(tmp_path: Path) -> None:
    target = tmp_path / "none.db"
    done = subprocess.run(
        [sys.executable, "-m", "labelport.cli.main", "--db", str(target), "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "labelport init" in done.stderr
    assert not target.exists()
