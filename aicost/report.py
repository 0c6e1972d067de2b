"""`aicost report`: spend broken down by any dimensions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from aicost.costing import PERIODS, SUMS, total
from aicost.ingest import IngestOptions
from aicost.money import Money, apply
from aicost.reconcile import DEFAULT_TOLERANCE, Reconciliation, reconcile
from aicost.usage import OnError, PricedUsage, dim_column, price_logs

SCHEMA_VERSION = 1
DEFAULT_BY = ("provider", "model")
_LABELS = {
    "hour": "%Y-%m-%dT%H:00",
    "day": "%Y-%m-%d",
    "week": "%Y-%m-%d",
    "month": "%Y-%m",
    "quarter": "%Y-%m",
    "year": "%Y",
}


@dataclass
class ReportResult:
    """Spend by dimension, with totals, unpriced usage, row accounting and pricing provenance."""

    rows: pl.DataFrame
    by: tuple[str, ...]
    usage: PricedUsage
    options: dict[str, Any] = field(default_factory=dict)
    reconciliation: Reconciliation | None = None
    money: Money = field(default_factory=Money)

    @property
    def currency(self) -> str:
        """The currency of every amount."""
        return self.money.currency

    @property
    def total_cost(self) -> float:
        """Total cost of priced usage: what you pay (contract prices), in `currency`."""
        return total(self.usage.priced["cost"])

    @property
    def total_list_cost(self) -> float:
        """Total cost of priced usage at list prices, in `currency`."""
        column = "list_cost" if "list_cost" in self.usage.priced.columns else "cost"
        return total(self.usage.priced[column])

    def totals(self) -> dict[str, int | float]:
        """Token, request and cost totals over priced and unpriced rows (cost over priced only)."""
        counted = self.usage.counted
        out: dict[str, int | float] = {c: int(counted[c].sum() or 0) for c in SUMS}
        out["unpriced_requests"] = int(
            self.usage.cells.frame.filter(pl.col("_aicost_status") == "unpriced")["requests"].sum() or 0
        )
        out["cost"] = self.total_cost
        out["list_cost"] = self.total_list_cost
        return out

    def to_json(self) -> dict[str, Any]:
        """The stable JSON document (`schema_version` 1)."""
        usage = self.usage
        return {
            "schema_version": SCHEMA_VERSION,
            "command": "report",
            "currency": self.currency,
            "total_cost": self.total_cost,
            "total_list_cost": self.total_list_cost,
            "totals": self.totals(),
            "by": list(self.by),
            **self.options,
            "rows": self.rows.to_dicts(),
            "unpriced": usage.unpriced,
            **usage.accounting.to_json(),
            "pricing": usage.book.provenance(),
            "money": self.money.to_json(),
            "inputs": [f.display for f in usage.ingested.files],
            "input_formats": dict(zip((f.display for f in usage.ingested.files), usage.ingested.formats, strict=False)),
            **({"reconciliation": self.reconciliation.to_json()} if self.reconciliation is not None else {}),
            "warnings": usage.warnings,
        }


def label_periods(frame: pl.DataFrame, dims: Sequence[str]) -> pl.DataFrame:
    """Period dimensions as readable labels (2026-01 for a month, the Monday for a week)."""
    exprs = [pl.col(d).dt.strftime(_LABELS[d]).alias(d) for d in dims if d in PERIODS]
    if "quarter" in dims:
        q = pl.col("quarter")
        exprs = [e for e in exprs if e.meta.output_name() != "quarter"]
        exprs.append((q.dt.year().cast(pl.String) + "-Q" + q.dt.quarter().cast(pl.String)).alias("quarter"))
    return frame.with_columns(exprs) if exprs else frame


def aggregate(usage: PricedUsage, by: Sequence[str]) -> pl.DataFrame:
    """Rows of the report: one per combination of `by`, sorted, with tokens, requests and cost."""
    counted = usage.counted
    columns = [pl.col(dim_column(d)).alias(d) for d in by]
    priced = pl.col("_aicost_status") == "priced"
    aggs = [
        *(pl.col(c).sum() for c in SUMS),
        pl.col("cost").sum().alias("cost"),
        *([pl.col("list_cost").sum().alias("list_cost")] if "list_cost" in counted.columns else []),
        pl.col("cost").is_not_null().any().alias("_any_priced"),
        pl.col("requests").filter(~priced).sum().alias("unpriced_requests"),
    ]
    if by:
        rows = counted.with_columns(columns).group_by(list(by), maintain_order=True).agg(aggs)
    else:
        rows = counted.select(aggs)
    money = [c for c in ("cost", "list_cost") if c in rows.columns]
    rows = rows.with_columns(pl.when(pl.col("_any_priced")).then(pl.col(c)).otherwise(None) for c in money)
    rows = rows.drop("_any_priced")
    if any(d in PERIODS for d in by):
        rows = rows.sort(list(by), nulls_last=True)
    else:
        rows = rows.sort(["cost", *by], descending=[True, *[False] * len(by)], nulls_last=True)
    return label_periods(rows, by)


def run_report(
    inputs: list[str],
    *,
    by: Sequence[str] = DEFAULT_BY,
    tz: str = "UTC",
    since: str | None = None,
    until: str | None = None,
    mapping: dict[str, str] | None = None,
    pricing: Path | None = None,
    strict: bool = False,
    on_error: OnError = "fail",
    backdate_tiers: bool = False,
    ingest: IngestOptions | None = None,
    reconcile_costs: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    money: Money | None = None,
) -> ReportResult:
    """Price logs and break spend down by `by`, at contract prices in `money.currency`; with
    `reconcile_costs`, compare computed (USD list) with reported cost."""
    money = money or Money()
    usage = price_logs(
        inputs,
        by=by,
        tz=tz,
        since=since,
        until=until,
        mapping=mapping,
        pricing=pricing,
        strict=strict,
        on_error=on_error,
        backdate_tiers=backdate_tiers,
        ingest=ingest,
        # a report only sums cells: merge those that price alike (far fewer cells to price)
        merge_cells=True,
    )
    checked = None
    if reconcile_costs:
        # reported costs are what providers and gateways billed in USD: compare before contracts and FX
        checked = reconcile(usage, tolerance)
        usage.warnings.extend(checked.warnings())
    usage.cells.frame = apply(usage.cells.frame, money)
    by = usage.cells.dims
    rows = aggregate(usage, by)
    options = {"tz": tz, "since": since, "until": until}
    return ReportResult(rows=rows, by=by, usage=usage, options=options, reconciliation=checked, money=money)
