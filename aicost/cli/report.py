"""`aicost report`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from aicost import export, gates
from aicost.cli.common import (
    BackdateOpt,
    ByOpt,
    ContractsOpt,
    CurrencyOpt,
    FailOverOpt,
    FormatOpt,
    FxRateOpt,
    LogFormatOpt,
    Logs,
    MapOpt,
    ModelAliasOpt,
    OnErrorOpt,
    OutputOpt,
    PricingOpt,
    QuietOpt,
    SinceOpt,
    StrictOpt,
    TzOpt,
    UntilOpt,
    ingest_options,
    parse_mapping,
    resolve_money,
    settings,
    split_dims,
    warn_all,
)
from aicost.reconcile import DEFAULT_TOLERANCE
from aicost.render import Messages, color_enabled
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
    tz: TzOpt = None,
    mapping: MapOpt = None,
    log_format: LogFormatOpt = None,
    model_alias: ModelAliasOpt = None,
    reconcile: ReconcileOpt = False,
    tolerance: ToleranceOpt = DEFAULT_TOLERANCE,
    pricing: PricingOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    strict: StrictOpt = None,
    backdate_tiers: BackdateOpt = None,
    on_error: OnErrorOpt = None,
    quiet: QuietOpt = None,
    currency: CurrencyOpt = None,
    fx_rate: FxRateOpt = None,
    contracts: ContractsOpt = None,
    fail_over: FailOverOpt = None,
) -> None:
    """What your LLM calls cost: spend by model, provider, period or any tag, priced with dated price tables."""
    s = settings(
        tz=tz,
        format=fmt or export.format_for(output),
        pricing=pricing,
        strict=strict,
        backdate_tiers=backdate_tiers,
        on_error=on_error,
        quiet=quiet,
        currency=currency,
        fx_rate=fx_rate,
        contracts=contracts,
    )
    messages = Messages(quiet=s.quiet)
    limit = gates.parse_amount(fail_over)
    result = run_report(
        logs,
        by=split_dims(by) or DEFAULT_BY,
        tz=s.tz,
        since=since,
        until=until,
        mapping=parse_mapping(mapping),
        pricing=s.pricing_arg,
        strict=s.strict,
        on_error=s.on_error,
        backdate_tiers=s.backdate_tiers,
        ingest=ingest_options(log_format, model_alias),
        reconcile_costs=reconcile,
        tolerance=tolerance,
        money=resolve_money(s),
    )
    to_terminal = output in (None, "-") and color_enabled(sys.stdout)

    def table() -> bytes:
        from aicost.render.tables import render_report  # rich, only to draw a table

        return render_report(result, to_terminal)

    export.write_result(
        result,
        s.format,
        output,
        table=table,
        markdown=lambda: export.markdown_with_currency(result.rows, result.currency),
    )
    warn_all(messages, result.usage.warnings)
    messages.unpriced(result.usage.unpriced)
    gates.enforce([gates.over_budget(result.total_cost, limit, result.currency)])
