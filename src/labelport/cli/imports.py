"""`labelport import | job | export | formats`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from labelport.cli.common import workspace
from labelport.cli.output import EXIT_REFUSED, STATE, emit, err, out, table
from labelport.formats import detect as detect_format
from labelport.formats import explain
from labelport.formats import get as get_format
from labelport.formats import names as format_names
from labelport.model.issues import CODES, Issue, Severity
from labelport.model.jobs import ImportJob, JobState
from labelport.workspace.imports import Progress as ProgressFn

job_app = typer.Typer(help="Import jobs: their state, report and undo.", no_args_is_help=True)


@contextmanager
def _progress() -> Iterator[ProgressFn | None]:
    if STATE.json or not err.is_terminal:
        yield None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=None)

        def update(phase: str, done: int, total: int | None) -> None:
            bar.update(task, description=phase, completed=done, total=total)

        yield update


def import_(
    project: str,
    payload: Path,
    format: Annotated[
        str, typer.Option("--format", help="ndjson, aimmo, … or auto (detect and explain).")
    ] = "auto",
    mode: Annotated[str, typer.Option(help="ground-truth (tasks become done) or prelabel.")] = "ground-truth",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report everything, write nothing but the job.")
    ] = False,
    class_map: Annotated[
        Path | None, typer.Option(help='JSON file {"Source name": "ontology name"}.')
    ] = None,
    on_existing: Annotated[
        str, typer.Option(help="Rows with labels or started tasks: fail, skip or replace.")
    ] = "fail",
    name: Annotated[str | None, typer.Option(help="A name for the job.")] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", help="A format option KEY=VALUE (see `labelport formats`); repeatable."),
    ] = None,
    suggest_class_map: Annotated[
        bool,
        typer.Option(
            "--suggest-class-map",
            help="Print the payload's class names against the ontology with a proposed map; import nothing.",
        ),
    ] = False,
) -> None:
    """Import a payload of labels into a project: validate everything, then commit atomically.

    Exit 0 when the job succeeds, 1 when it fails (its report says why).

    Example: labelport import streets-gt labels.ndjson --format ndjson --dry-run
    """
    options = parse_options(option)
    if suggest_class_map:
        _suggest(project, payload, format, options)
        return
    if mode not in ("ground-truth", "prelabel"):
        raise typer.BadParameter("--mode is ground-truth or prelabel")
    if on_existing not in ("fail", "skip", "replace"):
        raise typer.BadParameter("--on-existing is fail, skip or replace")
    with _progress() as bar:
        job = workspace().import_labels(
            project,
            payload,
            format=format,
            mode=mode,
            dry_run=dry_run,
            class_map=class_map,
            on_existing=on_existing,
            name=name,
            options=options,
            progress=bar,
        )
    _show(workspace().job(job.id, issues=None), full=False)
    if job.state is not JobState.SUCCEEDED:
        raise SystemExit(EXIT_REFUSED)


def parse_options(given: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in given or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{item!r}: give --option KEY=VALUE")
        out[key.strip()] = value
    return out


def _suggest(project: str, payload: Path, format: str, options: dict[str, str]) -> None:
    s = workspace().suggest_class_map(project, payload, format=format, options=options)
    data = {
        "class_map": s.class_map,
        "matched": s.matched,
        "unmatched": s.unmatched,
        "ambiguous": s.ambiguous,
    }

    def render() -> None:
        if s.class_map:
            out.print("Proposed class map (review it, save it as JSON, pass it with --class-map):")
            out.print_json(data=s.class_map)
        else:
            out.print("No near misses to propose.")
        if s.unmatched:
            out.print(
                "Not in the ontology, no near miss: "
                + ", ".join(f"{k} ({v:,})" for k, v in s.unmatched.items())
            )
        if s.ambiguous:
            out.print(
                "Several ontology names fold alike: "
                + "; ".join(f"{k} → {' / '.join(v)}" for k, v in s.ambiguous.items())
            )
        out.print(f"{len(s.matched)} names already match exactly.")

    emit(data, render)


def _show(job: ImportJob, *, full: bool) -> None:
    def render() -> None:
        c = job.counts
        style = "green" if job.state is JobState.SUCCEEDED else "red"
        tag = " (dry run)" if job.dry_run else ""
        tag += f" (same payload as job {job.duplicate_of}: nothing new)" if job.duplicate_of else ""
        tag += " (undone)" if job.undone else ""
        out.print(
            f"job {job.id} [{style}]{job.state.value}[/{style}]{tag}: {job.project} ← {job.payload} "
            f"({job.format}, {job.mode.value}, on existing: {job.on_existing.value})"
        )
        out.print(
            f"  {c['lines']:,} lines, {c['annotations']:,} annotations on {c['data_rows']:,} rows; "
            f"{c['annotations_imported']:,} imported, {c['annotations_replaced']:,} replaced, "
            f"{c['data_rows_done']:,} rows done, {c['data_rows_skipped']:,} skipped; "
            f"{c['errors']:,} errors, {c['warnings']:,} warnings"
        )
        if job.error:
            out.print(
                f"  [red]{job.error['code']}[/red]: {job.error['message']}"
                + (f" ({job.error['hint']})" if job.error.get("hint") else "")
            )
        if len(job.lines) > 1 or (job.lines and job.lines[0]["outcome"] != "imported"):
            runs = [_run_text(r) for r in job.lines[:12]]
            out.print("  lines: " + "; ".join(runs) + (" …" if len(job.lines) > 12 else ""))
        if job.issues:
            (_issue_list if full else _issue_summary)(job.issues)

    emit(job, render)


def _run_text(r: dict[str, Any]) -> str:
    a, b = r["first_line"], r["last_line"]
    where = (r["file"] or "") if a is None else f"{a}" if a == b else f"{a}-{b}"
    return f"{where} {r['outcome']}"


def _issue_summary(issues: list[Issue]) -> None:
    groups: dict[str, list[Issue]] = defaultdict(list)
    for i in issues:
        groups[i.code].append(i)
    rows = []
    for code, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        first = items[0]
        where = "; ".join(str(i.location) for i in items[:3]) + (" …" if len(items) > 3 else "")
        rows.append(
            [
                code,
                first.severity.value,
                len(items),
                first.message,
                first.hint or CODES[code].fix if code in CODES else first.hint,
                where,
            ]
        )
    table("issues by code", ["code", "severity", "count", "first message", "hint", "first locations"], rows)


def _issue_list(issues: list[Issue]) -> None:
    table(
        None,
        ["#", "code", "severity", "location", "message", "hint"],
        [[n, i.code, i.severity.value, str(i.location), i.message, i.hint] for n, i in enumerate(issues, 1)],
    )


@job_app.command("show")
def job_show(
    job: int,
    issues: Annotated[
        bool, typer.Option("--issues", help="List every issue, not a summary by code.")
    ] = False,
) -> None:
    """Show a job: its state, counts and issues.

    Example: labelport job show 3 --issues
    """
    _show(workspace().job(job, issues=None), full=issues)


@job_app.command("run")
def job_run(job: int) -> None:
    """Run a queued job, or run again one that was interrupted (a crash leaves nothing behind).

    Example: labelport job run 7
    """
    with _progress() as bar:
        workspace().run_job(job, bar)
    j = workspace().job(job, issues=None)
    _show(j, full=False)
    if j.state is not JobState.SUCCEEDED:
        raise SystemExit(EXIT_REFUSED)


@job_app.command("list")
def job_list(project: str) -> None:
    """List a project's import jobs."""
    items = workspace().jobs(project)
    emit(
        items,
        lambda: table(
            None,
            ["id", "name", "format", "mode", "state", "imported", "errors", "created"],
            [
                [
                    j.id,
                    j.name,
                    j.format,
                    j.mode.value,
                    j.state.value + (" (dry run)" if j.dry_run else "") + (" (undone)" if j.undone else ""),
                    j.counts.get("annotations_imported", 0),
                    j.counts.get("errors", 0),
                    j.created_at.isoformat(timespec="seconds"),
                ]
                for j in items
            ],
        ),
    )


@job_app.command("undo")
def job_undo(job: int) -> None:
    """Revert a succeeded job in one transaction: its annotations gone, what it replaced back,
    tasks as they were. Refused when a later job touched the same rows.

    Example: labelport job undo 3
    """
    j = workspace().undo_job(job)
    emit(j, lambda: out.print(f"job {j.id} undone"))


def export(
    project: str,
    out_path: Annotated[Path, typer.Argument(metavar="OUT")],
    format: Annotated[str, typer.Option("--format", help="ndjson, aimmo, …")],
    mode: Annotated[str, typer.Option(help="ground-truth or prelabel labels.")] = "ground-truth",
    option: Annotated[
        list[str] | None,
        typer.Option("--option", help="A format option KEY=VALUE (see `labelport formats`); repeatable."),
    ] = None,
) -> None:
    """Write a project's labels in a format; what the format cannot carry is reported, never dropped.

    Example: labelport export streets-gt --format ndjson out.ndjson
    """
    summary = workspace().export(project, out_path, format=format, mode=mode, options=parse_options(option))
    data = {
        "rows": summary.rows,
        "annotations": summary.annotations,
        "out": str(out_path),
        "not_expressible": summary.not_expressible,
    }

    def render() -> None:
        out.print(f"wrote {summary.annotations:,} annotations of {summary.rows:,} rows to {out_path}")
        if summary.not_expressible:
            out.print(
                f"[yellow]{len(summary.not_expressible)} annotations cannot be carried by {format}:[/yellow]"
            )
            _issue_list(summary.not_expressible[:50])

    emit(data, render)
    if any(i.severity is not Severity.INFO for i in summary.not_expressible):
        raise SystemExit(EXIT_REFUSED)  # labels were left behind; bookkeeping alone (INFO) is not that


def detect(payload: Path) -> None:
    """Say which format a payload is and why, with every format's reasons (what `--format auto` does).

    Exit 0 when exactly one format matches, 1 otherwise.

    Example: labelport detect annotations/instances_val.json
    """
    found, results = detect_format(payload)
    data = {
        "format": found,
        "formats": {n: {"confidence": d.confidence, "reasons": d.reasons} for n, d in results.items()},
    }

    def render() -> None:
        out.print(f"[green]{found}[/green]" if found else f"[red]{explain(results)}[/red]")
        table(
            None,
            ["format", "confidence", "reasons"],
            [[n, f"{d.confidence:.2f}", "; ".join(d.reasons)] for n, d in results.items()],
        )

    emit(data, render)
    if found is None:
        raise SystemExit(EXIT_REFUSED)


def formats_() -> None:
    """List the payload formats, with what each can carry."""
    specs = [get_format(n) for n in format_names()]
    data: list[dict[str, Any]] = [
        {
            "name": s.name,
            "title": s.title,
            "import": s.read is not None,
            "export": s.write is not None,
            "media_types": list(s.media_types),
            "carries": s.carries,
            "options": s.options,
        }
        for s in specs
    ]

    def render() -> None:
        # one block a format: the descriptions are sentences, which a table column would cut
        for d in data:
            ways = "/".join(w for w in ("import", "export") if d[w]) or "neither"
            out.print(f"[bold]{d['name']}[/bold] — {d['title']} ({ways}; {', '.join(d['media_types'])})")
            out.print(f"  carries: {d['carries']}", highlight=False)
            for k, v in d["options"].items():
                out.print(f"  --option {k}=…  {v}", highlight=False)
            out.print()

    emit(data, render)
