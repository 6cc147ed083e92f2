"""The `smartsessions` command: one function per command, each calling into a module."""

import sys
from enum import StrEnum
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from smartsessions.display import printable
from smartsessions.errors import SmartSessionsError
from smartsessions.workspace import database_path

USAGE_ERROR = 2  # as every command-line tool: the command itself was wrong
INTERRUPTED = 128 + 2  # SIGINT's number, as shells report a command Ctrl-C stopped
LAST_BUILD_FAILED = 4  # `status`: readers still see the publication before the failed build


class ExportFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"
    parquet = "parquet"


class Target(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


class OneLineUsageErrors(TyperGroup):
    """A mistyped command or option is one `error:` line with a hint and exit status 2, not
    click's usage box."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        try:
            status = super().main(*args, standalone_mode=False, **kwargs)
        except NoArgsIsHelpError as help_text:
            typer.echo(help_text.format_message())
            status = 0
        except UsageError as error:
            message = " ".join(error.format_message().split()).removesuffix(".")
            command = error.ctx.command_path if error.ctx else "smartsessions"
            say(f"error: {message} (try `{command} --help`)", err=True)
            status = USAGE_ERROR
        sys.exit(status if isinstance(status, int) else 0)

    def invoke(self, ctx):
        """Ctrl-C is one line and exit status 130, as for any command a shell interrupts."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            say("error: interrupted", err=True)
            raise typer.Exit(INTERRUPTED) from None


app = typer.Typer(
    cls=OneLineUsageErrors,
    help="Smart Sessions analytics: load deliveries, build the marts, export the report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# --db is accepted before the command name and after it (the command's own wins).
DbOption = Annotated[
    str | None,  # not a Path: `--db ""` would be the current folder
    typer.Option("--db", help="DuckDB file [default: $SMARTSESSIONS_DB or ./smartsessions.duckdb]"),
]
# --target too: where load, build and export run (README, "The same pipeline on Spark").
TargetOption = Annotated[
    Target | None,
    typer.Option(
        "--target",
        envvar="SMARTSESSIONS_TARGET",
        help="duckdb, or spark: load also writes the landing folder Spark reads, build and"
        " export run on Spark [default: duckdb]",
    ),
]
state: dict[str, str | Target | None] = {}


def database(db: str | None) -> Path:
    """The database a command works on: its own --db, the one before it, or the default."""
    return database_path(db if db is not None else state.get("db"))


def engine(target: Target | None) -> str:
    """The engine a command runs on: its own --target, the one before it, or DuckDB."""
    return (target or state.get("target") or Target.duckdb).value


def say(line: str, err: bool = False) -> None:
    """One line out. Characters a terminal would act on (escape codes, a newline in a file
    name) are shown escaped, never sent raw."""
    typer.echo(printable(line), err=err)


def fail(message: str) -> None:
    """A user error: one line on stderr and a non-zero exit, never a traceback."""
    say(f"error: {message}", err=True)
    raise typer.Exit(1)


def show_progress() -> bool:
    return sys.stderr.isatty()


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
        typer.Option("--version", callback=show_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    state["db"] = db
    state["target"] = target


@app.command()
def load(
    folder: Annotated[Path, typer.Argument(help="The delivery folder.")],
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit with status 3 if a record or file was rejected.")
    ] = False,
    db: DbOption = None,
    target: TargetOption = None,
) -> None:
    """Load a delivery into the raw tables (files already loaded are skipped)."""
    from smartsessions.landing.load import load_delivery

    try:
        landing = engine(target) == "spark"
        summary = load_delivery(database(db), folder, progress=show_progress(), landing=landing)
    except SmartSessionsError as error:
        fail(str(error))
    for warning in summary.warnings:
        say(f"warning: {warning}", err=True)
    say(summary.describe())
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
    from smartsessions.synthetic.generate import generate_delivery

    try:
        delivery = generate_delivery(folder, scale=scale, seed=seed, fmt=fmt)
    except SmartSessionsError as error:
        fail(str(error))
    say(delivery.describe())


@app.command()
def build(
    db: DbOption = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild the incremental models from scratch.")
    ] = False,
    target: TargetOption = None,
) -> None:
    """Run `dbt build` (seeds, models, unit and data tests) and publish the marts for readers."""
    from smartsessions.pipeline.build import run_build

    try:
        built = run_build(
            database(db), progress=show_progress(), full_refresh=full_refresh, target=engine(target)
        )
    except SmartSessionsError as error:
        fail(str(error))
    if built.published is None:
        say(f"built {database(db)} on Spark: {built.describe()}")
        return
    say(f"built {database(db)}: {built.describe()}; published {built.published.path}")


@app.command()
def refresh(
    folder: Annotated[Path, typer.Argument(help="The delivery folder.")],
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit with status 3 if a record or file was rejected.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Load what is new in a delivery, bring the marts up to date and publish them (for
    schedulers); a second refresh of the same database waits for the first."""
    from smartsessions.pipeline.refresh import refresh as run_refresh

    try:
        summary = run_refresh(
            database(db), folder, show_progress(), on_wait=lambda line: say(line, err=True)
        )
    except SmartSessionsError as error:
        fail(str(error))
    for warning in summary.load.warnings:
        say(f"warning: {warning}", err=True)
    say(summary.describe())
    if strict and summary.load.rejected_anything:
        raise typer.Exit(3)


@app.command()
def status(db: DbOption = None) -> None:
    """What readers see: the published marts, data as of, freshness, raw tables."""
    from smartsessions.pipeline.status import read_status

    try:
        found = read_status(database(db))
    except SmartSessionsError as error:
        fail(str(error))
    for line in found.lines():
        say(line)
    if found.last_build_failed:  # not 1, a user error: a scheduler's monitoring tells them apart
        raise typer.Exit(LAST_BUILD_FAILED)


@app.command()
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

    try:
        db = database(db)
        say(generate_delivery(folder, scale=1, seed=1).describe())
        say(load_delivery(db, folder, progress=show_progress()).describe())
        built = run_build(db, progress=show_progress())
        say(f"built {db}: {built.describe()}")
        event = busiest_event(db)
        out_dir.mkdir(parents=True, exist_ok=True)
        summary = export_report(db, event, out_dir / f"smart-sessions-{event}.xlsx")
    except SmartSessionsError as error:
        fail(str(error))
    say(summary.describe())
    say(f"workbook: {summary.path.resolve()}")


@app.command()
def export(
    event: Annotated[str, typer.Option(help="The event app's short code.")],
    out: Annotated[
        Path, typer.Option(help="The workbook to write (.xlsx), or the folder of data files.")
    ],
    start: Annotated[
        str | None, typer.Option("--from", help="First local date, YYYY-MM-DD.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last local date, YYYY-MM-DD.")] = None,
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", help="xlsx: a workbook; csv or parquet: a file per tab."),
    ] = ExportFormat.xlsx,
    db: DbOption = None,
    target: TargetOption = None,
) -> None:
    """Write the Smart Sessions report of one event app (and window) as a workbook, or its
    tabs as data files."""
    from smartsessions.report.data_files import export_data_files
    from smartsessions.report.export import export_report, parse_date
    from smartsessions.report.tabs import Window

    try:
        window = Window(parse_date(start, "--from"), parse_date(end, "--to"))
        if fmt is ExportFormat.xlsx:
            summary = export_report(
                database(db), event, out, window, progress=show_progress(), target=engine(target)
            )
        elif engine(target) == "spark":
            raise SmartSessionsError(
                "--format csv or parquet is from DuckDB only: leave out --target"
            )
        else:
            summary = export_data_files(database(db), event, out, fmt.value, window)
    except SmartSessionsError as error:
        fail(str(error))
    if summary.data_as_of.last_build_failed:
        as_of = summary.data_as_of
        say(
            f"warning: the last build failed: the marts are from the previous successful"
            f" build ({as_of.describe()}); failed: {as_of.describe_failed_nodes()}",
            err=True,
        )
    say(summary.describe())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The port to listen on.")] = 8000,
    db: DbOption = None,
) -> None:
    """The request portal: organisers log in, pick an event app and dates, and the report is
    emailed to them (settings: SMARTSESSIONS_* environment variables, see the README)."""
    from smartsessions.portal.server import prepare, run

    try:
        portal, lines = prepare(database(db), host, port)
    except SmartSessionsError as error:
        fail(str(error))
    for line in lines:
        say(line)
    run(portal, host, port)


user_app = typer.Typer(
    help="The portal's accounts: who may ask for which event app's report.",
    no_args_is_help=True,
)
app.add_typer(user_app, name="user")
EventsOption = Annotated[
    list[str], typer.Option("--event", help="An event app's short code (repeat for more).")
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def accounts(db: str | None):
    from smartsessions.portal.accounts import accounts_for

    return accounts_for(database(db))


@user_app.command("add")
def user_add(
    email: str, event: EventsOption, password_stdin: PasswordStdin = False, db: DbOption = None
) -> None:
    """Add an account with the event apps it may see (the password is asked twice)."""
    try:
        account = accounts(db).add(email, read_password(password_stdin), event)
    except SmartSessionsError as error:
        fail(str(error))
    say(f"added {account.describe()}")


@user_app.command("password")
def user_password(email: str, password_stdin: PasswordStdin = False, db: DbOption = None) -> None:
    """Set a new password (unlocks the account and logs it out everywhere)."""
    try:
        account = accounts(db).set_password(email, read_password(password_stdin))
    except SmartSessionsError as error:
        fail(str(error))
    say(f"new password for {account.email}")


@user_app.command("grant")
def user_grant(email: str, code: str, db: DbOption = None) -> None:
    """Let an account see one more event app."""
    try:
        say(accounts(db).grant(email, code).describe())
    except SmartSessionsError as error:
        fail(str(error))


@user_app.command("revoke")
def user_revoke(email: str, code: str, db: DbOption = None) -> None:
    """Take an event app away from an account (from its next page on)."""
    try:
        say(accounts(db).revoke(email, code).describe())
    except SmartSessionsError as error:
        fail(str(error))


@user_app.command("remove")
def user_remove(email: str, db: DbOption = None) -> None:
    """Remove an account, its grants, sessions and requests."""
    try:
        accounts(db).remove(email)
    except SmartSessionsError as error:
        fail(str(error))
    say(f"removed {email.strip().lower()}")


@user_app.command("list")
def user_list(db: DbOption = None) -> None:
    """Every account with its event apps."""
    try:
        found = accounts(db).all()
    except SmartSessionsError as error:
        fail(str(error))
    for account in found:
        say(account.describe())
    if not found:
        say("no accounts yet: `smartsessions user add EMAIL --event CODE`")
