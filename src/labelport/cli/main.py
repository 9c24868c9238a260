"""The ``labelport`` command: a thin shell over `labelport.Workspace`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from labelport.cli import catalog, common, demo, imports, projects, server, worker
from labelport.cli.output import EXIT_REFUSED, STATE, fail
from labelport.model.errors import LabelportError

app = typer.Typer(
    name="labelport",
    help="Ground-truth import for machine-learning labeling: every format, exact or not at all.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _global(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="LABELPORT_DB",
            help="Workspace URL: a SQLite file (default labelport.db) or postgresql://…",
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    STATE.db = db
    STATE.json = json


app.command("init")(catalog.init)
app.command("demo")(demo.demo)
app.add_typer(catalog.dataset_app, name="dataset")
app.add_typer(catalog.rows_app, name="rows")
app.add_typer(catalog.ontology_app, name="ontology")
app.add_typer(projects.project_app, name="project")
app.add_typer(projects.batch_app, name="batch")
app.add_typer(projects.task_app, name="task")
app.command("import")(imports.import_)
app.add_typer(imports.job_app, name="job")
imports.job_app.command("cancel")(worker.job_cancel)
app.command("export")(imports.export)
app.command("formats")(imports.formats_)
app.command("detect")(imports.detect)
app.command("serve")(server.serve)
app.add_typer(server.token_app, name="token")
app.command("worker")(worker.worker)


def main(argv: list[str] | None = None) -> int:
    """Entry point. Typer handles usage errors (exit 2); refused requests exit 1. Returns the
    exit code instead of exiting when called with ``argv`` (tests)."""
    code = 0
    try:
        try:
            app(args=argv, prog_name="labelport")
        except LabelportError as exc:
            fail(exc)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_REFUSED)
    finally:
        common.close()
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
