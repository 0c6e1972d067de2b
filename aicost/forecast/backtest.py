"""Backtest: forecast the last K full months from the months before them and compare with what happened.

The method is the forecast's own: the last training month is the base, its usage is priced at each
held-out month's prices, and volume grows by the training fit (or the given growth). Errors are relative to
the actual cost: MAPE = mean |F − A| / A, bias = mean (F − A) / A (positive: the forecast ran high), both
in percent, plus how many actual months fell inside the P10–P90 band.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from aicost.errors import UsageError
from aicost.forecast.drivers import Factor, flat
from aicost.forecast.growth import fit_months
from aicost.forecast.montecarlo import Growth, project
from aicost.forecast.months import Month, template
from aicost.forecast.pricepath import price_path
from aicost.money import Money
from aicost.pricing import PriceBook


@dataclass
class Backtest:
    """How the baseline forecast would have done on the last K full months."""

    held_out: int
    training: list[str]
    growth: Growth
    rows: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)

    @property
    def mape(self) -> float | None:
        """Mean absolute percentage error, %."""
        errors = [abs(r["error_pct"]) for r in self.rows if r["error_pct"] is not None]
        return math.fsum(errors) / len(errors) if errors else None

    @property
    def bias(self) -> float | None:
        """Mean signed percentage error, % (positive: forecasts too high)."""
        errors = [r["error_pct"] for r in self.rows if r["error_pct"] is not None]
        return math.fsum(errors) / len(errors) if errors else None

    @property
    def coverage(self) -> float | None:
        """Share of held-out months whose actual cost is inside the P10–P90 band."""
        inside = [r["p10"] <= r["actual"] <= r["p90"] for r in self.rows]
        return sum(inside) / len(inside) if inside else None

    def to_json(self) -> dict[str, Any]:
        """The backtest block of a result."""
        return {
            "held_out_months": self.held_out,
            "training_months": self.training,
            "growth_annual_factor": self.growth.point,
            "growth_source": "fit" if self.growth.fit is not None else "given",
            "mape_pct": self.mape,
            "bias_pct": self.bias,
            "coverage_p10_p90": self.coverage,
            "months": self.rows,
            "warnings": self.warnings,
        }


def run_backtest(
    cells: pl.DataFrame,
    full: Sequence[Month],
    k: int,
    given: Factor | None,
    book: PriceBook,
    tz: str,
    backdate: bool,
    draws: int,
    seed: int,
    money: Money | None = None,
    edges: Sequence[float] = (),
) -> Backtest:
    """Fit on all but the last `k` full months and forecast those `k` months' baseline cost."""
    if k < 1:
        raise UsageError(f"--backtest {k}: give a number of months, 1 or more")
    if len(full) < k + 1:
        raise UsageError(f"--backtest {k}: the logs have {len(full)} full month(s); a backtest needs at least {k + 1}")
    train, held = list(full[:-k]), list(full[-k:])
    warnings: list[str] = []
    if given is not None:
        growth = Growth(factor=given)
    else:
        tokens, _, notes = fit_months(train)
        if tokens is None:
            warnings += [f"backtest: {n}; growth is taken as flat" for n in notes]
            growth = Growth(factor=flat("growth", "backtest: too little history to fit"))
        else:
            growth = Growth(fit=tokens)
    base = template(cells, train[-1].start)
    path = price_path(base, [m.start for m in held], (), book, tz, backdate, money, edges)
    inputs = pl.DataFrame(
        {
            "month_index": list(range(k)),
            "elapsed": [float(j + 1) for j in range(k)],
            "B": [p.baseline for p in path],
        }
    )
    projection = project(inputs, growth, [], draws, seed)
    rows = []
    for month, row in zip(held, projection.frame.iter_rows(named=True), strict=True):
        actual, forecast = month.cost, row["cost"]
        rows.append(
            {
                "month": month.label,
                "actual": actual,
                "forecast": forecast,
                "p10": row["p10"],
                "p50": row["p50"],
                "p90": row["p90"],
                "error_pct": 100 * (forecast - actual) / actual if actual > 0 else None,
            }
        )
    return Backtest(held_out=k, training=[m.label for m in train], growth=growth, rows=rows, warnings=warnings)
