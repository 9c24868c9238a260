from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

from labelport.media import detect_media_type, probe
from labelport.model.media import MediaType

from .assets import make_conversation, make_image, make_pcd, make_pdf, make_text, make_wav


def test_geospatial_has_nothing_to_probe(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValueError, match="geospatial"):
        probe(tmp_path / "tiles", MediaType.GEOSPATIAL)


def test_detect_then_probe_gives_json_ready_metadata(tmp_path: pathlib.Path) -> None:
    import numpy as np

    files = [
        make_image(tmp_path / "a.jpg", orientation=6),
        make_wav(tmp_path / "a.wav"),
        make_pdf(tmp_path / "a.pdf", [(100, 100, 90)]),
        make_text(tmp_path / "a.txt", "hé"),
        make_conversation(tmp_path / "a.json", [("m", "hi")]),
        make_pcd(tmp_path / "a.pcd", np.ones((2, 4)), data="ascii"),
    ]
    for path in files:
        media_type = detect_media_type(path)
        assert media_type is not None, path.name
        metadata = probe(path, media_type)
        assert json.loads(json.dumps(metadata)) == metadata, path.name


def test_the_decoders_are_imported_only_to_probe() -> None:
    """Every command and import job imports the workspace; PyAV and pypdf cost it a tenth of a
    second before it did anything, whether it probed a file or not."""
    code = (
        "import sys\n"
        "from labelport import Workspace\n"
        "print(sorted(m for m in ('av', 'pypdf') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
