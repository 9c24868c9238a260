"""Import throughput: labelport end to end (parse, full validation, commit) against the floor.

The floor is "read it, check it, store it" with nothing but the fastest parts, measured in the
same run on the same file: msgspec typed decoding, the checks a bare importer makes (category
known, image known, box finite and inside the image), and one bulk write of every annotation
(SQLite ``executemany`` in 10k-row batches in one transaction, or PostgreSQL binary ``COPY``),
with the garbage collector off as bulk loaders run. Each step runs in a fresh process, so peak RSS
is its own; rows are created beforehand in a separate process and not timed.
"""

from __future__ import annotations

import gc
import math
import sqlite3
import tempfile
import uuid
from pathlib import Path
from typing import Any

import msgspec
import orjson

from bench import payloads
from bench.measure import in_subprocess

PG = "postgresql://postgres@127.0.0.1:5432/test"


# --- the floor ------------------------------------------------------------------------------------


class _Img(msgspec.Struct):
    id: int
    file_name: str
    width: float
    height: float


class _Cat(msgspec.Struct):
    id: int
    name: str


class _Ann(msgspec.Struct):
    id: int
    image_id: int
    category_id: int
    bbox: tuple[float, float, float, float]
    segmentation: list[list[float]] = []


class _Coco(msgspec.Struct):
    images: list[_Img]
    categories: list[_Cat]
    annotations: list[_Ann]


class _Box(msgspec.Struct):
    left: float
    top: float
    width: float
    height: float


class _Point(msgspec.Struct):
    x: float
    y: float


class _Row(msgspec.Struct):
    globalKey: str


class _Line(msgspec.Struct):
    dataRow: _Row
    name: str
    uuid: str
    bbox: _Box | None = None
    polygon: list[_Point] | None = None


def _rows_coco(payload: str) -> list[tuple[Any, ...]]:
    doc = msgspec.json.decode(Path(payload).read_bytes(), type=_Coco)
    images = {i.id: i for i in doc.images}
    cats = {c.id: c.name for c in doc.categories}
    out = []
    for a in doc.annotations:
        img = images.get(a.image_id)
        if img is None or a.category_id not in cats:
            continue
        x, y, w, h = a.bbox
        if not (math.isfinite(x + y + w + h) and w > 0 and h > 0 and x >= 0 and y >= 0):
            continue
        if x + w > img.width or y + h > img.height:
            continue
        seg = orjson.dumps(a.segmentation).decode() if a.segmentation else None
        out.append((a.id, a.image_id, a.category_id, x, y, w, h, seg))
    return out


def _rows_ndjson(payload: str) -> list[tuple[Any, ...]]:
    dec = msgspec.json.Decoder(_Line)
    keys: dict[str, int] = {}
    out = []
    with open(payload, "rb") as fh:
        for n, raw in enumerate(fh):
            line = dec.decode(raw)
            row = keys.setdefault(line.dataRow.globalKey, len(keys) + 1)
            if line.bbox is not None:
                b = line.bbox
                x, y, w, h = b.left, b.top, b.width, b.height
                if not (math.isfinite(x + y + w + h) and w > 0 and h > 0 and x >= 0 and y >= 0):
                    continue
                if x + w > payloads.W or y + h > payloads.H:
                    continue
                out.append((n, row, line.name, x, y, w, h, None))
            elif line.polygon is not None:
                ring = [v for p in line.polygon for v in (p.x, p.y)]
                out.append((n, row, line.name, 0.0, 0.0, 0.0, 0.0, orjson.dumps([ring]).decode()))
    return out


def _rows_yolo(payload: str) -> list[tuple[Any, ...]]:
    out = []
    for n, path in enumerate(sorted(Path(payload, "labels").rglob("*.txt"))):
        for line in path.read_text(encoding="utf-8").splitlines():
            cls, *vals = line.split()
            cx, cy, w, h = (float(v) for v in vals)
            x, y = (cx - w / 2) * payloads.W, (cy - h / 2) * payloads.H
            w, h = w * payloads.W, h * payloads.H
            if int(cls) >= payloads.CLASSES or not (w > 0 and h > 0 and x >= 0 and y >= 0):
                continue
            if x + w > payloads.W or y + h > payloads.H:
                continue
            out.append((len(out), n, cls, x, y, w, h, None))
    return out


class _AimmoAnn(msgspec.Struct):
    id: str
    type: str
    label: str
    points: list[list[float]]
    attributes: dict[str, str] = {}


class _AimmoFile(msgspec.Struct):
    annotations: list[_AimmoAnn]
    filename: str
    parent_path: str


def _rows_aimmo(payload: str) -> list[tuple[Any, ...]]:
    dec = msgspec.json.Decoder(_AimmoFile)
    out = []
    for n, path in enumerate(sorted(Path(payload).rglob("*.json"))):
        doc = dec.decode(path.read_bytes())
        for a in doc.annotations:
            if a.type == "box":
                (x1, y1), (x2, y2) = a.points
                x, y, w, h = min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1)
                if not (w > 0 and h > 0 and x >= 0 and y >= 0):
                    continue
                if x + w > payloads.W or y + h > payloads.H:
                    continue
                out.append((len(out), n, a.label, x, y, w, h, None))
            else:
                ring = [v for p in a.points for v in p]
                out.append((len(out), n, a.label, 0.0, 0.0, 0.0, 0.0, orjson.dumps([ring]).decode()))
    return out


_FLOOR_ROWS = {"coco": _rows_coco, "ndjson": _rows_ndjson, "yolo": _rows_yolo, "aimmo": _rows_aimmo}


def floor(fmt: str, payload: str, engine: str, target: str) -> int:
    gc.disable()
    rows = _FLOOR_ROWS[fmt](payload)
    if engine == "sqlite":
        con = sqlite3.connect(target)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(
            "CREATE TABLE a (id INTEGER PRIMARY KEY, image INT, cat, "
            "x REAL, y REAL, w REAL, h REAL, seg TEXT)"
        )
        with con:
            for i in range(0, len(rows), 10_000):
                con.executemany("INSERT INTO a VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows[i : i + 10_000])
        con.close()
    else:
        import psycopg

        with psycopg.connect(target) as conn, conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE a (id bigint PRIMARY KEY, image bigint, cat text, x float8, y float8, "
                "w float8, h float8, seg text)"
            )
            with cur.copy("COPY a FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "int8", "text", "float8", "float8", "float8", "float8", "text"])
                for r in rows:
                    copy.write_row((r[0], r[1], str(r[2]), *r[3:]))
    return len(rows)


# --- labelport ------------------------------------------------------------------------------------


def setup(db: str, manifest: str) -> int:
    from labelport import Workspace

    Workspace.init(db)
    with Workspace(db) as ws:
        ws.create_dataset("bench")
        added = ws.add_manifest("bench", manifest).added
        ws.create_ontology("bench", payloads.ontology())
        ws.create_project("bench", ontology="bench", media_type="image")
        ws.create_batch("bench", "all", dataset="bench")
    return added


def labelport(db: str, payload: str, fmt: str) -> dict[str, Any]:
    from labelport import Workspace

    with Workspace(db) as ws:
        job = ws.import_labels("bench", payload, format=fmt)
        codes: dict[str, int] = {}
        for issue in ws.job_issues(job.id):
            codes[issue.code] = codes.get(issue.code, 0) + 1
        return {"state": job.state.value, "imported": job.counts["annotations_imported"], "codes": codes}


def _pg_schema() -> tuple[str, str]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return schema, f"{PG}?options=-csearch_path%3D{schema}"


def _drop(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def peer(name: str, payload: str) -> int:
    """What the issue's table compares against, on the same COCO file: decoding alone and the peers'
    COCO loaders (parse only: nothing validated, nothing stored)."""
    gc.disable()
    if name == "msgspec":
        return len(msgspec.json.decode(Path(payload).read_bytes(), type=_Coco).annotations)
    if name == "orjson":
        return len(orjson.loads(Path(payload).read_bytes())["annotations"])
    if name == "pycocotools":
        from pycocotools.coco import COCO

        return len(COCO(payload).anns)
    if name == "globox":
        import globox

        return sum(len(a.boxes) for a in globox.AnnotationSet.from_coco(Path(payload)))
    if name == "datumaro":
        import datumaro as dm

        root = Path(payload).parent / "datumaro" / "annotations"
        root.mkdir(parents=True, exist_ok=True)
        (root.parent / "images").mkdir(exist_ok=True)
        (root / "instances_default.json").symlink_to(Path(payload).resolve())
        ds = dm.Dataset.import_from(str(root.parent), "coco_instances")
        return sum(len(item.annotations) for item in ds)
    raise ValueError(name)


PEERS = ("msgspec", "orjson", "pycocotools", "globox", "datumaro")


def export(db: str, out: str, fmt: str) -> dict[str, Any]:
    from labelport import Workspace

    with Workspace(db) as ws:
        summary = ws.export("bench", out, format=fmt)
        return {"annotations": summary.annotations, "rows": summary.rows}


_SUFFIX = {"coco": ".json", "ndjson": ".ndjson", "yolo": "", "aimmo": ""}
_WRITERS = {
    "coco": payloads.write_coco,
    "ndjson": payloads.write_ndjson,
    "yolo": payloads.write_yolo,
    "aimmo": payloads.write_aimmo,
}


def _size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _median(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median seconds (the upper one of an even count), with the largest peak RSS."""
    ranked = sorted(results, key=lambda r: r["seconds"])
    return {**ranked[len(ranked) // 2], "peak_rss_mb": max(r["peak_rss_mb"] for r in results)}


def run(
    fmt: str,
    images: int,
    engine: str,
    invalid: int,
    *,
    peers: bool = False,
    export_to: tuple[str, ...] = (),
    runs: int = 1,
) -> None:
    """``runs`` pairs of (floor, labelport), each on fresh targets and one after the other, so
    that a machine whose speed drifts moves both alike; the figures are the medians."""
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        payload = t / f"payload{_SUFFIX[fmt]}"
        total = _WRITERS[fmt](payload, images, invalid=invalid)
        manifest = payloads.write_manifest(t / "rows.json", images)
        size = _size_mb(payload)
        floors: list[dict[str, Any]] = []
        imports: list[dict[str, Any]] = []
        extra: list[tuple[str, dict[str, Any]]] = []
        for k in range(runs):
            schemas: list[str] = []
            if engine == "sqlite":
                db, floor_target = str(t / f"lp{k}.db"), str(t / f"floor{k}.db")
            else:
                s1, db = _pg_schema()
                s2, floor_target = _pg_schema()
                schemas = [s1, s2]
            try:
                prep = in_subprocess("bench.imports", "setup", db, str(manifest))
                floor_args = (fmt, str(payload), engine, floor_target)
                floors.append(in_subprocess("bench.imports", "floor", *floor_args))
                last = k == runs - 1
                if last and peers and fmt == "coco" and not invalid:  # they stop at a bad category
                    for name in PEERS:
                        extra.append((name, in_subprocess("bench.imports", "peer", name, str(payload))))
                imports.append(in_subprocess("bench.imports", "labelport", db, str(payload), fmt))
                for target in export_to if last else ():
                    out = t / f"export-{target}{_SUFFIX[target]}"
                    done = in_subprocess("bench.imports", "export", db, str(out), target)
                    extra.append((f"export {target}", done))
            finally:
                for schema in schemas:
                    _drop(schema)
    base, ours = _median(floors), _median(imports)
    steps = [(f"floor ({'executemany' if engine == 'sqlite' else 'COPY'})", base)]
    steps += [(n, r) for n, r in extra if not n.startswith("export")]  # the peers
    steps += [("labelport import", ours), *[(n, r) for n, r in extra if n.startswith("export")]]
    res = ours["result"]
    print(
        f"{fmt} import, {images:,} images, {total:,} annotations ({size:.0f} MB), {engine}"
        + (f", {invalid} invalid" if invalid else "")
        + (f", median of {runs} runs" if runs > 1 else "")
    )
    print(f"  rows created beforehand in {prep['seconds']:.1f} s (not timed below)")
    if runs > 1:
        each = zip(floors, imports, strict=True)
        pairs = ", ".join(f"{f['seconds']:.2f}/{o['seconds']:.2f}" for f, o in each)
        print(f"  floor / labelport seconds, run by run: {pairs}")
    print(f"{'':<22}{'seconds':>10}{'ann/s':>12}{'peak RSS MB':>14}{'x floor':>10}{'CPU s':>9}")
    for name, r in steps:
        print(
            f"{name:<22}{r['seconds']:>10.2f}{total / r['seconds']:>12,.0f}{r['peak_rss_mb']:>14.0f}"
            f"{r['seconds'] / base['seconds']:>10.2f}{r['cpu_seconds']:>9.2f}"
        )
    if runs > 1:
        lo, ours_lo = min(f["seconds"] for f in floors), min(o["seconds"] for o in imports)
        print(f"  fastest of each: floor {lo:.2f} s, labelport {ours_lo:.2f} s ({ours_lo / lo:.2f}x)")
    print(
        "  CPU s: of the step's processes, its reader and writer included"
        + ("" if engine == "sqlite" else " (not the PostgreSQL server's)")
    )
    job_cpu, kids_cpu = ours["cpu_seconds"] - ours["cpu_children"], ours["cpu_children"]
    print(
        f"  labelport's CPU: the job's process {job_cpu:.2f} s, its reader and writer {kids_cpu:.2f} s;"
        f" {ours['cpu_seconds'] / base['cpu_seconds']:.2f}x the floor's"
    )
    print(f"  labelport job: {res['state']}, {res['imported']:,} imported; issues by code: {res['codes']}")
    for name, r in steps:
        if name.startswith("export"):
            ratio = r["seconds"] / imports[-1]["seconds"]
            print(f"  {name}: {r['result']['annotations']:,} annotations, {ratio:.2f}x its import's time")
    if invalid:
        reported = sum(v for k, v in res["codes"].items() if k in payloads.BREAKAGES)
        print(f"  invalid annotations planted: {invalid}, reported: {reported}")
