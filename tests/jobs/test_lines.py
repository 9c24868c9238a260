"""Input outcomes as runs: one run per file for formats whose records carry no line numbers."""

from __future__ import annotations

from labelport.jobs.lines import LineLog


def test_records_without_lines_give_one_run_per_file() -> None:
    log = LineLog()
    for outcome in ["accepted", "skipped", "accepted"] * 1000:
        log.add("coco.json", None, outcome)
    log.add("other.json", None, "skipped")
    assert log.final(succeeded=True, dry_run=False) == [
        ["coco.json", None, None, "imported"],
        ["other.json", None, None, "skipped"],
    ]


def test_a_rejected_record_rejects_its_file() -> None:
    log = LineLog()
    log.add("coco.json", None, "accepted")
    log.add("coco.json", None, "rejected")
    log.add("coco.json", None, "accepted")
    assert log.runs == [["coco.json", None, None, "rejected"]]


def test_lines_still_make_runs() -> None:
    log = LineLog()
    for n in range(1, 6):
        log.add("p.ndjson", n, "accepted")
    log.reject("p.ndjson", 3)
    assert log.final(succeeded=False, dry_run=False) == [
        ["p.ndjson", 1, 2, "not_imported"],
        ["p.ndjson", 3, 3, "rejected"],
        ["p.ndjson", 4, 5, "not_imported"],
    ]
