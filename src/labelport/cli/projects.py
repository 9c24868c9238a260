"""`labelport project | batch | task`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelport.cli.common import workspace
from labelport.cli.output import emit, out, table
from labelport.model.errors import InvalidInputError

project_app = typer.Typer(
    help="Projects: an ontology, a media type and the rows sent to them.", no_args_is_help=True
)
batch_app = typer.Typer(help="Batches: sets of data rows sent to a project.", no_args_is_help=True)
task_app = typer.Typer(help="Tasks: each row's place in a project's workflow.", no_args_is_help=True)


@project_app.command("create")
def project_create(
    name: str,
    ontology: Annotated[str, typer.Option(help="The ontology's name.")],
    media_type: Annotated[
        str,
        typer.Option(
            help="image, video, text, html, conversation, pdf, audio, "
            "geospatial, image_sequence or point_cloud."
        ),
    ],
) -> None:
    """Create a project.

    Example: labelport project create streets-gt --ontology streets-v1 --media-type image
    """
    p = workspace().create_project(name, ontology=ontology, media_type=media_type)
    emit(p, lambda: out.print(f"created project {p.name!r} ({p.media_type.value}, ontology {p.ontology!r})"))


@project_app.command("show")
def project_show(name: str) -> None:
    """Show a project with its task counts by status."""
    p = workspace().project(name)

    def render() -> None:
        out.print(
            f"[bold]{p.name}[/bold]  {p.media_type.value}  ontology {p.ontology!r}  {p.batch_count} batches"
        )
        table(None, ["status", "tasks"], [[k, v] for k, v in p.task_counts.items()])

    emit(p, render)


@project_app.command("list")
def project_list() -> None:
    """List projects."""
    items = workspace().projects()
    emit(
        items,
        lambda: table(
            None,
            ["name", "media", "ontology", "tasks", "done"],
            [
                [
                    p.name,
                    p.media_type.value,
                    p.ontology,
                    sum(p.task_counts.values()),
                    p.task_counts.get("done", 0),
                ]
                for p in items
            ],
        ),
    )


@batch_app.command("create")
def batch_create(
    project: str,
    name: str,
    dataset: Annotated[str | None, typer.Option(help="Every row of this dataset.")] = None,
    global_keys: Annotated[Path | None, typer.Option(help="A file with one global key per line.")] = None,
    prefix: Annotated[str | None, typer.Option(help="Rows whose global key is under this folder.")] = None,
) -> None:
    """Send rows to a project's queue (exactly one of --dataset, --global-keys, --prefix).

    Example: labelport batch create streets-gt first --dataset streets
    """
    if sum(x is not None for x in (dataset, global_keys, prefix)) != 1:
        raise typer.BadParameter("give exactly one of --dataset, --global-keys, --prefix")
    keys = None
    if global_keys is not None:
        try:
            text = global_keys.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InvalidInputError(
                f"cannot read {global_keys}: {exc.strerror}", code="unreadable_file"
            ) from exc
        keys = [line.strip() for line in text.splitlines() if line.strip()]
    b = workspace().create_batch(project, name, dataset=dataset, global_keys=keys, prefix=prefix)
    emit(
        b,
        lambda: out.print(
            f"batch {b.name!r}: {b.row_count} rows sent to {b.project!r}"
            + (f" ({b.already_in_project} already there)" if b.already_in_project else "")
        ),
    )


@task_app.command("set-status")
def task_set_status(
    project: str,
    global_key: str,
    status: str,
    stage: Annotated[str | None, typer.Option(help="labeling, inspection or 'final inspection'.")] = None,
    worker: Annotated[list[str] | None, typer.Option(help="STAGE=WORKER_ID, repeatable.")] = None,
    modifier: Annotated[str | None, typer.Option(help="Last modifier's id.")] = None,
) -> None:
    """Set a task's status (for migrations that carry workflow state).

    Example: labelport task set-status streets-gt /a/img1.jpg in_review --worker labeling=u42
    """
    workers: dict[str, str | None] = {}
    for w in worker or []:
        key, sep, value = w.partition("=")
        if not sep:
            raise typer.BadParameter(f"--worker takes STAGE=WORKER_ID, got {w!r}")
        workers[key.strip()] = value.strip() or None
    t = workspace().set_task_status(
        project, global_key, status, stage=stage, workers=workers, modifier=modifier
    )
    emit(t, lambda: out.print(f"{t.global_key}: {t.status.value} ({t.stage.value})"))


@task_app.command("list")
def task_list(
    project: str,
    status: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int | None, typer.Option(min=1)] = None,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """List a project's tasks."""
    items = workspace().tasks(project, status=status, limit=limit, offset=offset)
    emit(
        items,
        lambda: table(
            None,
            ["global key", "status", "stage", "batch", "last modifier"],
            [[t.global_key, t.status.value, t.stage.value, t.batch, t.last_modifier] for t in items],
        ),
    )
