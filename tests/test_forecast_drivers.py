"""Forecast drivers, ramps and the growth fit: golden values from ../shared/reference/scenarios.md §5, §6, §10."""

from __future__ import annotations

import math
import random

import polars as pl
import pytest

from aicost.errors import ScenarioError, UsageError
from aicost.forecast.drivers import DECLINE_PRESETS, GROWTH_PRESETS, parse_factor
from aicost.forecast.growth import fit, t_quantile
from aicost.forecast.ramps import LN9X2, adoption
from aicost.scenarios.model import Ramp


@pytest.mark.parametrize(
    ("spec", "low", "high"),
    [
        ("1.75x/yr", 1.75, 1.75),
        ("1.75x", 1.75, 1.75),
        ("1.75", 1.75, 1.75),
        ("5%/mo", 1.05**12, 1.05**12),
        ("75%/yr", 1.75, 1.75),
        ("-10%/yr", 0.9, 0.9),
        ("1.1x/mo", 1.1**12, 1.1**12),
        ("1.3x..2.5x/yr", 1.3, 2.5),
        ("1.3..2.5x/yr", 1.3, 2.5),
        ("2.5x..1.3x", 1.3, 2.5),
        ("enterprise-budget", 1.75, 1.75),
        ("google-2025", 3200 / 480, 3200 / 480),
        ("flat..enterprise-budget", 1.0, 1.75),
    ],
)
def test_growth_specs(spec: str, low: float, high: float) -> None:
    factor = parse_factor(spec, "growth", "--growth")
    assert factor.low == pytest.approx(low, rel=1e-12)
    assert factor.high == pytest.approx(high, rel=1e-12)
    assert factor.point == pytest.approx(math.sqrt(low * high), rel=1e-12)


def test_growth_presets_match_the_reference() -> None:
    # §6 and golden value 15: Google 49.5x and 6.67x, enterprise spend 5.76x/yr
    assert GROWTH_PRESETS["google-2024-25"].low == pytest.approx(49.48, abs=0.01)
    assert GROWTH_PRESETS["google-2025-26"].low == pytest.approx(6.667, abs=0.001)
    assert GROWTH_PRESETS["enterprise-spend"].low == pytest.approx(5.76, abs=1e-9)
    assert GROWTH_PRESETS["openrouter-2025"].low == 10.0
    assert GROWTH_PRESETS["enterprise-budget"].low == 1.75
    assert GROWTH_PRESETS["flat"].low == 1.0


def test_decline_presets_match_the_reference() -> None:
    # §5: Epoch 9.2x / 46x / 851x, a16z 10x/yr, Gundlach 5x-10x, sticker-flat 1x
    expected = {"epoch-low": 9.2, "epoch-median": 46.0, "epoch-high": 851.0, "a16z-llmflation": 10.0}
    for name, value in expected.items():
        assert DECLINE_PRESETS[name].low == DECLINE_PRESETS[name].high == value
    assert (DECLINE_PRESETS["gundlach-frontier"].low, DECLINE_PRESETS["gundlach-frontier"].high) == (5.0, 10.0)
    assert parse_factor("flat", "decline", "x").point == 1.0
    assert parse_factor("50%/yr", "decline", "x").point == pytest.approx(2.0)
    assert parse_factor("epoch-low..epoch-median", "decline", "x").low == 9.2


def test_golden_12_price_path_and_volume_at_18_months() -> None:
    # §10 golden 12: D = 10 gives 0.0316·p0 and G = 1.75 gives 2.315·V0 after 18 months
    d = parse_factor("a16z-llmflation", "decline", "x").point
    g = parse_factor("enterprise-budget", "growth", "x").point
    assert d ** (-18 / 12) == pytest.approx(0.0316, abs=5e-5)
    assert g ** (18 / 12) == pytest.approx(2.315, abs=5e-4)


@pytest.mark.parametrize("spec", ["", "fast", "0x", "-150%/yr", "1..2..3", "1.2y"])
def test_bad_specs_are_usage_errors(spec: str) -> None:
    with pytest.raises(UsageError, match="--growth"):
        parse_factor(spec, "growth", "--growth")


def test_bad_spec_in_a_scenario_names_it() -> None:
    with pytest.raises(ScenarioError, match=r"s\.toml: forecast\.price_decline"):
        parse_factor("cheap", "decline", "scenario s", option="s.toml: forecast.price_decline")


def test_golden_11_logistic_ramp() -> None:
    # share 0.8 (the move's), mid 9, Δ 9: k = 2 ln 9 / 9 = 0.4883; 0.8·a(t) = 0.08, 0.40, 0.72
    ramp = adoption(Ramp(shape="logistic", midpoint_month=9, p10_to_p90_months=9), "x")
    assert ramp.k == pytest.approx(0.4883, abs=1e-4)
    assert ramp.k == LN9X2 / 9
    assert 0.8 * ramp.at(4.5) == pytest.approx(0.08, abs=1e-12)
    assert 0.8 * ramp.at(9) == 0.40
    assert 0.8 * ramp.at(13.5) == pytest.approx(0.72, abs=1e-12)
    assert ramp.jitter == 9 / 4


def test_linear_and_step_ramps() -> None:
    linear = adoption(Ramp(shape="linear", start_month=1, end_month=4), "x")
    assert [linear.at(t) for t in (0, 1, 2, 4, 10)] == [0.0, 0.0, pytest.approx(1 / 3), 1.0, 1.0]
    from_mid = adoption(Ramp(shape="linear", start_month=2, midpoint_month=5, full=0.5), "x")
    assert from_mid.end == 8 and from_mid.at(5) == 0.25
    step = adoption(Ramp(shape="step", start_month=3), "x")
    assert [step.at(t) for t in (0, 2, 3, 17)] == [0.0, 0.0, 1.0, 1.0]
    assert step.jitter == 0.0
    assert adoption(None, "x").at(0) == 1.0


def test_ramp_expression_matches_the_scalar_formula() -> None:
    ramps = [
        adoption(Ramp(shape="logistic", midpoint_month=6, p10_to_p90_months=4, full=0.7), "x"),
        adoption(Ramp(shape="linear", start_month=1, end_month=5), "x"),
        adoption(Ramp(shape="step", start_month=2), "x"),
    ]
    frame = pl.DataFrame({"t": [float(t) for t in range(12)] * 2, "shift": [0.0] * 12 + [1.5] * 12})
    for ramp in ramps:
        got = frame.select(ramp.expr(pl.col("t"), pl.col("shift")))[:, 0].to_list()
        want = [ramp.at(t, s) for t, s in frame.iter_rows()]
        assert got == pytest.approx(want, abs=1e-15)


@pytest.mark.parametrize(
    "ramp",
    [
        Ramp(shape="logistic", midpoint_month=9),
        Ramp(shape="logistic", p10_to_p90_months=9),
        Ramp(shape="linear", start_month=3),
        Ramp(shape="step", full=1.5),
    ],
)
def test_incomplete_ramps_are_scenario_errors(ramp: Ramp) -> None:
    with pytest.raises(ScenarioError, match="ramp"):
        adoption(ramp, "s.toml")


def test_fit_recovers_an_exact_exponential() -> None:
    values = [100 * 1.05**m for m in range(6)]
    result = fit(list(range(6)), values, "tokens")
    assert result.slope == pytest.approx(math.log(1.05), abs=1e-12)
    assert result.se == pytest.approx(0.0, abs=1e-9)
    assert result.annual_factor == pytest.approx(1.05**12, rel=1e-10)
    assert result.r2 == pytest.approx(1.0)


def test_fit_interval_covers_the_truth_on_noisy_data() -> None:
    rng = random.Random(7)
    truth = 1.8
    values = [1e6 * truth ** (m / 12) * math.exp(rng.gauss(0, 0.05)) for m in range(12)]
    result = fit(list(range(12)), values, "tokens")
    lo, hi = result.annual_interval(0.975)
    assert lo < truth < hi
    assert result.annual_interval(0.9)[0] > lo  # the 80% interval sits inside the 95% one


def test_t_quantiles() -> None:
    assert t_quantile(0.9, 1) == 3.078
    assert t_quantile(0.975, 3) == 3.182
    assert t_quantile(0.9, 500) == pytest.approx(1.2816, abs=1e-4)


def test_fit_needs_three_positive_months() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        fit([0, 1], [1.0, 2.0], "tokens")
    with pytest.raises(ValueError, match="positive"):
        fit([0, 1, 2], [1.0, 0.0, 2.0], "tokens")
