"""Gates: the result is printed first, then exit 3 with one line on stderr saying which gate and by how much."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from aicost import gates
from aicost.errors import GateBreached, UsageError

Cli = Callable[..., Result]
MakeLog = Callable[..., Path]

CALL = {"model": "gpt-4o", "input_tokens": 1_000_000, "output_tokens": 100_000}  # $3.50


@pytest.mark.parametrize(("limit", "code"), [("6.5", 3), ("6.99", 3), ("7", 0), ("1,000", 0)])
def test_fail_over_breaches_only_above_the_limit(make_log: MakeLog, cli: Cli, limit: str, code: int) -> None:
    result = cli("report", make_log([CALL, CALL]), "--fail-over", limit, "--format", "json")
    assert result.exit_code == code, result.stderr
    assert json.loads(result.stdout)["total_cost"] == pytest.approx(7.0)  # printed either way
    if code:
        assert result.stderr == (
            f"Error: total cost $7.00 is over the limit ${float(limit):,.2f} (--fail-over) by "
            f"${7 - float(limit):,.2f}\n"
        )


def test_fail_over_is_in_the_output_currency_and_file_is_written(make_log: MakeLog, cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    # $7.00 × 0.92 = 6.44 EUR: over 6.40 EUR, under 6.50 EUR
    args = ("report", make_log([CALL, CALL]), "--currency", "EUR", "--fx-rate", "0.92", "-o", out)
    breached = cli(*args, "--fail-over", "6.40")
    assert breached.exit_code == 3 and "6.44 EUR is over the limit 6.40 EUR" in breached.stderr
    assert out.read_text().startswith("provider,model,")  # written before the gate
    assert cli(*args, "--fail-over", "6.50").exit_code == 0
    bad = cli(*args, "--fail-over", "lots")
    assert bad.exit_code == 2 and "--fail-over 'lots'" in bad.stderr


@pytest.mark.parametrize(("pct", "code"), [("46", 3), ("45", 0), ("45%", 0), ("-10", 0)])
def test_savings_gate_uses_the_best_scenario(make_log: MakeLog, cli: Cli, pct: str, code: int) -> None:
    # half the requests to a model 90% cheaper saves 45% of the baseline
    args = ("simulate", make_log([CALL, CALL]), "--share", "50%", "--cheaper", "90%", "--format", "json")
    result = cli(*args, "--fail-if-savings-below", pct)
    assert result.exit_code == code, result.stderr
    assert json.loads(result.stdout)["scenarios"][0]["savings_pct"] == pytest.approx(45.0)
    if code:
        assert result.stderr.count("\n") == 1
        assert "saves 45.00%, below --fail-if-savings-below 46%" in result.stderr


def test_several_presets_pass_when_any_reaches_the_floor(make_log: MakeLog, cli: Cli) -> None:
    log = make_log([CALL])
    both = ("simulate", log, "--preset", "armstrong-80-99", "--preset", "cache-50", "--fail-if-savings-below")
    assert cli(*both, "79", "-q").exit_code == 0  # armstrong-80-99 saves 79.2%
    result = cli(*both, "80", "-q")
    assert result.exit_code == 3 and "the best scenario, armstrong-80-99, saves 79.20%" in result.stderr


def test_gate_reasons_join_on_one_line() -> None:
    with pytest.raises(GateBreached) as caught:
        gates.enforce([None, "budget", None, "savings"])
    assert str(caught.value) == "budget; savings" and int(caught.value.exit_code) == 3
    gates.enforce([None])
    assert gates.over_budget(100.0, 99.5, "EUR", what="forecast total") == (
        "forecast total 100.00 EUR is over the limit 99.50 EUR (--fail-over) by 0.50 EUR"
    )
    with pytest.raises(UsageError):
        gates.parse_percent("120%")
