"""``python -m bench ingest --files N``: benchmarks, run on demand and printing figures."""

from __future__ import annotations

import argparse

from bench import ingest


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("ingest", help="rows add of a folder of small images")
    p.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args()
    if args.what == "ingest":
        ingest.run(args.files)


if __name__ == "__main__":
    main()
