"""`aicost prices …`: refresh and inspect price tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from aicost.cli.common import QuietOpt, handled
from aicost.errors import UsageError
from aicost.paths import user_pricing_dir
from aicost.pricing.update import update_from_file
from aicost.render import Messages

app = typer.Typer(help="Refresh and inspect price tables.", no_args_is_help=True)


@app.command("update")
@handled
def update(
    source: Annotated[Path, typer.Option("--source", help="A genai-prices v2 JSON file.", metavar="FILE")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", help="Folder to write tables to (default: your user tables under $AICOST_HOME).", metavar="DIR"
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date the prices were seen (default: today, UTC).", metavar="DATE")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Convert a price database into aicost price tables."""
    messages = Messages(quiet=quiet)
    try:
        seen = dt.datetime.fromisoformat(as_of) if as_of else dt.datetime.now(dt.UTC).replace(microsecond=0)
    except ValueError:
        raise UsageError(f"--as-of {as_of!r}: expected a date such as 2026-11-29") from None
    if seen.tzinfo is None:
        seen = seen.replace(tzinfo=dt.UTC)
    target = output or user_pricing_dir()
    result = update_from_file(source, target, as_of=seen)
    messages.note(f"wrote {len(result.files)} tables ({result.models:,} models) to {result.directory}")
    for note in result.notes:
        messages.note(note)
