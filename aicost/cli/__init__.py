"""The `aicost` command line: a thin shell over the library (only this package imports typer)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from aicost import __version__
from aicost.cli import prices as prices_cli
from aicost.cli.common import handled
from aicost.cli.report import report
from aicost.cli.simulate import scenarios_app, simulate

app = typer.Typer(
    name="aicost",
    help="What your AI calls cost today, what moving them to cheaper models would save, and what the next "
    "12-18 months will cost.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aicost {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors (also AICOST_DEBUG=1).")] = False,
) -> None:
    """aicost: price LLM usage logs, simulate cheaper-model moves, forecast spend."""


app.command("report")(handled(report))
app.command("simulate")(handled(simulate))
app.add_typer(scenarios_app, name="scenarios")
app.add_typer(prices_cli.app, name="prices")


def main() -> None:
    """Console-script entry point."""
    sys.exit(app(prog_name="aicost"))
