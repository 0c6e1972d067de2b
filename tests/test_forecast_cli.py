"""`aicost forecast` through the CLI: the judged closed forms, dated prices, declines, payback and errors.

Month 0 is the first forecast month; month t is t + 1 months after the base month (the last full month).
gpt-4o costs $2.5/M input and $10/M output, so 1M input + 100k output is $3.50.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

UTC = dt.UTC
Cli = Callable[..., Result]
Json = Callable[..., dict[str, Any]]
MakeLog = Callable[..., Path]

STEP_8099 = """
schema = "aicost.scenario/1"
name = "step-80-99"
[[move]]
share = 0.8
price_ratio = 0.01
[forecast]
ramp = { shape = "step", start_month = 0 }
"""


def monthly(volumes: list[float], first: dt.date = dt.date(2026, 1, 1), model: str = "gpt-4o") -> list[dict[str, Any]]:
    """One aggregated row per month (on the 10th): `v` million input tokens and v/10 million output."""
    rows = []
    for i, v in enumerate(volumes):
        index = first.year * 12 + first.month - 1 + i
        day = dt.datetime(index // 12, index % 12 + 1, 10, 12, tzinfo=UTC)
        rows.append(
            {
                "timestamp": day,
                "model": model,
                "input_tokens": round(v * 1_000_000),
                "output_tokens": round(v * 100_000),
                "requests": max(1, round(v * 100)),
            }
        )
    return rows


@pytest.fixture
def scenario_file(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str, name: str = "s.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def test_flat_growth_and_a_step_at_month_0_repeat_the_last_full_month_exactly(
    make_log: MakeLog, cli_json: Json, scenario_file: Callable[[str], Path]
) -> None:
    log = make_log(monthly([1.0, 3.0, 2.0]))  # Jan, Feb, Mar 2026: the base is March, $7.00
    doc = cli_json("forecast", log, "--scenario", scenario_file(STEP_8099), "--growth", "flat")
    march = cli_json("report", log, "--by", "month")["rows"][-1]["cost"]
    steady = cli_json("simulate", log, "--scenario", scenario_file(STEP_8099), "--since", "2026-03-01")
    assert doc["base_month"] == "2026-03" and doc["first_month"] == "2026-04"
    assert march == pytest.approx(7.0, abs=1e-12) and doc["base_month_cost"] == march
    assert len(doc["months"]) == 18
    expected = steady["scenarios"][0]["total_cost"]
    assert expected == pytest.approx(7.0 * (0.2 + 0.8 * 0.01), abs=1e-12)
    for month in doc["months"]:
        base, scenario = month["baseline"], month["scenarios"]["step-80-99"]
        assert base["cost"] == base["p10"] == base["p50"] == base["p90"] == march
        assert scenario["cost"] == scenario["p10"] == scenario["p90"] == expected
        assert scenario["adoption"] == 1.0
        assert scenario["savings"] == march - expected
    assert doc["baseline"]["total_cost"] == pytest.approx(18 * march, rel=1e-15)
    assert doc["assumptions"]["monte_carlo"]["uncertain_drivers"] == []


def test_growth_2x_per_year_doubles_month_0_by_month_12(make_log: MakeLog, cli_json: Json) -> None:
    doc = cli_json("forecast", make_log(monthly([2.0, 2.0, 2.0])), "--growth", "2x/yr")
    months = doc["months"]
    base = doc["base_month_cost"]
    assert months[12]["baseline"]["cost"] / months[0]["baseline"]["cost"] == pytest.approx(2.0, rel=1e-9)
    # month t is t + 1 months after the base month: month 0 already has one month of growth
    assert months[0]["baseline"]["cost"] == pytest.approx(base * 2 ** (1 / 12), rel=1e-12)
    assert months[11]["baseline"]["cost"] == pytest.approx(base * 2, rel=1e-12)
    assert months[12]["months_after_base"] == 13
    assert doc["assumptions"]["growth"]["annual_factor"] == 2.0


def test_armstrong_preset_logistic_half_at_month_9_and_steady_state_0208(make_log: MakeLog, cli_json: Json) -> None:
    doc = cli_json("forecast", make_log(monthly([1.0, 1.0, 1.0])), "-p", "armstrong-80-99", "--growth", "flat")
    (scenario,) = doc["scenarios"]
    assert scenario["steady_state_ratio"] == pytest.approx(0.208, abs=1e-12)
    months = doc["months"]
    assert months[9]["scenarios"]["armstrong-80-99"]["adoption"] == 0.5
    # golden 11: of all traffic, 0.8·a(t) has moved: 0.40 at the midpoint
    assert 0.8 * months[9]["scenarios"]["armstrong-80-99"]["adoption"] == 0.40
    base = doc["base_month_cost"]
    for month in months:
        a = month["scenarios"]["armstrong-80-99"]["adoption"]
        assert month["scenarios"]["armstrong-80-99"]["cost"] == pytest.approx(base * (1 - a + a * 0.208), rel=1e-12)
    ramp = doc["assumptions"]["scenarios"][0]["ramp"]
    assert ramp["k"] == pytest.approx(0.4883, abs=1e-4)
    assert ramp["timing_jitter_months"] == 2.25


def test_price_decline_applies_to_targets_only(
    make_log: MakeLog, cli_json: Json, scenario_file: Callable[[str], Path]
) -> None:
    log = make_log(monthly([1.0, 1.0, 1.0]))
    doc = cli_json("forecast", log, "-s", scenario_file(STEP_8099), "--growth", "flat", "--price-decline", "10x/yr")
    base = doc["base_month_cost"]
    last = doc["months"][17]  # 18 months after the base month: targets at 10^(-1.5) = 0.0316 of today's price
    assert last["baseline"]["cost"] == base  # the baseline keeps list prices
    expected = base * (0.2 + 0.8 * 0.01 * 10**-1.5)
    assert last["scenarios"]["step-80-99"]["cost"] == pytest.approx(expected, rel=1e-12)
    assert doc["assumptions"]["scenarios"][0]["price_decline"]["annual_factor"] == 10.0


def test_dated_future_prices_apply_when_their_date_comes(make_log: MakeLog, cli_json: Json) -> None:
    # gemini-3.8-flash: $0.75/$3.75 per M until 2026-12-31, $1.5/$7.5 from 2027-01-01
    log = make_log(monthly([1.0, 1.0, 1.0], first=dt.date(2026, 9, 1), model="gemini-3.8-flash"))
    doc = cli_json("forecast", log, "--growth", "flat", "--months", "4")
    costs = {m["month"]: m["baseline"]["cost"] for m in doc["months"]}
    base = doc["base_month_cost"]
    assert base == pytest.approx(0.75 + 0.375, abs=1e-12)
    assert costs["2026-12"] == base
    assert costs["2027-01"] == pytest.approx(2 * base, rel=1e-12)
    assert costs["2027-02"] == costs["2027-01"]
    (change,) = doc["assumptions"]["list_prices"]["changes"]
    assert change["month"] == "2027-01" and change["change_pct"] == pytest.approx(100.0)


def test_switching_cost_gives_a_payback_month(
    make_log: MakeLog, cli_json: Json, scenario_file: Callable[[str], Path]
) -> None:
    # $7.00/month baseline, $1.456 with the move: saves $5.544 a month; $20 is covered in month 3 (4 × 5.544)
    text = STEP_8099 + "switching_cost = 20.0\n"
    doc = cli_json("forecast", make_log(monthly([7.0 / 3.5] * 3)), "-s", scenario_file(text), "--growth", "flat")
    (scenario,) = doc["scenarios"]
    assert scenario["switching_cost"] == 20.0
    assert scenario["payback_month_index"] == 3
    assert scenario["payback_month"] == doc["months"][3]["month"]
    assert scenario["payback"] == {"p10": "2026-07", "p50": "2026-07", "p90": "2026-07"}


def test_bands_are_ordered_and_the_seed_reproduces_them(
    make_log: MakeLog, cli: Cli, scenario_file: Callable[[str], Path]
) -> None:
    log = make_log(monthly([1.0, 1.2, 1.3, 1.6, 1.7, 2.1]))
    text = STEP_8099.replace(
        '{ shape = "step", start_month = 0 }', '{ shape = "linear", start_month = 1, end_month = 7 }'
    )
    args = ["forecast", log, "-s", scenario_file(text), "-p", "armstrong-80-99", "--format", "json"]
    args += ["--price-decline", "epoch-low..epoch-high", "--draws", "400"]
    first = cli(*args, "--seed", "11")
    again = cli(*args, "--seed", "11")
    other = cli(*args, "--seed", "12")
    assert first.exit_code == 0, first.stderr
    assert first.stdout == again.stdout
    assert first.stdout != other.stdout
    doc = json.loads(first.stdout)
    assert doc["assumptions"]["growth"]["source"] == "fit"
    for month in doc["months"]:
        series = [month["baseline"], *month["scenarios"].values()]
        for s in series:
            assert s["p10"] <= s["p50"] <= s["p90"]
            assert s["p10"] < s["p90"]  # the fit, the decline range and the ramp timing are all uncertain
        for s in month["scenarios"].values():
            assert s["savings_p10"] <= s["savings_p50"] <= s["savings_p90"]
            assert s["cumulative_savings_p10"] <= s["cumulative_savings_p50"] <= s["cumulative_savings_p90"]
    assert doc["baseline"]["p10"] <= doc["baseline"]["p50"] <= doc["baseline"]["p90"]


def test_growth_range_spreads_the_bands_around_its_geometric_mean(make_log: MakeLog, cli_json: Json) -> None:
    doc = cli_json("forecast", make_log(monthly([1.0, 1.0, 1.0])), "--growth", "1.3x..2.5x/yr", "--months", "12")
    last = doc["months"][11]["baseline"]
    base = doc["base_month_cost"]
    assert last["cost"] == pytest.approx(base * (1.3 * 2.5) ** 0.5, rel=1e-12)
    assert base * 1.3 <= last["p10"] < last["p50"] < last["p90"] <= base * 2.5
    assert last["p50"] == pytest.approx(last["cost"], rel=0.05)


def test_machine_formats_carry_every_month_and_band(make_log: MakeLog, cli: Cli, tmp_path: Path) -> None:
    import polars as pl

    log = make_log(monthly([1.0, 1.1, 1.2, 1.3]))
    out = tmp_path / "f.parquet"
    result = cli("forecast", log, "-p", "armstrong-80-99", "--months", "12", "--format", "parquet", "-o", out)
    assert result.exit_code == 0, result.stderr
    frame = pl.read_parquet(out)
    assert frame.height == 12 * 2
    assert set(frame["series"]) == {"baseline", "armstrong-80-99"}
    for column in ("month", "month_index", "cost", "p10", "p50", "p90", "savings_p90", "cumulative_savings_p10"):
        assert column in frame.columns
    csv = cli("forecast", log, "--months", "12", "--format", "csv")
    header = "month,month_index,series,cost,p10,p50,p90,savings,savings_p10,savings_p50,savings_p90,"
    header += "cumulative_savings,cumulative_savings_p10,cumulative_savings_p50,cumulative_savings_p90,adoption"
    assert csv.stdout.splitlines()[0] == header  # the same columns with or without scenarios
    assert list(frame.columns) == header.split(",")
    assert len(csv.stdout.splitlines()) == 13


def test_json_has_the_contract_fields(make_log: MakeLog, cli_json: Json) -> None:
    doc = cli_json("forecast", make_log(monthly([1.0, 1.1, 1.2])), "-p", "armstrong-80-99")
    for key in ("schema_version", "currency", "baseline", "scenarios", "months", "assumptions", "history"):
        assert key in doc
    for key in ("rows_read", "rows_priced", "unpriced", "pricing", "definitions", "backtest"):
        assert key in doc
    assert doc["currency"] == "USD" and doc["command"] == "forecast"
    assert doc["horizon_months"] == 18  # the preset's horizon
    assert "month_index 0 is the first forecast month" in doc["definitions"]["month_index"]
    assert doc["scenarios"][0]["total_cost"] + doc["scenarios"][0]["savings"] == pytest.approx(
        doc["baseline"]["total_cost"]
    )


def test_table_view_shows_the_chart_and_the_bands(make_log: MakeLog, cli: Cli) -> None:
    result = cli("forecast", make_log(monthly([1.0, 1.2, 1.4, 1.5])), "-p", "armstrong-80-99", "--backtest", "1")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "● baseline" in out and "◆ armstrong-80-99" in out and "P10–P90" in out
    assert "┤" in out and "2026-05" in out  # the y axis and the first forecast month
    assert "Backtest MAPE" in out
    assert "\x1b[" not in out


def test_too_little_history_assumes_flat_growth_with_a_warning(make_log: MakeLog, cli: Cli) -> None:
    result = cli("forecast", make_log(monthly([1.0, 2.0])), "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["assumptions"]["growth"]["annual_factor"] == 1.0
    assert "growth is taken as flat" in result.stderr


def test_a_partial_last_month_is_left_out(make_log: MakeLog, cli: Cli) -> None:
    # dense logs: every month has calls on its first and last day, except November, which stops on the 12th
    rows = []
    for month in (8, 9, 10):
        first = dt.datetime(2026, month, 1, 9, tzinfo=UTC)
        last = dt.datetime(2026, month + 1, 1, 9, tzinfo=UTC) - dt.timedelta(days=1)
        rows += [{"timestamp": t, "input_tokens": 1_000_000} for t in (first, last)]
    rows.append({"timestamp": dt.datetime(2026, 11, 12, tzinfo=UTC), "input_tokens": 1_000_000})
    log = make_log(rows)
    result = cli("forecast", log, "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["base_month"] == "2026-10" and doc["first_month"] == "2026-11"
    assert "2026-11 is not a full month" in result.stderr
    assert [m["full"] for m in doc["history"]] == [True, True, True, False]
    # --until says where the logs end: November counts as full
    doc = json.loads(cli("forecast", log, "--until", "2026-12-01", "--format", "json").stdout)
    assert doc["base_month"] == "2026-11"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--growth", "fast"], "--growth 'fast'"),
        (["--price-decline", "cheap"], "--price-decline 'cheap'"),
        (["--months", "0"], "--months 0"),
        (["--draws", "0"], "--draws 0"),
        (["--ramp-jitter", "-1"], "--ramp-jitter"),
        (["--backtest", "5"], "--backtest 5: the logs have 3 full month(s)"),
        (["--plot", "chart.pdf"], ".png or .svg"),
    ],
)
def test_bad_options_are_usage_errors(make_log: MakeLog, cli: Cli, args: list[str], message: str) -> None:
    result = cli("forecast", make_log(monthly([1.0, 1.0, 1.0])), *args)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_scenarios_that_disagree_on_growth_need_a_choice(
    make_log: MakeLog, cli: Cli, scenario_file: Callable[[str], Path]
) -> None:
    a = scenario_file(STEP_8099.replace("[forecast]", '[forecast]\ngrowth = "2x/yr"'), "a.toml")
    b = scenario_file(
        STEP_8099.replace("step-80-99", "b").replace("[forecast]", '[forecast]\ngrowth = "flat"'), "b.toml"
    )
    log = make_log(monthly([1.0, 1.0, 1.0]))
    result = cli("forecast", log, "-s", a, "-s", b)
    assert result.exit_code == 2 and "pick one with --growth" in result.stderr
    doc = json.loads(cli("forecast", log, "-s", a, "--format", "json").stdout)
    assert doc["assumptions"]["growth"]["annual_factor"] == 2.0
    assert doc["assumptions"]["growth"]["source"] == "scenario step-80-99"


def test_a_bad_ramp_in_a_scenario_names_the_file(
    make_log: MakeLog, cli: Cli, scenario_file: Callable[[str], Path]
) -> None:
    path = scenario_file(STEP_8099.replace('shape = "step", start_month = 0', 'shape = "logistic"'))
    result = cli("forecast", make_log(monthly([1.0, 1.0, 1.0])), "-s", path)
    assert result.exit_code == 1
    assert f"{path}: forecast.ramp: a logistic ramp needs midpoint_month" in result.stderr


def test_a_fit_asked_for_without_history_is_a_usage_error(make_log: MakeLog, cli: Cli) -> None:
    result = cli("forecast", make_log(monthly([1.0, 1.0])), "--growth", "fit")
    assert result.exit_code == 2
    assert "--growth fit: 2 full month(s) of history; a growth fit needs 3" in result.stderr


def test_a_bad_growth_in_a_scenario_names_the_file(
    make_log: MakeLog, cli: Cli, scenario_file: Callable[[str], Path]
) -> None:
    path = scenario_file(STEP_8099.replace("[forecast]", '[forecast]\ngrowth = "lots"'))
    result = cli("forecast", make_log(monthly([1.0, 1.0, 1.0])), "-s", path)
    assert result.exit_code == 1
    assert f"{path}: forecast.growth 'lots'" in result.stderr


def test_a_scenario_that_moves_nothing_is_the_baseline_every_month(
    make_log: MakeLog, cli_json: Json, scenario_file: Callable[[str], Path]
) -> None:
    nothing = STEP_8099.replace("share = 0.8", "share = 0.0")
    doc = cli_json("forecast", make_log(monthly([1.0, 1.3, 1.5, 1.4])), "-s", scenario_file(nothing))
    for month in doc["months"]:
        scenario = month["scenarios"]["step-80-99"]
        assert scenario["cost"] == month["baseline"]["cost"]
        assert scenario["p10"] == month["baseline"]["p10"] and scenario["p90"] == month["baseline"]["p90"]
        assert scenario["cumulative_savings"] == 0.0


def test_a_month_ending_about_when_the_others_do_is_full(make_log: MakeLog, cli: Cli) -> None:
    # per-call logs whose last calls fall 1.5, 1.5 and 2 days before their months end: no month is cut short
    ends = [dt.datetime(2026, 8, 30, 12, tzinfo=UTC), dt.datetime(2026, 9, 29, 12, tzinfo=UTC)]
    ends.append(dt.datetime(2026, 10, 30, tzinfo=UTC))
    rows = [{"timestamp": t.replace(day=2), "input_tokens": 1_000_000} for t in ends]
    rows += [{"timestamp": t, "input_tokens": 1_000_000} for t in ends]
    result = cli("forecast", make_log(rows), "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["base_month"] == "2026-10"
    assert all(m["full"] for m in doc["history"])
    assert "not a full month" not in result.stderr
