"""`aicost forecast`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from aicost import export, gates
from aicost.cli.common import (
    BackdateOpt,
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
    warn_all,
)
from aicost.forecast import DEFAULT_DRAWS, DEFAULT_SEED
from aicost.render import Messages, color_enabled


def forecast(
    logs: Logs,
    scenario: Annotated[
        list[Path] | None,
        typer.Option("--scenario", "-s", help="A scenario file (aicost.scenario/1 TOML); repeatable.", metavar="FILE"),
    ] = None,
    preset: Annotated[
        list[str] | None,
        typer.Option(
            "--preset", "-p", help="A shipped scenario preset (aicost scenarios list); repeatable.", metavar="NAME"
        ),
    ] = None,
    months: Annotated[
        int | None,
        typer.Option(
            "--months", "-m", help="Months to forecast (default: the scenarios' horizon, else 18).", metavar="N"
        ),
    ] = None,
    growth: Annotated[
        str | None,
        typer.Option(
            "--growth",
            help="Volume growth: 1.75x/yr, 5%/mo, a range 1.3x..2.5x/yr, a preset (enterprise-budget, "
            "openrouter-2025, google-2025, flat, ...) or fit (default: fitted from the logs' monthly tokens).",
            metavar="G",
        ),
    ] = None,
    price_decline: Annotated[
        str | None,
        typer.Option(
            "--price-decline",
            help="Yearly price decline of scenario targets: 10x/yr, 50%/yr, a range, or a preset (epoch-low, "
            "epoch-median, epoch-high, a16z-llmflation, gundlach-frontier, sticker-flat). Default: each "
            "scenario's own, else flat.",
            metavar="P",
        ),
    ] = None,
    ramp_jitter: Annotated[
        float | None,
        typer.Option(
            "--ramp-jitter",
            help="Uncertainty of adoption timing, months (standard deviation; default a quarter of each ramp's "
            "span, 0 for steps).",
            metavar="MONTHS",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed of the Monte Carlo ranges.", metavar="S")
    ] = DEFAULT_SEED,
    draws: Annotated[
        int, typer.Option("--draws", help="Monte Carlo draws for the P10/P50/P90 ranges.", metavar="N")
    ] = (DEFAULT_DRAWS),
    backtest: Annotated[
        int,
        typer.Option(
            "--backtest",
            help="Also forecast the last K full months from the ones before; report MAPE and bias.",
            metavar="K",
        ),
    ] = 0,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot", help="Also write the chart to FILE.png or FILE.svg (needs aicost[plot]).", metavar="FILE"
        ),
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    tz: TzOpt = None,
    mapping: MapOpt = None,
    log_format: LogFormatOpt = None,
    model_alias: ModelAliasOpt = None,
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
    """Forecast monthly cost after the logs' last full month: baseline and scenarios, with P10-P90 ranges."""
    # the forecast stack is loaded by this command only, not on every command's start-up
    from aicost.forecast.chart import write_plot
    from aicost.forecast.run import run_forecast

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
    result = run_forecast(
        logs,
        scenario_files=scenario or [],
        presets=preset or [],
        months=months,
        growth=growth,
        price_decline=price_decline,
        ramp_jitter=ramp_jitter,
        draws=draws,
        seed=seed,
        backtest=backtest,
        tz=s.tz,
        since=since,
        until=until,
        mapping=parse_mapping(mapping),
        pricing=s.pricing_arg,
        strict=s.strict,
        on_error=s.on_error,
        backdate_tiers=s.backdate_tiers,
        ingest=ingest_options(log_format, model_alias),
        money=resolve_money(s),
    )
    if plot is not None:
        write_plot(result.chart(), plot)
    to_terminal = output in (None, "-") and color_enabled(sys.stdout)

    def table() -> bytes:
        from aicost.render.tables import render_forecast  # rich, only to draw a table

        return render_forecast(result, to_terminal)

    export.write_result(result, s.format, output, table=table)
    warn_all(messages, result.warnings)
    messages.unpriced(result.usage.unpriced)
    if plot is not None:
        messages.note(f"chart written to {plot}")
    gates.enforce([gates.over_budget(result.baseline_total, limit, result.currency, what="forecast baseline total")])
