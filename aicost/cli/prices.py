"""`aicost prices …`: refresh and inspect price tables."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from aicost import export
from aicost.cli.common import FormatOpt, OutputOpt, PricingOpt, QuietOpt, handled, plain_format, settings
from aicost.errors import UpdateError, UsageError
from aicost.paths import bundled_pricing_dir, user_pricing_dir
from aicost.pricing import fetch
from aicost.pricing.book import load_book, locate
from aicost.pricing.catalog import list_models, show_model
from aicost.pricing.diff import TableSet, diff_tables
from aicost.pricing.tables import table_files
from aicost.pricing.update import backups_of
from aicost.pricing.update import update as run_update
from aicost.render import Messages, color_enabled
from aicost.render.tables import render_diff, render_model, render_price_list, render_update

app = typer.Typer(help="Refresh and inspect price tables.", no_args_is_help=True)

SourceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--source",
        "-s",
        help="genai-prices (default), litellm, openrouter, an http(s) URL, a JSON file of one of those formats, "
        "or aicost TOML (a file or folder). Repeat to merge several: genai-prices first, then the others fill gaps.",
        metavar="NAME|URL|FILE",
    ),
]
ProviderOpt = Annotated[str | None, typer.Option("--provider", "-p", help="Provider id (e.g. openai, aws).")]


def _as_of(value: str | None) -> dt.datetime:
    if not value:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        seen = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of {value!r}: expected a date such as 2026-11-29") from None
    return seen.replace(tzinfo=dt.UTC) if seen.tzinfo is None else seen.astimezone(dt.UTC)


def _to_terminal(output: str | None) -> bool:
    return output in (None, "-") and color_enabled(sys.stdout)


@app.command("update")
@handled
def update(
    source: SourceOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Folder to write tables to (default: your user tables, $AICOST_HOME/pricing).",
            metavar="DIR",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Fetch, merge and report; write nothing.")] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Date the prices were seen: dates appended history entries (default: today, UTC).",
            metavar="DATE",
        ),
    ] = None,
    prefer: Annotated[
        list[str] | None,
        typer.Option(
            "--prefer",
            help="Source name that wins conflicts (default order: genai-prices, litellm, openrouter).",
            metavar="NAME",
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds allowed for each download.", min=0.01, metavar="SECONDS")
    ] = fetch.DEFAULT_TIMEOUT,
    fmt: FormatOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also list what the converters skipped.")] = False,
    quiet: QuietOpt = None,
) -> None:
    """Refresh price tables from public databases, keeping history; prints what changed.

    Nothing changes unless every source downloads, parses and passes the guards; the previous tables are
    backed up to $AICOST_HOME/pricing.bak/ and the new set is swapped in whole.
    """
    messages = Messages(quiet=settings(quiet=quiet).quiet)  # the flag, else AICOST_QUIET or the config files
    target = output or user_pricing_dir()
    # the first refresh of the user tables starts from the bundled ones, so their history carries over
    seed = bundled_pricing_dir() if output is None else None
    result = run_update(
        source or ["genai-prices"],
        target,
        as_of=_as_of(as_of),
        dry_run=dry_run,
        prefer=prefer or (),
        timeout=timeout,
        seed=seed,
    )
    export.write_result(result, plain_format(fmt, None), None, table=lambda: render_update(result, _to_terminal(None)))
    if result.notes:
        if verbose:
            for note in result.notes:
                messages.note(note)
        else:
            messages.note(f"{len(result.notes):,} conversion notes (entries skipped or curated); --verbose lists them")


@app.command("list")
@handled
def list_(
    provider: ProviderOpt = None,
    search: Annotated[
        str | None, typer.Option("--search", help="Only models whose id or name contains TEXT.", metavar="TEXT")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Show the rates in force on this date (default: today).", metavar="DATE")
    ] = None,
    pricing: PricingOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = None,  # prints nothing but the result; accepted so scripts can pass -q to every command
) -> None:
    """List priced models with their current rates (USD per million tokens)."""
    book = load_book(pricing)
    result = list_models(book, provider=provider, search=search, at=_as_of(at).date() if at else None)
    export.write_result(
        result, plain_format(fmt, output), output, table=lambda: render_price_list(result, _to_terminal(output))
    )


@app.command("show")
@handled
def show(
    model: Annotated[
        str,
        typer.Argument(
            help="A model id as logs write it: gpt-4o-2024-08-06, "
            "anthropic/claude-sonnet-4.5, us.anthropic.claude-…-v1:0."
        ),
    ],
    provider: ProviderOpt = None,
    pricing: PricingOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = None,  # prints nothing but the result; accepted so scripts can pass -q to every command
) -> None:
    """Every rate of one model: tiers, variants, windows, history, and which table and source it came from."""
    result = show_model(load_book(pricing), model, provider=provider)
    export.write_result(
        result, plain_format(fmt, output), output, table=lambda: render_model(result, _to_terminal(output))
    )


@app.command("diff")
@handled
def diff(
    old: Annotated[
        str | None,
        typer.Argument(
            help="Tables before: a folder, 'bundled', 'user', or 'previous' (the newest backup of your user tables)."
        ),
    ] = None,
    new: Annotated[str | None, typer.Argument(help="Tables after (default: the tables in use).")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = None,  # prints nothing but the result; accepted so scripts can pass -q to every command
) -> None:
    """Added, removed and changed models between two sets of tables, rate by rate.

    With no arguments: your last update against the one before it (or against the bundled tables if you
    have updated only once).
    """
    if old is None:
        user = user_pricing_dir()
        if not (user.is_dir() and table_files(user)):
            raise UpdateError("no user tables to compare; run `aicost prices update` first, or give OLD and NEW")
        old = "previous" if backups_of(user) else "bundled"
        new = new or "user"
    after = _tables(new) if new else TableSet.load(locate()[0], "in use")
    before = _tables(old, after.directory)
    result = diff_tables(before, after)
    export.write_result(
        result, plain_format(fmt, output), output, table=lambda: render_diff(result, _to_terminal(output))
    )


def _tables(spec: str, beside: Path | None = None) -> TableSet:
    """A table set named on the command line ('previous': the newest backup of `beside`, else of user)."""
    if spec == "bundled":
        return TableSet.load(bundled_pricing_dir(), "bundled")
    if spec == "user":
        return TableSet.load(user_pricing_dir(), "user")
    if spec == "previous":
        backups = backups_of(beside or user_pricing_dir())
        if not backups:
            raise UpdateError(
                f"no backup of {beside or user_pricing_dir()} yet; `aicost prices update` makes one when "
                "it changes the tables"
            )
        return TableSet.load(backups[-1], "previous")
    path = Path(spec)
    if not path.is_dir() or not table_files(path):
        raise UsageError(f"{spec}: not a folder of price tables (or one of: bundled, user, previous)")
    return TableSet.load(path, spec)
