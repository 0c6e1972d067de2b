"""Growth fitted from a synthetic history with known exponential growth plus seeded noise, the backtest,
and the Monte Carlo's speed on the cube."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from aicost.forecast.drivers import parse_factor
from aicost.forecast.montecarlo import Growth, Track, project
from aicost.forecast.ramps import adoption
from aicost.scenarios.model import Ramp
from tests.test_forecast_cli import monthly

Json = Callable[..., dict[str, Any]]
MakeLog = Callable[..., Path]
TRUE_GROWTH = 1.8  # per year


def noisy_history(months: int, seed: int, sigma: float = 0.05) -> list[float]:
    rng = random.Random(seed)
    return [5.0 * TRUE_GROWTH ** (m / 12) * math.exp(rng.gauss(0.0, sigma)) for m in range(months)]


def test_fitted_growth_is_within_its_interval_and_the_backtest_is_small(make_log: MakeLog, cli_json: Json) -> None:
    log = make_log(monthly(noisy_history(15, seed=3), first=dt.date(2025, 6, 1)))
    doc = cli_json("forecast", log, "--backtest", "3", "--months", "12")
    growth = doc["assumptions"]["growth"]
    assert growth["source"] == "fit"
    fitted = growth["fitted"]["tokens"]
    assert fitted["months"] == 15
    lo95, hi95 = growth["interval_95"]
    lo80, hi80 = growth["interval_80"]
    assert lo95 < lo80 < growth["annual_factor"] < hi80 < hi95
    assert lo80 < TRUE_GROWTH < hi80
    assert growth["annual_factor"] == pytest.approx(TRUE_GROWTH, rel=0.1)
    bt = doc["backtest"]
    assert bt["held_out_months"] == 3 and len(bt["months"]) == 3
    assert bt["training_months"][-1] == "2026-05"
    assert bt["mape_pct"] < 8.0
    assert abs(bt["bias_pct"]) <= bt["mape_pct"]
    assert bt["growth_source"] == "fit"
    # the errors are what they say: forecast against the months' actual cost
    for row in bt["months"]:
        assert row["error_pct"] == pytest.approx(100 * (row["forecast"] - row["actual"]) / row["actual"])


def test_backtest_with_given_growth_uses_it(make_log: MakeLog, cli_json: Json) -> None:
    exact = [5.0 * TRUE_GROWTH ** (m / 12) for m in range(6)]
    doc = cli_json("forecast", make_log(monthly(exact)), "--backtest", "2", "--growth", "1.8x/yr")
    bt = doc["backtest"]
    assert bt["growth_source"] == "given" and bt["growth_annual_factor"] == 1.8
    # exponential history at the given rate: the forecast hits it up to token rounding
    assert bt["mape_pct"] < 1e-3


def test_monte_carlo_over_ranges_centres_on_the_geometric_mean() -> None:
    # (its speed is measured by bench/run.py, "forecast 1,000 draws - report", not by a timed test)
    months = 18
    inputs = pl.DataFrame(
        {
            "month_index": list(range(months)),
            "elapsed": [float(t + 1) for t in range(months)],
            "B": [100.0] * months,
            **{f"S{i}": [30.0] * months for i in range(3)},
            **{f"T{i}": [10.0] * months for i in range(3)},
        }
    )
    ramp = adoption(Ramp(shape="logistic", midpoint_month=9, p10_to_p90_months=9), "x")
    tracks = [Track(f"s{i}", ramp, parse_factor("epoch-low..epoch-high", "decline", "x")) for i in range(3)]
    growth = Growth(factor=parse_factor("1.3x..2.5x/yr", "growth", "x"))
    projection = project(inputs, growth, tracks, 1000, 0)
    assert projection.frame.height == months * 4
    # the point forecast is the central draw: volume at the geometric mean, prices at the median decline
    row = projection.frame.filter((pl.col("series") == "baseline") & (pl.col("month_index") == 11)).row(0, named=True)
    assert row["cost"] == pytest.approx(100.0 * math.sqrt(1.3 * 2.5), rel=1e-12)
