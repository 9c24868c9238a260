"""`labelport.Client` is the workspace over HTTP: same methods, same arguments, the same
exceptions with the same codes; what it cannot do the same way it refuses clearly."""

from __future__ import annotations

import inspect
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from labelport import Client, InvalidInputError, LabelportError, Workspace
from labelport.model.annotation_types import Label, ObjectAnnotation, Rectangle
from labelport.model.jobs import ImportJob, JobState
from labelport.sdk import AuthError, JobHandle
from tests.api.server import Server, free_port
from tests.helpers import ONTOLOGY, make_images
from tests.jobs.conftest import H, W, uid, write_ndjson

SERVER_ONLY = {"health"}  # the Client's own
EMBEDDED_ONLY = {"init"}  # creating a workspace is the server operator's `labelport init`


def test_the_client_has_the_workspace_methods_with_the_same_arguments() -> None:
    ours = {n for n in dir(Client) if not n.startswith("_")}
    theirs = {n for n in dir(Workspace) if not n.startswith("_")}
    assert ours - theirs == SERVER_ONLY
    assert theirs - ours == EMBEDDED_ONLY
    for name in sorted(ours & theirs):
        a = inspect.signature(getattr(Workspace, name)).parameters
        b = inspect.signature(getattr(Client, name)).parameters
        assert [(p.name, p.kind, p.default) for p in a.values()] == [
            (p.name, p.kind, p.default) for p in b.values()
        ], name


def _project(client: Client, server: Server, name: str) -> None:
    folder = server.root / name
    make_images(folder, {"img-1.png": (W, H)})
    client.create_dataset(name)
    manifest = folder / "rows.json"
    manifest.write_text(json.dumps([{"uri": str(folder / "img-1.png"), "global_key": f"{name}-1"}]))
    client.add_manifest(name, manifest)
    spec = folder / "ontology.json"
    spec.write_text(json.dumps(ONTOLOGY), encoding="utf-8")
    client.create_ontology(name, spec)  # a file path, read on the client's side
    client.create_project(name, ontology=name, media_type="image")
    client.create_batch(name, "b", global_keys=[f"{name}-1"])


def _box(key: str, name: str = "car") -> dict[str, object]:
    return {
        "uuid": uid(1),
        "dataRow": {"globalKey": key},
        "name": name,
        "bbox": {"top": 1, "left": 1, "height": 5, "width": 5},
    }


def test_a_job_handle_reads_as_its_job_and_waits_for_it(
    client: Client, server: Server, tmp_path: Path
) -> None:
    _project(client, server, "handle")
    cmap = tmp_path / "map.json"
    cmap.write_text(json.dumps({"Auto": "car"}), encoding="utf-8")
    payload = write_ndjson(tmp_path / "a.ndjson", [_box("handle-1", "Auto")])
    handle = client.import_labels("handle", payload, format="ndjson", class_map=cmap)
    assert isinstance(handle, JobHandle)
    assert handle.project == "handle" and handle.format == "ndjson"
    job = handle.wait(progress=True, timeout=120)  # a progress line on a non-terminal is harmless
    assert isinstance(job, ImportJob) and job.state is JobState.SUCCEEDED, job.issues
    assert handle.state is JobState.SUCCEEDED and "succeeded" in repr(handle)
    assert [a.name for a in client.labels("handle")["handle-1"]] == ["car"]
    again = client.run_job(job.id)  # a succeeded job is not run twice
    assert again.state is JobState.SUCCEEDED and again.counts == job.counts


def test_label_objects_import_as_on_the_embedded_workspace(client: Client, server: Server) -> None:
    """A script that builds label objects switches to a server by changing one line: the objects
    are written as NDJSON on the client's side and uploaded."""
    _project(client, server, "objects")
    box = ObjectAnnotation(name="car", value=Rectangle.from_xywh(1, 1, 5, 5), uuid=uid(7))
    job = client.import_labels("objects", [Label(global_key="objects-1", annotations=[box])]).wait(
        timeout=120
    )
    assert job.state is JobState.SUCCEEDED and job.format == "ndjson", job.issues
    (got,) = client.labels("objects")["objects-1"]
    assert (got.name, got.geometry, got.uid) == ("car", [1, 1, 5, 5], uid(7))


def test_a_local_payload_that_is_not_there(client: Client) -> None:
    with pytest.raises(InvalidInputError) as err:
        client.import_labels("any", "/no/such/payload.ndjson")
    assert err.value.code == "path_not_found"


def test_an_export_never_overwrites(client: Client, tmp_path: Path) -> None:
    taken = tmp_path / "taken.ndjson"
    taken.write_text("x")
    with pytest.raises(InvalidInputError) as err:
        client.export("whatever", taken, format="ndjson")
    assert err.value.code == "output_exists"
    assert taken.read_text() == "x"


def test_a_bad_token_is_an_auth_error(server: Server) -> None:
    with Client(server.url, "lpt_not-a-real-token") as c, pytest.raises(AuthError) as err:
        c.projects()
    assert err.value.code == "unauthorized"
    with Client(server.url, server.tokens["read"]) as c, pytest.raises(AuthError) as err:
        c.create_dataset("nope")
    assert err.value.code == "insufficient_scope"


def test_an_unreachable_server() -> None:
    with (
        Client(f"http://127.0.0.1:{free_port()}", "lpt_x", timeout=5) as c,
        pytest.raises(LabelportError) as err,
    ):
        c.datasets()
    assert err.value.code == "server_unreachable"


def test_an_embedded_job_waits_as_itself() -> None:
    """``import_labels(...).wait()`` runs on a Workspace too: its jobs are finished when returned."""
    job = ImportJob(
        id=1,
        project="p",
        name="n",
        format="ndjson",
        mode="ground-truth",  # type: ignore[arg-type]
        on_existing="fail",  # type: ignore[arg-type]
        state=JobState.SUCCEEDED,
        dry_run=False,
        payload="x",
        payload_sha256=None,
        counts={},
        progress={},
        created_at=datetime.now(UTC),
    )
    assert job.wait() is job and job.wait(progress=True, timeout=1) is job
