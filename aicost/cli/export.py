"""`aicost export`: FinOps FOCUS 1.2 cost-and-usage rows for cost platforms."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from aicost import export
from aicost.cli.common import (
    BackdateOpt,
    ContractsOpt,
    CurrencyOpt,
    FxRateOpt,
    Logs,
    MapOpt,
    OnErrorOpt,
    OutputOpt,
    PricingOpt,
    QuietOpt,
    SinceOpt,
    StrictOpt,
    TzOpt,
    UntilOpt,
    parse_mapping,
    resolve_money,
    settings,
    split_dims,
    warn_all,
)
from aicost.errors import UsageError
from aicost.focus import FOCUS_VERSION, run_export, to_bytes
from aicost.money import format_amount
from aicost.render import Messages


class ExportFormat(StrEnum):
    """What `aicost export` writes."""

    focus = "focus"
    json = "json"


def file_kind(output: str | None) -> str:
    """FOCUS files are CSV or Parquet, told by the output's name; stdout gets CSV."""
    if output in (None, "-"):
        return "csv"
    assert output is not None
    suffix = Path(output).suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".csv":
        return "csv"
    raise UsageError(f"--output {output}: a FOCUS file is .csv or .parquet (.json with the totals; - for CSV)")


def export_command(
    logs: Logs,
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="focus: FOCUS 1.2 rows, CSV or Parquet by the --output name (CSV on stdout); json: the same rows "
            "with totals, accounting and provenance.",
        ),
    ] = ExportFormat.focus,
    output: OutputOpt = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            help="Tag columns to carry in Tags (comma-separated or repeated; default: every tag column of the logs).",
            metavar="COLS",
        ),
    ] = None,
    billing_account: Annotated[
        str | None,
        typer.Option(
            "--billing-account",
            help="FOCUS BillingAccountId/Name for every row [default: the provider id; env AICOST_BILLING_ACCOUNT].",
            metavar="ID",
        ),
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    tz: TzOpt = None,
    mapping: MapOpt = None,
    pricing: PricingOpt = None,
    strict: StrictOpt = None,
    backdate_tiers: BackdateOpt = None,
    on_error: OnErrorOpt = None,
    quiet: QuietOpt = None,
    currency: CurrencyOpt = None,
    fx_rate: FxRateOpt = None,
    contracts: ContractsOpt = None,
) -> None:
    """Write FinOps FOCUS 1.2 cost-and-usage rows: one per day, model, service tier and token class."""
    s = settings(
        tz=tz,
        pricing=pricing,
        strict=strict,
        backdate_tiers=backdate_tiers,
        on_error=on_error,
        quiet=quiet,
        currency=currency,
        fx_rate=fx_rate,
        contracts=contracts,
        billing_account=billing_account,
    )
    messages = Messages(quiet=s.quiet)
    as_json = fmt == ExportFormat.json or export.format_for(output) == "json"
    kind = "json" if as_json else file_kind(output)
    tags = split_dims(tag) if tag else None
    result = run_export(
        logs,
        money=resolve_money(s),
        tags=[t for t in tags if t.lower() != "none"] if tags is not None else None,
        billing_account=s.billing_account,
        tz=s.tz,
        since=since,
        until=until,
        mapping=parse_mapping(mapping),
        pricing=s.pricing_arg,
        strict=s.strict,
        on_error=s.on_error,
        backdate_tiers=s.backdate_tiers,
    )
    data = export.to_json_bytes(result.to_json()) if kind == "json" else to_bytes(result.rows, kind)
    export.emit(data, output)
    warn_all(messages, result.usage.warnings)
    messages.unpriced(result.usage.unpriced)
    if output not in (None, "-"):
        messages.note(
            f"wrote {result.rows.height:,} FOCUS {FOCUS_VERSION} rows to {output} "
            f"(BilledCost {format_amount(result.total_billed_cost, result.money.currency)})"
        )
