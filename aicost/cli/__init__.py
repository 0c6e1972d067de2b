"""The `aicost` command line: a thin shell over the library (only this package imports typer)."""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, Final

import typer

from aicost.cli.common import handled
from aicost.render import Messages

_HELP: Final = (
    "What your AI calls cost today, what moving them to cheaper models would save, and what the next 12-18 "
    "months will cost."
)


def _version(value: bool) -> None:
    if value:
        from aicost import __version__  # looked up here: finding the installed version takes a while

        typer.echo(f"aicost {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors (also AICOST_DEBUG=1).")] = False,
) -> None:
    """aicost: price LLM usage logs, simulate cheaper-model moves, forecast spend."""


def _report(app: typer.Typer) -> None:
    from aicost.cli.report import report

    app.command("report")(handled(report))


def _simulate(app: typer.Typer) -> None:
    from aicost.cli.simulate import simulate

    app.command("simulate")(handled(simulate))


def _forecast(app: typer.Typer) -> None:
    from aicost.cli.forecast import forecast

    app.command("forecast")(handled(forecast))


def _scenarios(app: typer.Typer) -> None:
    from aicost.cli.simulate import scenarios_app

    app.add_typer(scenarios_app, name="scenarios")


def _prices(app: typer.Typer) -> None:
    from aicost.cli import prices

    app.add_typer(prices.app, name="prices")


def _logs(app: typer.Typer) -> None:
    from aicost.cli import logs

    app.add_typer(logs.app, name="logs")


def _export(app: typer.Typer) -> None:
    from aicost.cli.export import export_command

    app.command("export")(handled(export_command))


def _config(app: typer.Typer) -> None:
    from aicost.cli import config

    app.add_typer(config.app, name="config")


# each command's module is imported only when the command is registered: see `build`
_COMMANDS: Final[dict[str, Callable[[typer.Typer], None]]] = {
    "report": _report,
    "simulate": _simulate,
    "forecast": _forecast,
    "scenarios": _scenarios,
    "prices": _prices,
    "logs": _logs,
    "export": _export,
    "config": _config,
}


def build(command: str | None = None) -> typer.Typer:
    """The command line; with `command`, that command alone (its usage, help and errors read the same).

    `main` builds only the command being run: importing the others and building their options took about
    0.06 s of every run.
    """
    app = typer.Typer(
        name="aicost",
        help=_HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=True,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    for name, register in _COMMANDS.items():
        if command in (None, name):
            register(app)
    return app


@functools.cache
def _app() -> typer.Typer:
    return build()


def __getattr__(name: str) -> Any:
    """`aicost.cli.app`: the whole command line (for tests and tools that load it)."""
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point.

    A command-line mistake is one line on stderr (what is wrong, and where the help is) and exit 2, like
    every other error, instead of Click's usage block: scripts log one line per failure.
    """
    errors = _click_errors()
    command = sys.argv[1] if len(sys.argv) > 1 else None
    # shell completion (_AICOST_COMPLETE) lists every command
    app = build(command if command in _COMMANDS and "_AICOST_COMPLETE" not in os.environ else None)
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
