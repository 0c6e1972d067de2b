"""`aicost logs inspect|convert`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from aicost import export
from aicost.cli.common import (
    FormatOpt,
    LogFormatOpt,
    Logs,
    MapOpt,
    ModelAliasOpt,
    OnErrorMode,
    OnErrorOpt,
    OutputOpt,
    PricingOpt,
    QuietOpt,
    handled,
    ingest_options,
    parse_mapping,
    plain_format,
    settings,
    warn_all,
)
from aicost.logs import convert_logs, inspect_logs
from aicost.render import Messages, color_enabled
from aicost.render.tables import render_inspect

app = typer.Typer(
    help="Look inside usage logs: detected formats, row accounting, models; convert them to canonical Parquet.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("inspect")
@handled
def inspect(
    logs: Logs,
    log_format: LogFormatOpt = None,
    model_alias: ModelAliasOpt = None,
    mapping: MapOpt = None,
    pricing: PricingOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    on_error: Annotated[
        OnErrorMode,
        typer.Option(
            "--on-error",
            help="skip: count malformed rows (file and line of the first of each kind); fail: exit 1 at the "
            "first one, to validate logs.",
        ),
    ] = OnErrorMode.skip,
    quiet: QuietOpt = None,
) -> None:
    """Per file: the detected format, rows read/kept/rejected/skipped/duplicated, time range, models and
    whether they are priced, and warnings. Malformed rows are counted here (unless --on-error fail)."""
    s = settings(pricing=pricing, quiet=quiet)
    messages = Messages(quiet=s.quiet)
    result = inspect_logs(
        logs,
        mapping=parse_mapping(mapping),
        ingest=ingest_options(log_format, model_alias),
        pricing=s.pricing_arg,
        on_error=on_error.value,
    )
    to_terminal = output in (None, "-") and color_enabled(sys.stdout)
    export.write_result(result, plain_format(fmt, output), output, table=lambda: render_inspect(result, to_terminal))
    warn_all(messages, result.warnings)


@app.command("convert")
@handled
def convert(
    logs: Logs,
    output: Annotated[
        str, typer.Option("--output", "-o", help="The Parquet file to write (atomically).", metavar="FILE")
    ],
    log_format: LogFormatOpt = None,
    model_alias: ModelAliasOpt = None,
    mapping: MapOpt = None,
    pricing: PricingOpt = None,
    on_error: OnErrorOpt = None,
    json_summary: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
    quiet: QuietOpt = None,
) -> None:
    """Write the logs' canonical usage (de-duplicated, without skipped or malformed rows) as Parquet, so later
    runs and other tools start from it: `aicost report out.parquet` gives the same total as the logs."""
    s = settings(pricing=pricing, quiet=quiet, on_error=on_error)
    messages = Messages(quiet=s.quiet)
    result = convert_logs(
        logs,
        output,
        mapping=parse_mapping(mapping),
        ingest=ingest_options(log_format, model_alias),
        on_error=s.on_error,
        pricing=s.pricing_arg,
    )
    if json_summary:
        export.emit(export.to_json_bytes(result.to_json()), None)
    acc = result.accounting
    messages.note(
        f"wrote {result.rows_written:,} rows to {result.output} ({acc.rows_read:,} read, {acc.rows_skipped:,} "
        f"skipped, {acc.rows_deduplicated:,} duplicates, {acc.rows_rejected:,} rejected)"
    )
    warn_all(messages, result.warnings)
