"""Adoption ramps: the share `a(t)` of a scenario's full effect in force at forecast month t.

From a scenario's `[forecast].ramp` (../shared/reference/scenarios.md §4):
- logistic: `a(t) = full / (1 + e^(−k(t − mid)))` with `k = 2·ln 9 / Δ`, Δ = months from 10% to 90% of
  `full` (golden value 11, §10: with share 0.8, mid 9, Δ 9: k = 0.4883, and 0.8·a(t) is 0.08, 0.40, 0.72 at
  months 4.5, 9, 13.5);
- linear: `full·(t − start)/(end − start)`, clipped to [0, full] (`end` defaults to `2·mid − start`);
- step: `full` from `start` on.
Before `start_month` adoption is 0 for every shape. A scenario without a ramp is a step at month 0: its
simulated effect applies from the first forecast month.

Ramp timing is uncertain: Monte Carlo shifts the whole ramp by a normal draw with standard deviation
`jitter` months (default a quarter of the ramp's own span: Δ/4 for logistic, (end − start)/4 for linear,
0 for a step, which is a decision rather than a diffusion).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from aicost.errors import ScenarioError
from aicost.scenarios.model import Ramp

LN9X2 = 2 * math.log(9)  # k·Δ: the logistic goes from 10% to 90% of its height in Δ months


@dataclass(frozen=True)
class Adoption:
    """A validated ramp with everything resolved to numbers."""

    shape: str
    start: float
    full: float
    mid: float | None = None
    span: float | None = None  # logistic: 10→90% months
    end: float | None = None  # linear
    jitter: float = 0.0  # standard deviation of the timing shift, months

    @property
    def k(self) -> float | None:
        """The logistic steepness, `2·ln 9 / Δ`."""
        return LN9X2 / self.span if self.span else None

    def at(self, t: float, shift: float = 0.0) -> float:
        """`a(t)` for the ramp shifted `shift` months later."""
        s = t - shift
        if s < self.start:
            return 0.0
        if self.shape == "step":
            return self.full
        if self.shape == "linear":
            assert self.end is not None
            return self.full * min(1.0, max(0.0, (s - self.start) / (self.end - self.start)))
        assert self.k is not None and self.mid is not None
        return self.full / (1 + math.exp(-self.k * (s - self.mid)))

    def expr(self, t: pl.Expr, shift: pl.Expr) -> pl.Expr:
        """`a(t − shift)` as a Polars expression (the vectorised twin of `at`)."""
        s = t - shift
        if self.shape == "step":
            value: pl.Expr = pl.lit(self.full)
        elif self.shape == "linear":
            assert self.end is not None
            value = self.full * ((s - self.start) / (self.end - self.start)).clip(0.0, 1.0)
        else:
            assert self.k is not None and self.mid is not None
            value = self.full / (1 + (-self.k * (s - self.mid)).exp())
        return pl.when(s >= self.start).then(value).otherwise(0.0)

    def to_json(self) -> dict[str, Any]:
        """The ramp as echoed in results."""
        doc: dict[str, Any] = {"shape": self.shape, "start_month": self.start, "full": self.full}
        if self.shape == "logistic":
            doc |= {"midpoint_month": self.mid, "p10_to_p90_months": self.span, "k": self.k}
        if self.shape == "linear":
            doc["end_month"] = self.end
        doc["timing_jitter_months"] = self.jitter
        return doc


def adoption(ramp: Ramp | None, where: str, jitter: float | None = None) -> Adoption:
    """Resolve a scenario's ramp (None: a step at month 0); `jitter` None means the shape's default."""
    if ramp is None:
        return Adoption(shape="step", start=0.0, full=1.0, jitter=jitter or 0.0)
    if not 0.0 <= ramp.full <= 1.0:
        raise ScenarioError(f"{where}: forecast.ramp.full: {ramp.full} is outside [0, 1]")
    if ramp.shape == "step":
        return Adoption(shape="step", start=ramp.start_month, full=ramp.full, jitter=jitter or 0.0)
    if ramp.shape == "linear":
        end = ramp.end_month
        if end is None and ramp.midpoint_month is not None:
            end = 2 * ramp.midpoint_month - ramp.start_month
        if end is None or end <= ramp.start_month:
            raise ScenarioError(
                f"{where}: forecast.ramp: a linear ramp needs end_month (or midpoint_month) after start_month"
            )
        default = (end - ramp.start_month) / 4
        return Adoption(
            shape="linear",
            start=ramp.start_month,
            full=ramp.full,
            end=end,
            jitter=default if jitter is None else jitter,
        )
    if ramp.midpoint_month is None or ramp.p10_to_p90_months is None or ramp.p10_to_p90_months <= 0:
        raise ScenarioError(
            f"{where}: forecast.ramp: a logistic ramp needs midpoint_month and a positive p10_to_p90_months"
        )
    return Adoption(
        shape="logistic",
        start=ramp.start_month,
        full=ramp.full,
        mid=ramp.midpoint_month,
        span=ramp.p10_to_p90_months,
        jitter=ramp.p10_to_p90_months / 4 if jitter is None else jitter,
    )
