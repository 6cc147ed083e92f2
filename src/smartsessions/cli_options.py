"""What every command shares: --db and --target (before the command name or after it), and
one line out."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from smartsessions.display import printable
from smartsessions.workspace import database_path


class Target(StrEnum):
    duckdb = "duckdb"
    spark = "spark"
    spark_thrift = "spark_thrift"


# --db is accepted before the command name and after it (the command's own wins).
DbOption = Annotated[
    str | None,  # not a Path: `--db ""` would be the current folder
    typer.Option("--db", help="DuckDB file [default: $SMARTSESSIONS_DB or ./smartsessions.duckdb]"),
]
# --target too: where load, build and export run (docs/spark.md).
TargetOption = Annotated[
    Target | None,
    typer.Option(
        "--target",
        envvar="SMARTSESSIONS_TARGET",
        help="duckdb, spark (local mode) or spark_thrift (a cluster's Thrift Server): load also"
        " writes the landing folder Spark reads, build and export run on Spark [default: duckdb]",
    ),
]
state: dict[str, str | Target | None] = {}


def database(db: str | None) -> Path:
    """The database a command works on: its own --db, the one before it, or the default."""
    return database_path(db if db is not None else state.get("db"))


def engine(target: Target | None) -> str:
    """The engine a command runs on: its own --target, the one before it, or DuckDB."""
    return (target or state.get("target") or Target.duckdb).value


def wing(target: Target | None):
    """What the engine a command runs on does differently (smartsessions.engine)."""
    from smartsessions.engine import engine_for  # loads duckdb: not for `--help` or `--version`

    return engine_for(engine(target))


def say(line: str, err: bool = False) -> None:
    """One line out. Characters a terminal would act on (escape codes, a newline in a file
    name) are shown escaped, never sent raw."""
    typer.echo(printable(line), err=err)


def show_progress() -> bool:
    return sys.stderr.isatty()


class FlagsWithoutValues(TyperCommand):
    """A command whose help shows a flag as a flag (`--strict`), not as taking a value
    (typer shows every option's type, `<bool>` for a flag, its own `--help` included)."""

    def get_help_option(self, ctx):
        return without_value(super().get_help_option(ctx))


class GroupFlagsWithoutValues(TyperGroup):
    """A command group whose own help shows `--help` as a flag (see FlagsWithoutValues)."""

    def get_help_option(self, ctx):
        return without_value(super().get_help_option(ctx))


def without_value(option):
    if option is not None:
        option.metavar = ""
    return option


FLAG = {"metavar": ""}  # typer.Option(..., **FLAG): a flag shown without a value
