"""`labelport demo`: build a sample workspace and show it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelport.cli.output import STATE, emit, out, table
from labelport.workspace.demo import run_demo


def demo(
    folder: Annotated[
        Path, typer.Option("--dir", help="Where to build the sample (replaced if present).")
    ] = Path("labelport-demo"),
) -> None:
    """Build a sample (generated images, an ontology, a label payload), import it and show the result.

    Example: labelport demo --dir /tmp/lp-demo
    """
    result = run_demo(folder.resolve(), STATE.db)

    def render() -> None:
        p = result["project"]
        out.print(f"[bold]workspace[/bold] {result['workspace']}")
        out.print(
            f"{result['rows_added']} rows added; batch {result['batch']!r} sent to project "
            f"{p.name!r} ({p.media_type.value}, ontology {p.ontology!r})"
        )
        table(
            "data rows",
            ["global key", "media", "size"],
            [
                [r.global_key, r.media_type.value, f"{r.metadata['width']}x{r.metadata['height']}"]
                for r in result["rows"]
            ],
        )
        job = result["job"]
        c = job.counts
        out.print(
            f"import job {job.id} {job.state.value}: {c['annotations_imported']} annotations on "
            f"{c['data_rows']} rows, {c['errors']} errors"
        )
        table("tasks", ["status", "count"], [[k, v] for k, v in p.task_counts.items() if v])
        out.print(f"next: LABELPORT_DB={result['workspace']} labelport project show {p.name}")

    emit(result, render)
