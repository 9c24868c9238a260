"""``python -m bench ingest --files N``: benchmarks, run on demand and printing figures."""

from __future__ import annotations

import argparse

from bench import imports, ingest


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("ingest", help="rows add of a folder of small images")
    p.add_argument("--files", type=int, default=10_000)
    p = sub.add_parser("import", help="import a synthetic payload end to end, against the floor")
    p.add_argument("--format", choices=["coco", "ndjson", "yolo", "aimmo"], default="coco")
    p.add_argument("--images", type=int, default=10_000, help="about 10 annotations each")
    p.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--invalid", type=int, default=0, help="plant this many invalid annotations")
    p.add_argument("--peers", action="store_true", help="also time the peers' COCO loaders (COCO only)")
    p.add_argument(
        "--export", action="append", default=[], choices=["coco", "ndjson"], help="then time an export"
    )
    p.add_argument("--runs", type=int, default=1, help="pairs of floor and import; medians are shown")
    args = parser.parse_args()
    if args.what == "ingest":
        ingest.run(args.files)
    elif args.what == "import":
        exports = tuple(args.export)
        imports.run(
            args.format,
            args.images,
            args.engine,
            args.invalid,
            peers=args.peers,
            export_to=exports,
            runs=args.runs,
        )


if __name__ == "__main__":
    main()
