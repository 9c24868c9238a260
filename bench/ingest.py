"""How fast `rows add` turns a folder of small images into data rows, probe included.

Baseline, measured in the same run on the same files: the floor of the job, i.e. Pillow reading
each header plus one SQLite ``executemany`` of bare rows. labelport's figure is shown as a ratio to it.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from PIL import Image

from bench.measure import in_subprocess


def make_folder(root: Path, n: int) -> Path:
    """n small JPEGs over a nested tree of 100 per folder."""
    img = Image.new("RGB", (64, 48), (10, 120, 200))
    for i in range(n):
        d = root / f"batch_{i // 1000}" / f"part_{(i // 100) % 10}"
        d.mkdir(parents=True, exist_ok=True)
        img.save(d / f"img_{i:07d}.jpg", quality=80)
    return root


def floor(folder: str, db: str) -> int:
    rows = []
    for dirpath, _dirs, files in os.walk(folder):
        for f in files:
            p = os.path.join(dirpath, f)
            with Image.open(p) as im:
                w, h = im.size
            rows.append((p, w, h))
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE r (path TEXT UNIQUE, w INT, h INT)")
    with con:
        con.executemany("INSERT INTO r VALUES (?, ?, ?)", rows)
    con.close()
    return len(rows)


def labelport(folder: str, db: str) -> int:
    from labelport import Workspace

    Workspace.init(db)
    with Workspace(db) as ws:
        ws.create_dataset("bench")
        return ws.add_rows("bench", [folder]).added


def run(files: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_folder(Path(tmp) / "imgs", files)
        base = in_subprocess("bench.ingest", "floor", str(folder), str(Path(tmp) / "floor.db"))
        ours = in_subprocess("bench.ingest", "labelport", str(folder), str(Path(tmp) / "lp.db"))
    assert ours["result"] == files == base["result"], (ours, base)
    print(f"rows add, {files} small JPEGs (probe included)")
    print(f"{'':<12}{'seconds':>10}{'rows/s':>12}{'peak RSS MB':>14}{'x floor':>10}")
    for name, r in (("floor", base), ("labelport", ours)):
        print(
            f"{name:<12}{r['seconds']:>10.2f}{files / r['seconds']:>12,.0f}{r['peak_rss_mb']:>14.0f}"
            f"{r['seconds'] / base['seconds']:>10.2f}"
        )
