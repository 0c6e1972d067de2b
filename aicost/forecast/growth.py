"""Volume growth fitted from the logs: ordinary least squares on log(monthly volume) against the month.

`ln V_m = α + β·m + ε`, so the monthly growth factor is `e^β` and the annual one `G = e^(12β)`. The slope's
standard error is `se = sqrt(RSS / (n − 2) / Σ(m − m̄)²)`; intervals use Student's t with n − 2 degrees of
freedom, and Monte Carlo draws the slope as `β + se·T(n − 2)`, so few months give honestly wide ranges.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from aicost.forecast.months import Month, months_between

MIN_MONTHS = 3  # a slope with an error needs at least one degree of freedom
# Student's t quantiles by degrees of freedom (1..30): 0.90 (P10–P90) and 0.975 (a 95% interval)
# fmt: off
_T90 = (
    3.078, 1.886, 1.638, 1.533, 1.476, 1.440, 1.415, 1.397, 1.383, 1.372, 1.363, 1.356, 1.350, 1.345, 1.341,
    1.337, 1.333, 1.330, 1.328, 1.325, 1.323, 1.321, 1.319, 1.318, 1.316, 1.315, 1.314, 1.313, 1.311, 1.310,
)
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
    2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)
# fmt: on


def t_quantile(p: float, dof: int) -> float:
    """Student's t quantile for p in {0.9, 0.975} (tabulated to 30 degrees of freedom, normal beyond)."""
    table = {0.9: _T90, 0.975: _T975}[p]
    return table[dof - 1] if dof <= len(table) else NormalDist().inv_cdf(p)


@dataclass(frozen=True)
class LogLinearFit:
    """A log-linear trend of one monthly volume measure."""

    measure: str
    months: int
    slope: float  # per month, natural log
    se: float
    r2: float

    @property
    def dof(self) -> int:
        """Residual degrees of freedom."""
        return self.months - 2

    @property
    def annual_factor(self) -> float:
        """`e^(12β)`: volume multiplies by this in a year."""
        return math.exp(12 * self.slope)

    def annual_interval(self, p: float) -> tuple[float, float]:
        """The annual factor's two-sided interval whose upper tail is 1 − p (p = 0.9: P10–P90)."""
        half = t_quantile(p, self.dof) * self.se
        return math.exp(12 * (self.slope - half)), math.exp(12 * (self.slope + half))

    def draw_slopes(self, n: int, rng: random.Random) -> list[float]:
        """`n` slopes `β + se·T`, T Student-t distributed (normal over a chi-square, both seeded)."""
        out = []
        for _ in range(n):
            z = rng.gauss(0.0, 1.0)
            chi2 = rng.gammavariate(self.dof / 2, 2.0)
            out.append(self.slope + self.se * z / math.sqrt(chi2 / self.dof))
        return out

    def to_json(self) -> dict[str, Any]:
        """The fit as echoed in results."""
        p10, p90 = self.annual_interval(0.9)
        lo95, hi95 = self.annual_interval(0.975)
        return {
            "measure": self.measure,
            "months": self.months,
            "annual_factor": self.annual_factor,
            "monthly_growth_pct": 100 * math.expm1(self.slope),
            "log_slope_per_month": self.slope,
            "standard_error": self.se,
            "degrees_of_freedom": self.dof,
            "r_squared": self.r2,
            "interval_80": [p10, p90],
            "interval_95": [lo95, hi95],
        }


def fit(xs: Sequence[float], values: Sequence[float], measure: str) -> LogLinearFit:
    """Fit `ln(value) = α + β·month` by least squares; needs ≥ 3 positive values."""
    if len(values) < MIN_MONTHS or len(xs) != len(values):
        raise ValueError(f"a growth fit needs at least {MIN_MONTHS} months, got {len(values)}")
    if any(v <= 0 for v in values):
        raise ValueError("a growth fit needs positive monthly volumes")
    n = len(values)
    ys = [math.log(v) for v in values]
    x_mean, y_mean = math.fsum(xs) / n, math.fsum(ys) / n
    sxx = math.fsum((x - x_mean) ** 2 for x in xs)
    sxy = math.fsum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = y_mean - slope * x_mean
    rss = math.fsum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    tss = math.fsum((y - y_mean) ** 2 for y in ys)
    se = math.sqrt(rss / (n - 2) / sxx)
    r2 = 1 - rss / tss if tss > 0 else 1.0
    return LogLinearFit(measure=measure, months=n, slope=slope, se=se, r2=r2)


def fit_months(months: Sequence[Month]) -> tuple[LogLinearFit | None, LogLinearFit | None, list[str]]:
    """Log-linear fits of monthly tokens and requests (None when fewer than 3 months have usage)."""
    used = [m for m in months if m.tokens > 0 and m.requests > 0]
    if len(used) < MIN_MONTHS:
        return None, None, [f"{len(used)} full month(s) of history; a growth fit needs {MIN_MONTHS}"]
    warnings = []
    if len(used) < len(months):
        skipped = ", ".join(m.label for m in months if m not in used)
        warnings.append(f"months without priced usage are left out of the growth fit: {skipped}")
    xs = [float(months_between(used[0].start, m.start)) for m in used]
    tokens = fit(xs, [float(m.tokens) for m in used], "tokens")
    requests = fit(xs, [float(m.requests) for m in used], "requests")
    return tokens, requests, warnings
