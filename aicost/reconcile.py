"""Computed vs reported cost, per model (`aicost report --reconcile`).

Gateways, tracers and agents report their own cost (LiteLLM `spend`, OpenRouter `total_cost`, Langfuse
`costDetails.total`, Helicone `costUSD`, Claude Code `costUSD`). It is never added to aicost's cost; here
the two are compared over exactly the rows that report one, and differences above a tolerance flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from aicost.costing import HAS_REPORTED, PROVIDER_OUT, STATUS
from aicost.usage import PricedUsage

DEFAULT_TOLERANCE = 0.02
_EPSILON = 1e-9


@dataclass
class Reconciliation:
    """One row per (provider, model) with reported cost: computed, reported, difference, flag."""

    tolerance: float
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def flagged(self) -> list[dict[str, Any]]:
        """Models whose computed and reported costs differ by more than the tolerance (or are unpriced)."""
        return [r for r in self.rows if r["status"] != "ok"]

    def to_json(self) -> dict[str, Any]:
        """The `reconciliation` block of a report's JSON."""
        return {"tolerance": self.tolerance, "flagged": len(self.flagged), "models": self.rows}

    def warnings(self) -> list[str]:
        """One line per flagged model."""
        out = []
        for r in self.flagged:
            who = f"{r['provider']}/{r['model']}" if r["provider"] else r["model"]
            if r["status"] == "unpriced":
                out.append(f"reconcile: {who} reports ${r['reported_cost']:.6f} but aicost cannot price it")
            else:
                pct = "n/a" if r["difference_pct"] is None else f"{r['difference_pct']:+.1%}"
                out.append(
                    f"reconcile: {who} computed ${r['computed_cost']:.6f} vs reported ${r['reported_cost']:.6f} "
                    f"({pct}, tolerance {self.tolerance:.1%})"
                )
        return out


def reconcile(usage: PricedUsage, tolerance: float = DEFAULT_TOLERANCE) -> Reconciliation:
    """Compare computed with reported cost per model over the rows that report a cost."""
    rows = (
        usage.cells.frame.filter(pl.col(STATUS).is_in(["priced", "unpriced"]) & pl.col(HAS_REPORTED))
        .group_by(pl.col(PROVIDER_OUT).alias("provider"), "model")
        .agg(
            pl.col("requests").sum(),
            pl.col("cost").sum().alias("computed_cost"),
            (pl.col(STATUS) == "unpriced").any().alias("unpriced"),
            pl.col("reported_cost").sum(),
        )
        .sort("reported_cost", "provider", "model", descending=[True, False, False], nulls_last=True)
    )
    out = []
    for row in rows.iter_rows(named=True):
        computed, reported = float(row["computed_cost"] or 0.0), float(row["reported_cost"] or 0.0)
        difference = computed - reported
        pct = difference / reported if abs(reported) > _EPSILON else None
        if row["unpriced"]:
            status = "unpriced"
        elif abs(difference) > tolerance * abs(reported) + (_EPSILON if abs(reported) <= _EPSILON else 0.0):
            status = "differs"
        else:
            status = "ok"
        out.append(
            {
                "provider": row["provider"],
                "model": row["model"],
                "requests": int(row["requests"] or 0),
                "computed_cost": None if row["unpriced"] else computed,
                "reported_cost": reported,
                "difference": None if row["unpriced"] else difference,
                "difference_pct": None if row["unpriced"] or pct is None or not math.isfinite(pct) else pct,
                "status": status,
            }
        )
    return Reconciliation(tolerance=tolerance, rows=out)
