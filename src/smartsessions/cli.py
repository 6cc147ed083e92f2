"""The `smartsessions` command: one function per command, each calling into a module. A user
error (SmartSessionsError) from any command is one `error:` line and exit status 1, never a
traceback: the group below turns it so, once for every command."""

import sys
from enum import StrEnum
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer

from smartsessions.cli_options import (
    FLAG,
    DbOption,
    FlagsWithoutValues,
    GroupFlagsWithoutValues,
    TargetOption,
    database,
    engine,
    say,
    show_progress,
    state,
    wing,
)
from smartsessions.cli_subscriptions import subscriptions_app
from smartsessions.cli_users import user_app
from smartsessions.errors import SmartSessionsError

USER_ERROR = 1  # a SmartSessionsError: bad input, a missing folder, a database not ready
USAGE_ERROR = 2  # as every command-line tool: the command itself was wrong
INTERRUPTED = 128 + 2  # SIGINT's number, as shells report a command Ctrl-C stopped
LAST_BUILD_FAILED = 4  # `status`: readers still see the publication before the failed build


DeliveryFolder = Annotated[Path, typer.Argument(help="The delivery folder.")]
StrictOption = Annotated[
    bool,
    typer.Option("--strict", help="Exit with status 3 if a record or file was rejected.", **FLAG),
]


class ExportFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"
    parquet = "parquet"


class OneLineErrors(GroupFlagsWithoutValues):
    """A mistyped command or option is one `error:` line with a hint and exit status 2, not
    click's usage box; a user error is one `error:` line and exit status 1."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        try:
            status = super().main(*args, standalone_mode=False, **kwargs)
        except typer.TyperException as error:  # click's usage errors derive from it
            if error.exit_code != USAGE_ERROR:
                raise
            # no arguments: the help; typer tells this usage error by its name too (rich_utils)
            if type(error).__name__ == "NoArgsIsHelpError":
                typer.echo(error.format_message())
                status = 0
            else:
                message = " ".join(error.format_message().split()).removesuffix(".")
                # typer's enum check words it as a validation library would
                message = message.replace(": Value error, ", ": ")
                context = getattr(error, "ctx", None)
                command = context.command_path if context else "smartsessions"
                say(f"error: {message} (try `{command} --help`)", err=True)
                status = USAGE_ERROR
        sys.exit(status if isinstance(status, int) else 0)

    def invoke(self, ctx):
        """The one error handler of every command (and `user` command): a user error is one
        line and exit status 1; Ctrl-C is one line and exit status 130, as for any command a
        shell interrupts."""
        try:
            return super().invoke(ctx)
        except SmartSessionsError as error:
            say(f"error: {error}", err=True)
            raise typer.Exit(USER_ERROR) from None
        except (KeyboardInterrupt, typer.Abort):  # Ctrl-C, or Ctrl-D at a prompt
            say("error: interrupted", err=True)
            raise typer.Exit(INTERRUPTED) from None


app = typer.Typer(
    cls=OneLineErrors,
    help="Smart Sessions analytics: load deliveries, build the marts, export the report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # help texts are Markdown: a docstring's lines make one paragraph, never cut mid-sentence
    rich_markup_mode="markdown",
)


def show_version(asked: bool) -> None:
    if asked:
        say(f"smartsessions {version('smartsessions')}")
        raise typer.Exit()


@app.callback()
def main(
    db: DbOption = None,
    target: TargetOption = None,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=show_version, is_eager=True, help="Print the version.", **FLAG
        ),
    ] = False,
) -> None:
    state["db"] = db
    state["target"] = target


@app.command(cls=FlagsWithoutValues)
def load(
    folder: DeliveryFolder,
    strict: StrictOption = False,
    db: DbOption = None,
    target: TargetOption = None,
) -> None:
    """Load a delivery into the raw tables (files already loaded are skipped)."""
    from smartsessions.landing.load import load_delivery
    from smartsessions.pipeline.refresh import refresh_lock

    landing = wing(target).mirrors_landing
    with refresh_lock(database(db), lambda line: say(line, err=True), create=False):
        summary = load_delivery(database(db), folder, progress=show_progress(), landing=landing)
    for warning in summary.warnings:
        say(f"warning: {warning}", err=True)
    say(summary.describe())
    if strict and summary.rejected_anything:
        raise typer.Exit(3)


@app.command(cls=FlagsWithoutValues)
def generate(
    folder: Annotated[Path, typer.Argument(help="Where to write the delivery.")],
    scale: Annotated[int, typer.Option(min=1, help="1 = about 10,000 activity records.")] = 1,
    seed: Annotated[int, typer.Option(help="The same seed writes the same delivery.")] = 1,
    fmt: Annotated[
        str, typer.Option("--format", help="mixed, jsonl.gz, csv.gz or parquet.")
    ] = "mixed",
) -> None:
    """Write a realistic synthetic delivery."""
    from smartsessions.synthetic.generate import generate_delivery

    delivery = generate_delivery(folder, scale=scale, seed=seed, fmt=fmt)
    say(delivery.describe())


@app.command(cls=FlagsWithoutValues)
def build(
    db: DbOption = None,
    full_refresh: Annotated[
        bool,
        typer.Option("--full-refresh", help="Rebuild the incremental models from scratch.", **FLAG),
    ] = False,
    target: TargetOption = None,
) -> None:
    """Run `dbt build` (seeds, models, unit and data tests) and publish the marts for readers."""
    from smartsessions.pipeline.build import run_build
    from smartsessions.pipeline.refresh import refresh_lock

    with refresh_lock(database(db), lambda line: say(line, err=True), create=False):
        built = run_build(
            database(db), progress=show_progress(), full_refresh=full_refresh, target=engine(target)
        )
    if built.published is None:
        say(f"built {database(db)} on Spark: {built.describe()}")
        return
    say(f"built {database(db)}: {built.describe()}; published {built.published.path}")


@app.command(cls=FlagsWithoutValues)
def refresh(
    folder: DeliveryFolder,
    strict: StrictOption = False,
    full_check: Annotated[
        bool,
        typer.Option(
            "--full-check",
            help="Run the complete build, every data test on every row, as `build` does (say,"
            " nightly); by default a refresh builds what new records change and tests what it"
            " wrote.",
            **FLAG,
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Load what is new in a delivery, bring the marts up to date and publish them (for
    schedulers); a second refresh of the same database waits for the first."""
    from smartsessions.pipeline.refresh import refresh as run_refresh

    summary = run_refresh(
        database(db),
        folder,
        show_progress(),
        on_wait=lambda line: say(line, err=True),
        full_check=full_check,
    )
    for warning in summary.load.warnings:
        say(f"warning: {warning}", err=True)
    say(summary.describe())
    if strict and summary.load.rejected_anything:
        raise typer.Exit(3)


@app.command(cls=FlagsWithoutValues)
def status(db: DbOption = None) -> None:
    """What readers see: the published marts, data as of, freshness, raw tables."""
    from smartsessions.pipeline.status import read_status

    found = read_status(database(db))
    for line in found.lines():
        say(line)
    if found.last_build_failed:  # not 1, a user error: a scheduler's monitoring tells them apart
        raise typer.Exit(LAST_BUILD_FAILED)


@app.command(cls=FlagsWithoutValues)
def demo(
    folder: Annotated[Path, typer.Option(help="Where the demo delivery is written.")] = Path(
        "demo-delivery"
    ),
    out_dir: Annotated[Path, typer.Option(help="Where the workbook is written.")] = Path("out"),
    db: DbOption = None,
) -> None:
    """Generate a small delivery, load it, build, and export the busiest event's report."""
    from smartsessions.landing.load import load_delivery
    from smartsessions.pipeline.build import run_build
    from smartsessions.report.export import busiest_event, export_report
    from smartsessions.synthetic.generate import generate_delivery

    db = database(db)
    say(generate_delivery(folder, scale=1, seed=1).describe())
    say(load_delivery(db, folder, progress=show_progress()).describe())
    built = run_build(db, progress=show_progress())
    say(f"built {db}: {built.describe()}")
    event = busiest_event(db)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = export_report(db, event, out_dir / f"smart-sessions-{event}.xlsx")
    say(summary.describe())
    say(f"workbook: {summary.path.resolve()}")


@app.command(cls=FlagsWithoutValues)
def export(
    event: Annotated[str, typer.Option(help="The event app's short code.")],
    # text, not a Path: an empty --out would be the current folder as a Path
    out: Annotated[
        str, typer.Option(help="The workbook to write (.xlsx), or the folder of data files.")
    ],
    start: Annotated[
        str | None, typer.Option("--from", help="First local date, YYYY-MM-DD.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last local date, YYYY-MM-DD.")] = None,
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="xlsx: a workbook; csv or parquet: a file per tab, named after its mart"
            " (room_join_buckets.csv), and report_info.json.",
        ),
    ] = ExportFormat.xlsx,
    db: DbOption = None,
    target: TargetOption = None,
) -> None:
    """Write the Smart Sessions report of one event app (and window) as a workbook, or its
    tabs as data files."""
    from smartsessions.report.data_files import export_data_files
    from smartsessions.report.export import export_report
    from smartsessions.report.window import read_window

    if not out:
        raise SmartSessionsError("--out is empty: give the workbook's path or a folder")
    out = Path(out)
    window = read_window(start, end)
    if fmt is ExportFormat.xlsx:
        summary = export_report(
            database(db), event, out, window, progress=show_progress(), target=engine(target)
        )
    elif not wing(target).writes_data_files:
        raise SmartSessionsError("--format csv or parquet is from DuckDB only: leave out --target")
    else:
        summary = export_data_files(database(db), event, out, fmt.value, window)
    if summary.data_as_of.last_build_failed:
        as_of = summary.data_as_of
        say(
            f"warning: the last build failed: the marts are from the previous successful"
            f" build ({as_of.describe()}); failed: {as_of.describe_failed_nodes()}",
            err=True,
        )
    say(summary.describe())


@app.command(cls=FlagsWithoutValues)
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The port to listen on.")] = 8000,
    db: DbOption = None,
) -> None:
    """The request portal: organisers log in, pick an event app and dates, and the report is
    emailed to them (settings: SMARTSESSIONS_* environment variables, see docs/portal.md)."""
    from smartsessions.portal.server import prepare, run

    portal, lines = prepare(database(db), host, port)
    for line in lines:
        say(line)
    run(portal, host, port)


app.add_typer(user_app, name="user")
app.add_typer(subscriptions_app, name="subscriptions")
