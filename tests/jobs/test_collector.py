"""The cycle collector is paused around an import job and an export (``jobs.collector``), and
left as it was found after each."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labelport import Workspace
from labelport.jobs import collector
from tests.jobs.conftest import sample_lines, write_ndjson


@pytest.fixture
def collections() -> Iterator[list[str]]:
    """Every collection started while the test runs, with the collector made to run after each
    allocation (were it enabled, any bulk work would start hundreds)."""
    seen: list[str] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(phase)

    threshold = gc.get_threshold()
    gc.set_threshold(1)
    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)
        gc.set_threshold(*threshold)


def test_paused_restores_the_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block found it off and left it off
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError
    assert gc.isenabled()


def test_an_import_and_an_export_run_without_the_collector(
    proj: Workspace, tmp_path: Path, collections: list[str]
) -> None:
    payload = write_ndjson(tmp_path / "in.ndjson", sample_lines())
    in_import: list[bool] = []
    job = proj.import_labels(
        "p", payload, format="ndjson", progress=lambda *_: in_import.append(gc.isenabled())
    )
    assert job.state.value == "succeeded"
    out = tmp_path / "out.ndjson"
    before = len(collections)
    summary = proj.export("p", out, format="ndjson")
    assert summary.annotations == job.counts["annotations_imported"] > 0
    # none once the pause begins; the call and the pause's own objects, made before it, may start
    # a few (the collector on, this export started 1,300-1,500)
    assert len(collections) - before < 20
    assert in_import and not any(in_import), "the import reports its progress with the collector off"
    assert gc.isenabled()
