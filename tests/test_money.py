"""Currency conversion and contract prices: totals exactly as computed by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

Cli = Callable[..., Result]
Json = Callable[..., dict[str, Any]]
MakeLog = Callable[..., Path]

# gpt-4o: $2.50 in, $10 out per MTok → 1M in + 100k out = $3.50
GPT = {"model": "gpt-4o", "input_tokens": 1_000_000, "output_tokens": 100_000}
# claude-sonnet-4-5: $3 in, $15 out (10 requests keep each prompt under the 200k tier) → $3 + $1.50 = $4.50
SONNET = {"provider": "anthropic", "model": "claude-sonnet-4-5", "input_tokens": 1_000_000, "output_tokens": 100_000,
          "requests": 10}  # fmt: skip


def contracts_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "contracts.toml"
    path.write_text('schema = "aicost.contracts/1"\nname = "ACME 2026"\n' + body)
    return path


def test_fx_rate_converts_every_amount(make_log: MakeLog, cli_json: Json) -> None:
    log = make_log([GPT, SONNET])
    usd = cli_json("report", log)
    assert usd["currency"] == "USD" and usd["total_cost"] == pytest.approx(8.0, rel=1e-12)
    eur = cli_json("report", log, "--currency", "EUR", "--fx-rate", "0.92")
    # $8.00 × 0.92 = 7.36 EUR; per row 3.50 × 0.92 = 3.22 and 4.50 × 0.92 = 4.14
    assert eur["currency"] == "EUR" and eur["money"]["fx_rate"] == 0.92
    assert eur["total_cost"] == pytest.approx(7.36, rel=1e-12)
    assert {r["model"]: r["cost"] for r in eur["rows"]} == {
        "gpt-4o": pytest.approx(3.22, rel=1e-12),
        "claude-sonnet-4-5": pytest.approx(4.14, rel=1e-12),
    }
    assert eur["totals"]["input_tokens"] == usd["totals"]["input_tokens"]  # tokens are not money


def test_twenty_percent_discount_and_fx_together(make_log: MakeLog, cli_json: Json, tmp_path: Path) -> None:
    log = make_log([GPT, SONNET])
    contracts = contracts_file(tmp_path, '[[rule]]\nprovider = "openai"\npercent_off = 20\n')
    doc = cli_json("report", log, "--contracts", contracts)
    # openai 20% off: 3.50 × 0.8 = 2.80; anthropic has no rule: 4.50 → 7.30 paid vs 8.00 list
    assert doc["total_cost"] == pytest.approx(7.30, rel=1e-12)
    assert doc["total_list_cost"] == pytest.approx(8.00, rel=1e-12)
    rows = {r["model"]: (r["cost"], r["list_cost"]) for r in doc["rows"]}
    assert rows["gpt-4o"] == (pytest.approx(2.80, rel=1e-12), pytest.approx(3.50, rel=1e-12))
    assert rows["claude-sonnet-4-5"] == (pytest.approx(4.50, rel=1e-12), pytest.approx(4.50, rel=1e-12))
    assert doc["money"]["contracts"]["rules"] == ["openai: 20% off"]
    both = cli_json("report", log, "--contracts", contracts, "--currency", "EUR", "--fx-rate", "0.92")
    # (2.80 + 4.50) × 0.92 = 6.716 EUR paid; 8.00 × 0.92 = 7.36 EUR list
    assert both["total_cost"] == pytest.approx(6.716, rel=1e-12)
    assert both["total_list_cost"] == pytest.approx(7.36, rel=1e-12)


def test_negotiated_rates_and_first_matching_rule(make_log: MakeLog, cli_json: Json, tmp_path: Path) -> None:
    log = make_log([GPT, SONNET, {**SONNET, "model": "claude-haiku-4-5"}])
    contracts = contracts_file(
        tmp_path,
        '[[rule]]\nname = "sonnet deal"\nmodel = "claude-sonnet-*"\nrates = { input = 2.4, output = 12.0 }\n'
        '[[rule]]\nprovider = "anthropic"\npercent_off = 10\n',
    )
    doc = cli_json("report", log, "--contracts", contracts)
    rows = {r["model"]: (r["cost"], r["list_cost"]) for r in doc["rows"]}
    # negotiated: 1M × $2.40 + 100k × $12 = 2.40 + 1.20 = 3.60 (list 4.50)
    assert rows["claude-sonnet-4-5"] == (pytest.approx(3.60, rel=1e-12), pytest.approx(4.50, rel=1e-12))
    # claude-haiku-4-5 ($1 in, $5 out): list 1.00 + 0.50 = 1.50, 10% off → 1.35
    assert rows["claude-haiku-4-5"] == (pytest.approx(1.35, rel=1e-12), pytest.approx(1.50, rel=1e-12))
    assert rows["gpt-4o"] == (pytest.approx(3.50, rel=1e-12), pytest.approx(3.50, rel=1e-12))


def test_simulate_converts_baseline_and_scenarios(make_log: MakeLog, cli_json: Json, tmp_path: Path) -> None:
    log = make_log([GPT, SONNET])
    args = ("simulate", log, "--share", "50%", "--cheaper", "90%")
    usd = cli_json(*args)
    eur = cli_json(*args, "--currency", "EUR", "--fx-rate", "0.92")
    assert eur["currency"] == "EUR"
    assert eur["baseline"]["total_cost"] == pytest.approx(usd["baseline"]["total_cost"] * 0.92, rel=1e-12)
    (s_usd,), (s_eur,) = usd["scenarios"], eur["scenarios"]
    # half of each model's requests at 10% of its price: 8.00 × (0.5 + 0.05) = 4.40 USD → 4.048 EUR
    assert s_usd["total_cost"] == pytest.approx(4.40, rel=1e-12)
    assert s_eur["total_cost"] == pytest.approx(4.048, rel=1e-12)
    assert s_eur["savings"] == pytest.approx(3.60 * 0.92, rel=1e-12)
    assert s_eur["savings_pct"] == pytest.approx(s_usd["savings_pct"], rel=1e-12)
    # a 20% openai discount lowers the baseline only: targets are new models at their list prices
    contracts = contracts_file(tmp_path, '[[rule]]\nprovider = "openai"\npercent_off = 20\n')
    paid = cli_json(*args, "--contracts", contracts)
    assert paid["baseline"]["total_cost"] == pytest.approx(7.30, rel=1e-12)
    assert paid["baseline"]["list_cost"] == pytest.approx(8.00, rel=1e-12)
    # kept half at contract prices (3.65) + moved half at 10% of list (0.40)
    assert paid["scenarios"][0]["total_cost"] == pytest.approx(3.65 + 0.40, rel=1e-12)


def test_tables_name_the_currency_and_show_list_beside_cost(make_log: MakeLog, cli: Cli, tmp_path: Path) -> None:
    log = make_log([GPT])
    contracts = contracts_file(tmp_path, '[[rule]]\nprovider = "openai"\npercent_off = 20\n')
    table = cli("report", log, "--currency", "eur", "--fx-rate", "0.92", "--contracts", contracts).stdout
    assert "Cost (EUR)" in table and "List (EUR)" in table and "Cost (USD)" not in table
    assert "3.22" in table and "2.58" in table and "converted at 1 USD = 0.92 EUR" in table
    sim = cli("simulate", log, "--share", "50%", "--cheaper", "90%", "--currency", "EUR", "--fx-rate", "0.92").stdout
    assert "Baseline (EUR)" in sim and "Savings (EUR)" in sim and "3.22 EUR" in sim
    md = cli("report", log, "--currency", "EUR", "--fx-rate", "0.92", "--format", "markdown").stdout
    assert "| cost (EUR) | list_cost (EUR) |" in md


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["--currency", "EUR"], 2, "currency EUR (from flag --currency) needs an FX rate"),
        (["--fx-rate", "0.92"], 2, "needs a non-USD currency"),
        (["--currency", "EURO", "--fx-rate", "1.1"], 2, "ISO 4217"),
        (["--currency", "EUR", "--fx-rate", "0"], 2, "positive number"),
        (["--currency", "EUR", "--fx-rate", "abc"], 2, "--fx-rate"),
        (["--contracts", "missing.toml"], 1, "missing.toml: cannot read contract file"),
    ],
)
def test_money_errors(make_log: MakeLog, cli: Cli, args: list[str], code: int, needle: str) -> None:
    result = cli("report", make_log([GPT]), *args)
    assert result.exit_code == code, result.stderr
    assert needle in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('[[rule]]\nprovider = "openai"\npercent_off = 120\n', "rule[0].percent_off 120: must be between 0 and 100"),
        ('[[rule]]\nprovider = "openai"\nprecent_off = 20\n', "unknown field `precent_off`"),
        ('[[rule]]\nmodel = "gpt-4o"\nrates = { inputs = 2.0 }\n', "unknown class 'inputs'"),
        ('[[rule]]\nprovider = "openai"\n', "give percent_off or rates"),
        ("[[rule]\n", "invalid TOML"),
    ],
)
def test_contract_file_errors_name_file_and_key(
    make_log: MakeLog, cli: Cli, tmp_path: Path, body: str, needle: str
) -> None:
    path = contracts_file(tmp_path, body)
    result = cli("report", make_log([GPT]), "--contracts", path)
    assert result.exit_code == 1
    assert str(path) in result.stderr and needle in result.stderr, result.stderr
    assert json.dumps(result.stderr).count("\\n") == 1  # one line
