"""`labelport init | dataset | rows | ontology`: the catalog commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from labelport.cli.common import workspace
from labelport.cli.output import STATE, emit, out, progress, table
from labelport.workspace import Workspace

dataset_app = typer.Typer(help="Datasets: named collections of data rows.", no_args_is_help=True)
rows_app = typer.Typer(help="Data rows: the assets labels attach to.", no_args_is_help=True)
ontology_app = typer.Typer(help="Ontologies: the classes a project may use.", no_args_is_help=True)


def init() -> None:
    """Create the workspace, or upgrade its schema to this version of labelport."""
    result = Workspace.init(STATE.db)
    state = "created" if result["created"] else "upgraded" if result["upgraded"] else "up to date"
    emit(result, lambda: out.print(f"{state}: {result['url']} (schema {result['revision']})"))


@dataset_app.command("create")
def dataset_create(name: str) -> None:
    """Create a dataset.

    Example: labelport dataset create streets
    """
    ds = workspace().create_dataset(name)
    emit(ds, lambda: out.print(f"created dataset {ds.name!r}"))


@dataset_app.command("list")
def dataset_list() -> None:
    """List datasets with their row counts."""
    items = workspace().datasets()
    emit(
        items,
        lambda: table(
            None,
            ["name", "rows", "created"],
            [[d.name, d.row_count, d.created_at.isoformat(timespec="seconds")] for d in items],
        ),
    )


@rows_app.command("add")
def rows_add(
    dataset: str,
    paths: Annotated[list[Path] | None, typer.Argument(help="Files and folders (folders recurse).")] = None,
    media_type: Annotated[
        str | None, typer.Option(help="Force a media type instead of detecting it.")
    ] = None,
    manifest: Annotated[
        Path | None, typer.Option(help="A CSV or JSON manifest of URIs and global keys.")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Refuse everything if any file cannot be read.")] = False,
) -> None:
    """Add files, folders or a manifest's rows to a dataset.

    A row's global key is `parent_path/filename`, its folder taken relative to the folder given.
    Files that cannot be read are listed and skipped; adding the same files again adds nothing.

    Example: labelport rows add streets photos/
    """
    ws = workspace()
    if not paths and manifest is None:
        raise typer.BadParameter("give PATH… or --manifest")
    if paths and manifest is not None:
        raise typer.BadParameter("give PATH… or --manifest, not both")
    with progress("probing") as bar:
        if manifest is not None:
            res = ws.add_manifest(dataset, manifest, strict=strict, progress=bar)
        else:
            res = ws.add_rows(dataset, paths or [], media_type=media_type, strict=strict, progress=bar)

    def render() -> None:
        out.print(
            f"{res.added} added, {res.unchanged} already present, {len(res.skipped)} skipped "
            f"(dataset {res.dataset!r})"
        )
        for s in res.skipped[:50]:
            out.print(f"  skipped {s.path}: {s.reason}")
        if len(res.skipped) > 50:
            out.print(f"  … and {len(res.skipped) - 50} more (use --json for all)")

    emit(res, render)


@rows_app.command("list")
def rows_list(
    dataset: Annotated[str | None, typer.Option(help="Only this dataset's rows.")] = None,
    prefix: Annotated[str | None, typer.Option(help="Only global keys starting with this.")] = None,
    limit: Annotated[int | None, typer.Option(min=1)] = None,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """List data rows with their ids, media types and probed metadata."""
    items = workspace().rows(dataset, prefix=prefix, limit=limit, offset=offset)
    emit(
        items,
        lambda: table(
            None,
            ["global key", "id", "media", "metadata"],
            [[r.global_key, r.id, r.media_type.value, orjson.dumps(r.metadata).decode()[:80]] for r in items],
        ),
    )


@ontology_app.command("create")
def ontology_create(name: str, file: Path) -> None:
    """Create an ontology from a JSON file `{"tools": [...], "classifications": [...]}`.

    Example: labelport ontology create streets-v1 ontology.json
    """
    info = workspace().create_ontology(name, file)
    emit(
        info,
        lambda: out.print(
            f"created ontology {info.name!r}: {info.tool_count} tools, "
            f"{info.classification_count} classifications"
        ),
    )


@ontology_app.command("show")
def ontology_show(name: str) -> None:
    """Show an ontology with its feature ids."""
    info = workspace().ontology(name)
    emit(info, lambda: out.print_json(orjson.dumps(info.spec).decode()))


@ontology_app.command("list")
def ontology_list() -> None:
    """List ontologies."""
    items = workspace().ontologies()
    emit(
        items,
        lambda: table(
            None,
            ["name", "tools", "classifications"],
            [[o.name, o.tool_count, o.classification_count] for o in items],
        ),
    )
