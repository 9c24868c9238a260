from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from labelport import ConflictError, InvalidInputError, NotFoundError, Workspace
from labelport.model.media import MediaType
from tests.helpers import make_images


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    root = make_images(
        tmp_path / "photos",
        {
            "batch_5/20220624/daytime/image (28).jpeg": (1920, 1080),
            "batch_5/20220624/night/b.png": (640, 480),
            "top.png": (10, 20),
        },
    )
    (root / "notes.txt").write_text("héllo wörld", encoding="utf-8")
    (root / ".DS_Store").write_bytes(b"\0\0")
    return root


def test_add_folder_keys_paths_and_metadata(ws: Workspace, photos: Path) -> None:
    ws.create_dataset("streets")
    res = ws.add_rows("streets", [photos])
    assert (res.added, res.unchanged, res.skipped) == (4, 0, [])
    rows = {r.global_key: r for r in ws.rows("streets")}
    assert set(rows) == {
        "/batch_5/20220624/daytime/image (28).jpeg",
        "/batch_5/20220624/night/b.png",
        "/top.png",
        "/notes.txt",
    }
    day = rows["/batch_5/20220624/daytime/image (28).jpeg"]
    assert day.parent_path == "/batch_5/20220624/daytime"
    assert day.filename == "image (28).jpeg"
    assert day.media_type is MediaType.IMAGE
    assert (day.metadata["width"], day.metadata["height"]) == (1920, 1080)
    assert rows["/top.png"].parent_path == "/"
    assert rows["/notes.txt"].media_type is MediaType.TEXT
    assert rows["/notes.txt"].metadata["length"] == 11
    assert len({r.id for r in rows.values()}) == 4


def test_adding_again_adds_nothing(ws: Workspace, photos: Path) -> None:
    ws.create_dataset("streets")
    ws.add_rows("streets", [photos])
    again = ws.add_rows("streets", [photos])
    assert (again.added, again.unchanged) == (0, 4)
    assert len(ws.rows()) == 4


def test_unreadable_file_is_skipped_and_named(ws: Workspace, photos: Path) -> None:
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    ws.create_dataset("streets")
    res = ws.add_rows("streets", [photos])
    assert res.added == 4
    assert [s.path for s in res.skipped] == [str(photos / "broken.jpg")]
    assert "image" in res.skipped[0].reason


def test_strict_refuses_everything(ws: Workspace, photos: Path) -> None:
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    ws.create_dataset("streets")
    with pytest.raises(InvalidInputError, match=r"broken\.jpg"):
        ws.add_rows("streets", [photos], strict=True)
    assert ws.rows() == []


def test_global_key_clash_names_both_and_changes_nothing(ws: Workspace, tmp_path: Path) -> None:
    a = make_images(tmp_path / "a", {"x/img.png": (4, 4)})
    b = make_images(tmp_path / "b", {"x/img.png": (4, 4), "x/other.png": (4, 4)})
    ws.create_dataset("d")
    ws.add_rows("d", [a])
    with pytest.raises(ConflictError) as err:
        ws.add_rows("d", [b])
    assert str(a / "x/img.png") in str(err.value) and str(b / "x/img.png") in str(err.value)
    assert [r.global_key for r in ws.rows()] == ["/x/img.png"]


def test_clash_inside_one_request(ws: Workspace, tmp_path: Path) -> None:
    a = make_images(tmp_path / "a", {"img.png": (4, 4)})
    b = make_images(tmp_path / "b", {"img.png": (4, 4)})
    ws.create_dataset("d")
    with pytest.raises(ConflictError, match="already taken"):
        ws.add_rows("d", [a, b])
    assert ws.rows() == []


def test_media_type_override_and_unknown_files(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "f.xyz").write_text("hello", encoding="utf-8")
    ws.create_dataset("d")
    res = ws.add_rows("d", [tmp_path / "f.xyz"])
    assert res.added == 0 and "media-type" in res.skipped[0].reason
    res = ws.add_rows("d", [tmp_path / "f.xyz"], media_type="text")
    assert res.added == 1 and ws.rows()[0].media_type is MediaType.TEXT


def test_unknown_dataset_and_missing_path(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no dataset named 'nope'"):
        ws.add_rows("nope", [tmp_path])
    ws.create_dataset("d")
    with pytest.raises(InvalidInputError, match="no such file"):
        ws.add_rows("d", [tmp_path / "missing"])


def test_dataset_names(ws: Workspace) -> None:
    ws.create_dataset("a")
    with pytest.raises(ConflictError):
        ws.create_dataset("a")
    with pytest.raises(InvalidInputError):
        ws.create_dataset(" a")
    assert [d.name for d in ws.datasets()] == ["a"]


def test_manifest_csv_and_json(ws: Workspace, tmp_path: Path) -> None:
    make_images(tmp_path, {"local/p.png": (30, 20)})
    csv_path = tmp_path / "m.csv"
    csv_path.write_text(
        "uri,global_key,external_id,media_type,width,height\n"
        "s3://bucket/a/1.jpg,cam/1.jpg,ext-1,image,1920,1080\n"
        "local/p.png,,,,,\n",
        encoding="utf-8",
    )
    ws.create_dataset("d")
    res = ws.add_manifest("d", csv_path)
    assert (res.added, res.skipped) == (2, [])
    rows = {r.global_key: r for r in ws.rows()}
    remote = rows["cam/1.jpg"]
    assert remote.uri == "s3://bucket/a/1.jpg" and remote.external_id == "ext-1"
    assert remote.metadata == {"width": 1920, "height": 1080}
    assert remote.parent_path == "/cam" and remote.filename == "1.jpg"
    local = rows["/p.png"]
    assert local.metadata["width"] == 30
    json_path = tmp_path / "m.json"
    json_path.write_text(
        json.dumps(
            [
                {
                    "uri": "https://example.invalid/v.mp4",
                    "global_key": "vid-1",
                    "media_type": "video",
                    "metadata": {"fps": 30, "frame_count": 90, "width": 64, "height": 48},
                    "id": "ckx0000000000000000000001",
                    "tags": ["night"],
                }
            ]
        ),
        encoding="utf-8",
    )
    res = ws.add_manifest("d", json_path)
    assert res.added == 1
    vid = ws.row("vid-1")
    assert vid.id == "ckx0000000000000000000001" and vid.tags == ["night"]
    assert ws.add_manifest("d", json_path).unchanged == 1


def test_manifest_errors_are_located(ws: Workspace, tmp_path: Path) -> None:
    ws.create_dataset("d")
    bad = tmp_path / "m.json"
    bad.write_text(
        json.dumps([{"uri": "s3://b/x.jpg", "media_type": "image", "metadata": {}}, {"global_key": "k"}]),
        encoding="utf-8",
    )
    with pytest.raises(InvalidInputError, match=r"m.json#/1: missing `uri`"):
        ws.add_manifest("d", bad)
    assert ws.rows() == []
    bad.write_text("uri,width\ns3://b/x.jpg,wide\n", encoding="utf-8")
    bad2 = tmp_path / "m.csv"
    bad.rename(bad2)
    with pytest.raises(InvalidInputError, match=r"m.csv:2: `width` must be a number"):
        ws.add_manifest("d", bad2)


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[str]:
    """A real HTTP server on loopback serving tmp_path/www."""
    www = make_images(tmp_path / "www", {"remote.png": (12, 7)})

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: object, **k: object) -> None:
            super().__init__(*a, directory=str(www), **k)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_manifest_remote_without_metadata_is_fetched_and_probed(
    ws: Workspace, tmp_path: Path, http_root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABELPORT_ALLOW_PRIVATE_URLS", "1")  # the server is on loopback
    m = tmp_path / "m.json"
    m.write_text(json.dumps([{"uri": f"{http_root}/remote.png", "global_key": "r"}]), encoding="utf-8")
    ws.create_dataset("d")
    assert ws.add_manifest("d", m).added == 1
    assert ws.row("r").metadata["width"] == 12


def test_manifest_urls_on_private_addresses_are_refused_by_default(
    ws: Workspace, tmp_path: Path, http_root: str
) -> None:
    """Fetching goes through the same guard as payload and mask URLs (no loopback, private or
    link-local addresses unless LABELPORT_ALLOW_PRIVATE_URLS is set)."""
    m = tmp_path / "m.json"
    m.write_text(json.dumps([{"uri": f"{http_root}/remote.png", "global_key": "r"}]), encoding="utf-8")
    ws.create_dataset("d")
    with pytest.raises(InvalidInputError) as exc:
        ws.add_manifest("d", m, strict=True)
    assert "127.0.0.1" in exc.value.message or "private" in exc.value.message
    assert ws.rows() == []
