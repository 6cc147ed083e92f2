"""The `smartsessions` command: one function per command, each calling into a module."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from smartsessions.errors import SmartSessionsError
from smartsessions.paths import database_path

app = typer.Typer(
    help="Smart Sessions analytics: load deliveries, build the marts, export the report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
state: dict[str, Path] = {}


def fail(message: str) -> None:
    """A user error: one line on stderr and a non-zero exit, never a traceback."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def show_progress() -> bool:
    return sys.stderr.isatty()


@app.callback()
def main(
    db: Annotated[
        Path | None,
        typer.Option(help="DuckDB file [default: $SMARTSESSIONS_DB or ./smartsessions.duckdb]"),
    ] = None,
) -> None:
    state["db"] = database_path(db)


@app.command()
def load(
    folder: Annotated[Path, typer.Argument(help="The delivery folder.")],
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit with status 3 if a record or file was rejected.")
    ] = False,
) -> None:
    """Load a delivery into the raw tables (files already loaded are skipped)."""
    from smartsessions.load import load_delivery

    try:
        summary = load_delivery(state["db"], folder, progress=show_progress())
    except SmartSessionsError as error:
        fail(str(error))
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(summary.describe())
    if strict and summary.rejected_anything:
        raise typer.Exit(3)


@app.command()
def generate(
    folder: Annotated[Path, typer.Argument(help="Where to write the delivery.")],
    scale: Annotated[int, typer.Option(min=1, help="1 = about 10,000 activity records.")] = 1,
    seed: Annotated[int, typer.Option(help="The same seed writes the same delivery.")] = 1,
    fmt: Annotated[
        str, typer.Option("--format", help="mixed, jsonl.gz, csv.gz or parquet.")
    ] = "mixed",
) -> None:
    """Write a realistic synthetic delivery."""
    from smartsessions.generate import generate_delivery

    try:
        delivery = generate_delivery(folder, scale=scale, seed=seed, fmt=fmt)
    except SmartSessionsError as error:
        fail(str(error))
    typer.echo(delivery.describe())


@app.command()
def build() -> None:
    """Run `dbt build` (seeds, models, unit and data tests) against the database."""
    from smartsessions.build import run_build

    try:
        run_build(state["db"], progress=show_progress())
    except SmartSessionsError as error:
        fail(str(error))
    typer.echo(f"built {state['db']}")


@app.command()
def demo(
    folder: Annotated[Path, typer.Option(help="Where the demo delivery is written.")] = Path(
        "demo-delivery"
    ),
    out_dir: Annotated[Path, typer.Option(help="Where the workbook is written.")] = Path("out"),
) -> None:
    """Generate a small delivery, load it, build, and export the busiest event's report."""
    from smartsessions.build import run_build
    from smartsessions.export import busiest_event, export_report
    from smartsessions.generate import generate_delivery
    from smartsessions.load import load_delivery

    db = state["db"]
    try:
        typer.echo(generate_delivery(folder, scale=1, seed=1).describe())
        typer.echo(load_delivery(db, folder, progress=show_progress()).describe())
        run_build(db, progress=show_progress())
        typer.echo(f"built {db}")
        event = busiest_event(db)
        out_dir.mkdir(parents=True, exist_ok=True)
        summary = export_report(db, event, out_dir / f"smart-sessions-{event}.xlsx")
    except SmartSessionsError as error:
        fail(str(error))
    typer.echo(summary.describe())
    typer.echo(f"workbook: {summary.path.resolve()}")


@app.command()
def export(
    event: Annotated[str, typer.Option(help="The event app's short code.")],
    out: Annotated[Path, typer.Option(help="The workbook to write (.xlsx).")],
    start: Annotated[
        str | None, typer.Option("--from", help="First local date, YYYY-MM-DD.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last local date, YYYY-MM-DD.")] = None,
) -> None:
    """Write the Smart Sessions report of one event app (and window) as a workbook."""
    from smartsessions.export import export_report, parse_date
    from smartsessions.report import Window

    try:
        window = Window(parse_date(start, "--from"), parse_date(end, "--to"))
        summary = export_report(state["db"], event, out, window, progress=show_progress())
    except SmartSessionsError as error:
        fail(str(error))
    if summary.data_as_of.last_build_failed:
        built = summary.data_as_of.describe()
        typer.echo(
            f"warning: the last build failed: the marts are from the previous successful"
            f" build ({built})",
            err=True,
        )
    typer.echo(summary.describe())
