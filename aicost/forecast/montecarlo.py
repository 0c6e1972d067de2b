"""Monthly projection with P10/P50/P90 ranges: seeded Monte Carlo over the uncertain drivers, on the cube.

Inputs per forecast month t (0 = the first forecast month, e = t + 1 months after the base month):
`B(t)`, the base month's usage priced at month t's prices, and per scenario `S(t)`, its fully adopted
cost at those prices, with `T(t)` the part paid to its targets. Then (../shared/reference/scenarios.md §4)

    V(t)  = G^(e/12)                                  volume growth since the base month
    S'(t) = S(t) − (1 − D^(−e/12))·T(t)               capability-constant decline on targets only
    cost  = V(t)·[(1 − a(t))·B(t) + a(t)·S'(t)]      adoption ramp a(t)

Each draw takes one growth factor G (the fit's slope plus its Student-t error, or log-uniform within a
range), one decline quantile shared by all scenarios (one market), and one ramp-timing shift per
scenario. Draws come from `random.Random` streams seeded by (seed, driver), so adding a scenario leaves
the others' numbers unchanged; the arithmetic runs once over the draws × months grid in Polars. The point
forecast is the same arithmetic on the central values (median growth, median decline, no shift).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import polars as pl

from aicost.forecast.drivers import Factor
from aicost.forecast.growth import LogLinearFit
from aicost.forecast.ramps import Adoption

QUANTILES = (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))
CENTRAL = -1  # the draw id of the point forecast


@dataclass(frozen=True)
class Growth:
    """The volume driver: a factor (given, preset or range) or a log-linear fit of the logs."""

    factor: Factor | None = None
    fit: LogLinearFit | None = None

    @property
    def point(self) -> float:
        """The central annual factor."""
        if self.fit is not None:
            return self.fit.annual_factor
        assert self.factor is not None
        return self.factor.point

    @property
    def exact(self) -> bool:
        """Whether every draw has the same growth."""
        return self.fit is None and self.factor is not None and self.factor.exact

    def draws(self, n: int, seed: int) -> list[float]:
        """`n` annual factors."""
        rng = random.Random(f"aicost:{seed}:growth")
        if self.fit is not None:
            return [_exp12(b) for b in self.fit.draw_slopes(n, rng)]
        assert self.factor is not None
        if self.factor.exact:
            return [self.factor.point] * n
        return [self.factor.at(rng.random()) for _ in range(n)]


def _exp12(slope: float) -> float:
    return math.exp(12 * slope)


@dataclass(frozen=True)
class Track:
    """A scenario's forecast drivers."""

    name: str
    adoption: Adoption
    decline: Factor
    switching_cost: float = 0.0


@dataclass
class Projection:
    """Point forecast and bands per series and month, horizon totals, and payback months."""

    frame: pl.DataFrame  # one row per (series, month_index)
    totals: dict[str, dict[str, float]]
    payback: dict[str, dict[str, int | None]]


def _quantiles(column: str, prefix: str) -> list[pl.Expr]:
    return [pl.col(column).quantile(q, interpolation="linear").alias(f"{prefix}{name}") for name, q in QUANTILES]


def project(inputs: pl.DataFrame, growth: Growth, tracks: list[Track], draws: int, seed: int) -> Projection:
    """Project every month for every draw and summarise (inputs: month_index, elapsed, B, S{i}, T{i})."""
    n = max(draws, 1)
    columns: dict[str, list[float]] = {"G": [growth.point, *growth.draws(n, seed)]}
    shared = random.Random(f"aicost:{seed}:decline")
    u = [shared.random() for _ in range(n)]
    for i, track in enumerate(tracks):
        columns[f"D{i}"] = [track.decline.point, *(track.decline.at(x) for x in u)]
        rng = random.Random(f"aicost:{seed}:ramp:{track.name}")
        sigma = track.adoption.jitter
        columns[f"shift{i}"] = [0.0, *((rng.gauss(0.0, sigma) if sigma > 0 else 0.0) for _ in range(n))]
    frame = pl.DataFrame({"draw": [CENTRAL, *range(n)], **columns}).with_columns(pl.col("draw").cast(pl.Int64))
    grid = frame.join(inputs, how="cross").sort("draw", "month_index")
    t = pl.col("month_index").cast(pl.Float64)
    volume = pl.col("G").pow(pl.col("elapsed") / 12)
    exprs = [(volume * pl.col("B")).alias("baseline")]
    for i, track in enumerate(tracks):
        decline = pl.col(f"D{i}").pow(-pl.col("elapsed") / 12)
        steady = pl.col(f"S{i}") - (1 - decline) * pl.col(f"T{i}")
        a = track.adoption.expr(t, pl.col(f"shift{i}"))
        exprs += [a.alias(f"a{i}"), (volume * ((1 - a) * pl.col("B") + a * steady)).alias(f"cost{i}")]
    grid = grid.with_columns(exprs)
    grid = grid.with_columns(
        (pl.col("baseline") - pl.col(f"cost{i}")).alias(f"sav{i}") for i in range(len(tracks))
    ).with_columns(pl.col(f"sav{i}").cum_sum().over("draw").alias(f"cum{i}") for i in range(len(tracks)))
    central = grid.filter(pl.col("draw") == CENTRAL).sort("month_index")
    sample = grid.filter(pl.col("draw") != CENTRAL)
    parts = [_series(central, sample, "baseline", "baseline", None)]
    parts += [_series(central, sample, track.name, f"cost{i}", i) for i, track in enumerate(tracks)]
    totals = _totals(central, sample, tracks)
    payback = {track.name: _payback(central, sample, i, track) for i, track in enumerate(tracks)}
    return Projection(frame=pl.concat(parts, how="diagonal_relaxed"), totals=totals, payback=payback)


def _series(central: pl.DataFrame, sample: pl.DataFrame, name: str, cost: str, i: int | None) -> pl.DataFrame:
    aggs = _quantiles(cost, "")
    keep = [pl.col("month_index"), pl.col(cost).alias("cost")]
    if i is not None:
        aggs += _quantiles(f"sav{i}", "savings_") + _quantiles(f"cum{i}", "cumulative_savings_")
        keep += [
            pl.col(f"sav{i}").alias("savings"),
            pl.col(f"cum{i}").alias("cumulative_savings"),
            pl.col(f"a{i}").alias("adoption"),
        ]
    bands = sample.group_by("month_index").agg(aggs)
    point = central.select(keep)
    out = point.join(bands, on="month_index", how="left").sort("month_index")
    order = ["month_index", "cost", "p10", "p50", "p90"]
    if i is not None:
        order += ["savings", *(f"savings_{q}" for q, _ in QUANTILES), "cumulative_savings"]
        order += [*(f"cumulative_savings_{q}" for q, _ in QUANTILES), "adoption"]
    return out.select(pl.lit(name).alias("series"), *order)


def _totals(central: pl.DataFrame, sample: pl.DataFrame, tracks: list[Track]) -> dict[str, dict[str, float]]:
    """Horizon totals per series: the point sum and the quantiles of each draw's sum."""
    names = {"baseline": "baseline", **{f"cost{i}": t.name for i, t in enumerate(tracks)}}
    per_draw = sample.group_by("draw").agg(pl.col(c).sum() for c in names)
    out: dict[str, dict[str, float]] = {}
    for column, name in names.items():
        q = per_draw.select(_quantiles(column, "")).row(0, named=True)
        out[name] = {"cost": float(central[column].sum()), **{k: float(v) for k, v in q.items()}}
    return out


def _payback(central: pl.DataFrame, sample: pl.DataFrame, i: int, track: Track) -> dict[str, int | None]:
    """First month index whose cumulative savings cover the switching cost (None: not within the horizon)."""
    if track.switching_cost <= 0:
        return {"month_index": None, "p10": None, "p50": None, "p90": None}
    horizon = int(central.height)
    covered = pl.col(f"cum{i}") >= track.switching_cost
    point = central.filter(covered)["month_index"].min()
    first = sample.filter(covered).group_by("draw").agg(pl.col("month_index").min().alias("m"))
    draws = sample.select("draw").unique().join(first, on="draw", how="left").fill_null(horizon)
    out: dict[str, int | None] = {"month_index": None if point is None else int(point)}  # type: ignore[arg-type]
    for name, q in QUANTILES:
        value = draws["m"].quantile(q, interpolation="nearest")
        out[name] = None if value is None or value >= horizon else int(value)
    return out


def draws_json(growth: Growth, tracks: list[Track], draws: int, seed: int) -> dict[str, Any]:
    """How the ranges were made, for the result's assumptions."""
    uncertain = []
    if not growth.exact:
        uncertain.append("growth")
    uncertain += [f"{t.name}: price decline" for t in tracks if not t.decline.exact]
    uncertain += [f"{t.name}: ramp timing" for t in tracks if t.adoption.jitter > 0]
    return {"draws": draws, "seed": seed, "uncertain_drivers": uncertain, "quantiles": [q for _, q in QUANTILES]}
