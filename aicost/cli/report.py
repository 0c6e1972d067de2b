"""`aicost report`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from aicost import export
from aicost.cli.common import (
    BackdateOpt,
    ByOpt,
    FormatOpt,
    LogFormatOpt,
    Logs,
    MapOpt,
    ModelAliasOpt,
    OnErrorMode,
    OnErrorOpt,
    OutputFormat,
    OutputOpt,
    PricingOpt,
    QuietOpt,
    SinceOpt,
    StrictOpt,
    TzOpt,
    UntilOpt,
    ingest_options,
    parse_mapping,
    split_dims,
    warn_all,
)
from aicost.reconcile import DEFAULT_TOLERANCE
from aicost.render import Messages, color_enabled, render_report
from aicost.report import DEFAULT_BY, run_report

ReconcileOpt = Annotated[
    bool,
    typer.Option("--reconcile", help="Compare computed with the cost the logs report (gateways, tracers), per model."),
]
ToleranceOpt = Annotated[
    float,
    typer.Option(
        "--tolerance",
        min=0.0,
        help="With --reconcile: flag models whose costs differ by more than this share.",
    ),
]


def report(
    logs: Logs,
    by: ByOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    tz: TzOpt = "UTC",
    mapping: MapOpt = None,
    log_format: LogFormatOpt = None,
    model_alias: ModelAliasOpt = None,
    reconcile: ReconcileOpt = False,
    tolerance: ToleranceOpt = DEFAULT_TOLERANCE,
    pricing: PricingOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    strict: StrictOpt = False,
    backdate_tiers: BackdateOpt = False,
    on_error: OnErrorOpt = OnErrorMode.fail,
    quiet: QuietOpt = False,
) -> None:
    """What your LLM calls cost: spend by model, provider, period or any tag, priced with dated price tables."""
    messages = Messages(quiet=quiet)
    result = run_report(
        logs,
        by=split_dims(by) or DEFAULT_BY,
        tz=tz,
        since=since,
        until=until,
        mapping=parse_mapping(mapping),
        pricing=pricing,
        strict=strict,
        on_error=on_error.value,
        backdate_tiers=backdate_tiers,
        ingest=ingest_options(log_format, model_alias),
        reconcile_costs=reconcile,
        tolerance=tolerance,
    )
    to_terminal = output in (None, "-") and color_enabled(sys.stdout)
    export.write_result(
        result,
        fmt.value,
        output,
        table=lambda: render_report(result, to_terminal),
    )
    warn_all(messages, result.usage.warnings)
    messages.unpriced(result.usage.unpriced)
