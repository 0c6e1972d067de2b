"""`aicost simulate` and `aicost scenarios`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import msgspec
import polars as pl
import typer

from aicost import export, gates
from aicost.cli.common import (
    BackdateOpt,
    ByOpt,
    ContractsOpt,
    CurrencyOpt,
    FormatOpt,
    FxRateOpt,
    LogFormatOpt,
    Logs,
    MapOpt,
    ModelAliasOpt,
    OnErrorOpt,
    OutputFormat,
    OutputOpt,
    PricingOpt,
    QuietOpt,
    SinceOpt,
    StrictOpt,
    TzOpt,
    UntilOpt,
    handled,
    ingest_options,
    parse_mapping,
    resolve_money,
    settings,
    split_dims,
    warn_all,
)
from aicost.errors import UsageError
from aicost.render import Messages, color_enabled
from aicost.scenarios.load import load_preset, preset_names, preset_text
from aicost.simulate import adhoc, run_simulate


def parse_share(text: str | None, option: str) -> float | None:
    """`80%`, `80` or `0.8` → 0.8."""
    if text is None:
        return None
    raw = text.strip().rstrip("%")
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected a percentage such as 80% or a fraction such as 0.8") from None
    return value / 100 if text.strip().endswith("%") or value > 1 else value


def simulate(
    logs: Logs,
    scenario: Annotated[
        list[Path] | None,
        typer.Option("--scenario", "-s", help="A scenario file (aicost.scenario/1 TOML); repeatable.", metavar="FILE"),
    ] = None,
    preset: Annotated[
        list[str] | None,
        typer.Option(
            "--preset",
            "-p",
            help="A shipped preset (aicost scenarios list); repeatable. With no scenario, all presets run.",
            metavar="NAME",
        ),
    ] = None,
    share: Annotated[
        str | None, typer.Option("--share", help="Ad-hoc scenario: share of requests to move, e.g. 80%.", metavar="PCT")
    ] = None,
    cheaper: Annotated[
        str | None,
        typer.Option("--cheaper", help="…to a hypothetical model this much cheaper, e.g. 99%.", metavar="PCT"),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="…or to a real model, e.g. openai/gpt-5.4-mini.", metavar="MODEL")
    ] = None,
    basis: Annotated[
        str, typer.Option("--basis", help="What --share measures: requests, tokens or cost.")
    ] = "requests",
    pick: Annotated[
        str,
        typer.Option(
            "--pick", help="Which calls move first: proportional, smallest (cheapest per request) or largest."
        ),
    ] = "proportional",
    by: ByOpt = None,
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
    fail_if_savings_below: Annotated[
        str | None,
        typer.Option(
            "--fail-if-savings-below",
            help="Gate: after printing, exit 3 unless some scenario saves at least PCT percent of the baseline "
            "(i.e. the best scenario's savings %), e.g. 20 or 20%.",
            metavar="PCT",
        ),
    ] = None,
) -> None:
    """What would moving workloads save? Baseline vs each scenario, from one scan of the logs."""
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
    floor = gates.parse_percent(fail_if_savings_below)
    extra = []
    share_value = parse_share(share, "--share")
    if share_value is not None:
        if basis not in ("requests", "tokens", "cost") or pick not in ("proportional", "smallest", "largest"):
            raise UsageError("--basis is requests, tokens or cost; --pick is proportional, smallest or largest")
        extra.append(adhoc(share_value, parse_share(cheaper, "--cheaper"), to, basis, pick))
    elif cheaper is not None or to is not None:
        raise UsageError("--cheaper and --to describe an ad-hoc scenario: give --share too")
    result = run_simulate(
        logs,
        scenario_files=scenario or [],
        presets=preset or [],
        extra=extra,
        by=split_dims(by),
        tz=s.tz,
        since=since,
        until=until,
        mapping=parse_mapping(mapping),
        pricing=s.pricing_arg,
        strict=s.strict,
        on_error=s.on_error,
        backdate_tiers=s.backdate_tiers,
        money=resolve_money(s),
        ingest=ingest_options(log_format, model_alias),
    )
    to_terminal = output in (None, "-") and color_enabled(sys.stdout)

    def table() -> bytes:
        from aicost.render.tables import render_simulate  # rich, only to draw a table

        return render_simulate(result, to_terminal)

    export.write_result(
        result,
        s.format,
        output,
        table=table,
        markdown=lambda: export.markdown_with_currency(result.rows, result.currency),
    )
    warn_all(messages, result.warnings)
    messages.unpriced(result.usage.unpriced)
    gates.enforce([*gates.quality_floors(result.outcomes), gates.savings_below(result.outcomes, floor)])


scenarios_app = typer.Typer(help="The shipped scenario presets.", no_args_is_help=True)


@scenarios_app.command("list")
@handled
def list_presets(fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """List the presets with what each assumes."""
    presets = [load_preset(name) for name in preset_names()]
    doc = {
        "schema_version": 1,
        "command": "scenarios list",
        "presets": [{"name": p.name, "description": p.description, "sources": p.sources} for p in presets],
    }
    rows = pl.DataFrame(
        {
            "name": [p.name for p in presets],
            "description": [p.description for p in presets],
            "sources": ["; ".join(p.sources) for p in presets],
        },
        schema={"name": pl.String, "description": pl.String, "sources": pl.String},
    )
    width = max(len(p.name) for p in presets)
    lines = [f"{p.name.ljust(width)}  {p.description}" for p in presets]
    result = export.Document(rows=rows, document=doc)
    export.write_result(result, (fmt or OutputFormat.table).value, output, table=("\n".join(lines) + "\n").encode)


@scenarios_app.command("show")
@handled
def show_preset(
    name: Annotated[str, typer.Argument(help="Preset name.")],
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Print a preset: its TOML with the documented assumptions and sources (JSON; CSV/Parquet/Markdown: its moves)."""
    text = preset_text(name)
    preset = load_preset(name)
    doc = {"schema_version": 1, "command": "scenarios show", "preset": msgspec.to_builtins(preset)}
    columns = ("name", "from", "where", "share", "basis", "pick", "to", "price_ratio", "mode")

    def cell(move: Any, column: str) -> Any:
        value = getattr(move, "from_" if column == "from" else column)
        return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value

    rows = pl.DataFrame(
        {column: [cell(m, column) for m in preset.move] for column in columns},
        schema={c: pl.Float64 if c in ("share", "price_ratio") else pl.String for c in columns},
    )
    result = export.Document(
        rows=rows.with_columns(pl.lit(preset.name).alias("scenario")).select("scenario", *columns), document=doc
    )
    export.write_result(result, (fmt or OutputFormat.table).value, output, table=text.encode)
