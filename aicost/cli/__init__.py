"""The `aicost` command line: a thin shell over the library (only this package imports typer)."""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Any

import typer

from aicost.cli import config as config_cli
from aicost.cli import logs as logs_cli
from aicost.cli import prices as prices_cli
from aicost.cli.common import handled
from aicost.cli.export import export_command
from aicost.cli.forecast import forecast
from aicost.cli.report import report
from aicost.cli.simulate import scenarios_app, simulate
from aicost.render import Messages

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
        from aicost import __version__  # looked up here: finding the installed version takes a while

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
app.command("forecast")(handled(forecast))
app.add_typer(scenarios_app, name="scenarios")
app.add_typer(prices_cli.app, name="prices")
app.add_typer(logs_cli.app, name="logs")
app.command("export")(handled(export_command))
app.add_typer(config_cli.app, name="config")


def main() -> None:
    """Console-script entry point.

    A command-line mistake is one line on stderr (what is wrong, and where the help is) and exit 2, like
    every other error, instead of Click's usage block: scripts log one line per failure.
    """
    errors = _click_errors()
    try:
        code = app(prog_name="aicost", standalone_mode=False)
    except errors.NoArgsIsHelpError as exc:  # `aicost prices` alone: the help it asks for
        exc.show()
        code = exc.exit_code
    except errors.ClickException as exc:
        context = getattr(exc, "ctx", None)
        where = f" (see '{context.command_path} --help')" if context is not None else ""
        Messages().error(f"{exc.format_message()}{where}")
        code = exc.exit_code
    except typer.Abort:  # Typer's own class (typer._click.exceptions has none; Click's in older Typer)
        Messages().error("aborted")
        code = 1
    sys.exit(code)


def _click_errors() -> Any:
    """Click's exception classes: Typer's own copy of Click (Typer 0.16 and later), else Click itself."""
    try:
        return importlib.import_module("typer._click.exceptions")
    except ImportError:
        return importlib.import_module("click.exceptions")
