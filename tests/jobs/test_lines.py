"""Input outcomes as runs: one run per file for formats whose records carry no line numbers; a
record that joins several lines is decided as those lines one by one."""

from __future__ import annotations

from typing import Any

import pytest

from labelport.jobs.lines import LineLog
from labelport.model.issues import Issue, Location, Severity
from labelport.model.records import Annotation, Record, RowRef
from labelport.validate.engine import Validator
from tests.validate.test_fast_lane import _snapshot


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


# --- records of several lines (NDJSON joins consecutive lines of a row) ---------------------------


ELEVEN = [
    ("a.png", "car"),
    ("a.png", "nope"),
    ("a.png", "car"),
    ("nope.png", "car"),
    ("nope.png", "car"),
    ("c.png", "car"),
    ("c.png", "car"),
    ("c.png", "car"),
    ("b.png", "car"),
    ("a.png", "car"),
    ("a.png", "car"),
]


def _line_records(lines: list[tuple[str, str] | None] = ELEVEN) -> list[Record]:
    """One record per line, as NDJSON's general path makes them (None: a blank line). The
    default: good boxes, an unknown class, a row that does not exist, a row without a size
    (reported once, every box refused), an id used twice, and a row named again after another."""
    out = []
    for n, line in enumerate(lines, 1):
        if line is None:
            continue
        key, name = line
        uid = f"00000000-0000-4000-8000-{min(n, 10):012d}"  # lines 10 and 11 share one
        ann = Annotation(kind="bbox", name=name, geometry=[n, 1, 5, 5], uid=uid, pointer="/bbox")
        loc = Location(file="p.ndjson", line=n, annotation_id=uid, data_row=key)
        out.append(Record(row=RowRef(global_key=key), annotations=[ann], location=loc))
    return out


def _joined(records: list[Record]) -> list[Record]:
    """As the reader joins them: consecutive lines of one row (a blank line ends a run)."""
    out: list[Record] = []
    for r in records:
        last = out[-1] if out else None
        line = r.location.line
        assert line is not None
        if last is not None and last.row == r.row and last.location.line == line - last.lines:
            if last.lines == 1:
                last.annotations[0].line = last.location.line
            r.annotations[0].line = r.location.line
            last.annotations.append(r.annotations[0])
            last.lines += 1
        else:
            out.append(r)
    return out


def _validated(records: list[Record]) -> tuple[list[Any], list[Any], list[list[Any]]]:
    issues: list[Issue] = []
    log = LineLog()

    def sink(item: Issue) -> None:  # as the job's issue writer
        if item.severity is Severity.ERROR and (item.location.line is not None or item.location.file):
            log.reject(item.location.file, item.location.line)
        issues.append(item)

    v = Validator(_snapshot(), on_existing="fail", class_map=None, sink=sink)
    accepted = []
    for r in records:
        accepted += v.check(r)
        log.took(r, v.last_outcome, v.last_rejected_lines)
    v.finish()
    return (
        [(a.owner, a.uid, a.geometry) for a in accepted],
        [(i.code, i.location) for i in issues],
        log.final(succeeded=True, dry_run=False),
    )


def test_a_record_of_several_lines_is_decided_line_by_line() -> None:
    one_by_one = _validated(_line_records())
    joined = _joined(_line_records())
    assert [r.lines for r in joined] == [3, 2, 3, 1, 2]
    assert _validated(joined) == one_by_one
    _, issues, lines = one_by_one
    assert [line for line in lines if line[3] == "rejected"] == [
        ["p.ndjson", 2, 2, "rejected"],
        ["p.ndjson", 4, 8, "rejected"],
        ["p.ndjson", 11, 11, "rejected"],
    ]
    assert [(code, loc.line) for code, loc in issues] == [
        ("unknown_class", 2),
        ("data_row_not_found", 4),
        ("data_row_not_found", 5),
        ("missing_dimensions", 6),
        ("duplicate_annotation_id", 11),
    ]


@pytest.mark.parametrize(
    "lines",
    [
        # a blank line between two runs of one row, every line refused: one rejected range
        [("a.png", "nope"), ("a.png", "nope"), None, ("a.png", "nope"), ("a.png", "nope")],
        # an accepted line, a blank one, then a run whose first line is refused
        [("b.png", "car"), None, ("a.png", "nope"), ("a.png", "car")],
        # a blank line inside accepted lines, and one between refused lines of a run
        [
            ("a.png", "car"),
            None,
            ("a.png", "car"),
            ("c.png", "car"),
            ("c.png", "car"),
            None,
            ("c.png", "car"),
        ],
    ],
)
def test_lines_that_make_no_record_are_logged_as_between_single_lines(
    lines: list[tuple[str, str] | None],
) -> None:
    """Runs extend across a line that made no record (a blank one): the joined record's lines
    must make the runs its lines make one by one, not one range across them."""
    joined = _joined(_line_records(lines))
    assert any(r.lines > 1 for r in joined)
    assert _validated(joined) == _validated(_line_records(lines))
