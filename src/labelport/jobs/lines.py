"""What became of every input line or file, kept as runs (see ``store.schema.job_lines``).

Records arrive in payload order and extend runs of one outcome; an error can be found later than
its line (a relationship whose endpoint never came), so rejections are kept apart and split the
runs once, at the end.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from typing import Any

from labelport.model.records import Record

Key = tuple[str, int]
_RANK = {"skipped": 0, "accepted": 1, "rejected": 2}


class LineLog:
    def __init__(self) -> None:
        self.runs: list[list[Any]] = []  # [file, first_line, last_line, outcome] in payload order
        self.rejected: dict[str | None, set[int | None]] = defaultdict(set)

    def took(self, record: Record, outcome: str, rejected: list[int | None]) -> None:
        """What validation made of a record: ``outcome`` for its line, or for each of its lines
        when it joins several (``model.records.Record.lines``), except the ``rejected`` ones,
        refused one by one. The log is then the one the record's lines make as records of their
        own: one range when they share the outcome, else line by line (runs extend across lines
        that made no record, a blank one say, so a range must not join what single lines would
        not)."""
        where = record.location
        if record.lines == 1:
            self.add(where.file, where.line, outcome)
        elif not rejected:
            self.add(where.file, where.line, outcome, record.annotations[-1].line)
        else:
            refused = set(rejected)
            for ann in record.annotations:
                self.add(where.file, ann.line, "rejected" if ann.line in refused else outcome)

    def add(self, file: str | None, line: int | None, outcome: str, end: int | None = None) -> None:
        """An outcome of line ``line`` (to ``end``, for a record of several lines)."""
        last = self.runs[-1] if self.runs else None
        if last and last[0] == file and line is None and last[1] is None:
            # several records of one file without lines (COCO's images): one outcome for the file,
            # the most telling of theirs; the report's issues say which parts
            last[3] = max(last[3], outcome, key=_RANK.__getitem__)
            return
        end = line if end is None else end
        if last and last[0] == file and last[3] == outcome and line is not None and last[2] is not None:
            last[2] = end
        else:
            self.runs.append([file, line, end, outcome])

    def reject(self, file: str | None, line: int | None) -> None:
        self.rejected[file].add(line)

    def final(self, *, succeeded: bool, dry_run: bool) -> list[list[Any]]:
        """Accepted lines become imported, would_import (dry run) or not_imported (the job failed)."""
        word = "would_import" if dry_run else "imported" if succeeded else "not_imported"
        pieces: list[list[Any]] = []
        placed: set[tuple[str | None, int | None]] = set()
        sorted_rej = {f: sorted(x for x in lines if x is not None) for f, lines in self.rejected.items()}
        for f, a, b, o in self.runs:
            o = word if o == "accepted" else o
            if a is None:  # one whole file
                bad = None in self.rejected.get(f, ())
                placed.add((f, None))
                pieces.append([f, None, None, "rejected" if bad else o])
                continue
            rej = sorted_rej.get(f, [])
            inside = rej[bisect_left(rej, a) : bisect_right(rej, b)]
            start = a
            for r in inside:
                placed.add((f, r))
                if r > start:
                    pieces.append([f, start, r - 1, o])
                pieces.append([f, r, r, "rejected"])
                start = r + 1
            if start <= b:
                pieces.append([f, start, b, o])
        for f, lines in self.rejected.items():
            for line in lines:
                if (f, line) not in placed:
                    pieces.append([f, line, line, "rejected"])
        pieces.sort(key=lambda p: (p[0] or "", p[1] if p[1] is not None else -1))
        out: list[list[Any]] = []
        for p in pieces:
            prev = out[-1] if out else None
            if prev and prev[0] == p[0] and prev[3] == p[3] and prev[2] is not None and p[1] is not None:
                prev[2] = max(prev[2], p[2])
            else:
                out.append(p)
        return out
