"""Reported costs stay out of computed cost; `report --reconcile` compares the two per model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from tests.formats_ref import FIXTURES, close, gp

Json = Callable[..., dict[str, Any]]
Cli = Callable[..., Result]


def test_reported_cost_is_never_added_to_computed_cost(cli_json: Json) -> None:
    # LiteLLM spend is LiteLLM's price: the total is aicost's own, whatever spend says
    doc = cli_json("report", FIXTURES / "litellm-spendlogs.jsonl")
    assert close(
        doc["total_cost"],
        gp("claude-sonnet-4-5-20250929", "anthropic", input=12, cache_read=30_000, cache_write=988, output=640)
        + gp("gpt-4o-mini", "openai", input=904, cache_read=4096, output=300)
        + gp("claude-haiku-4-5-20251001", "anthropic", input=200, cache_read=1000, cache_write=500, output=100),
    )
    assert "reconciliation" not in doc


def test_reconcile_flags_models_beyond_the_tolerance(cli_json: Json) -> None:
    doc = cli_json("report", FIXTURES / "litellm-spendlogs.jsonl", "--reconcile")
    rec = doc["reconciliation"]
    assert rec["tolerance"] == pytest.approx(0.02)
    rows = {r["model"]: r for r in rec["models"]}
    # the fixture's spend matches aicost for two models and not for gpt-4o-mini (0.0021 vs 0.0006228)
    assert rows["claude-sonnet-4-5-20250929"]["status"] == "ok"
    assert rows["claude-haiku-4-5-20251001"]["status"] == "ok"
    mini = rows["gpt-4o-mini"]
    assert mini["status"] == "differs"
    assert close(mini["computed_cost"], 0.0006228) and close(mini["reported_cost"], 0.0021)
    assert close(mini["difference"], 0.0006228 - 0.0021)
    assert close(mini["difference_pct"], (0.0006228 - 0.0021) / 0.0021)
    assert rec["flagged"] == 1
    assert any(w.startswith("reconcile: openai/gpt-4o-mini") for w in doc["warnings"])


def test_tolerance_option(cli_json: Json) -> None:
    doc = cli_json("report", FIXTURES / "litellm-spendlogs.jsonl", "--reconcile", "--tolerance", "0.8")
    assert doc["reconciliation"]["flagged"] == 0


def test_reconcile_table(cli: Cli) -> None:
    result = cli("report", FIXTURES / "openrouter-generations.jsonl", "--reconcile")
    assert result.exit_code == 0, result.stderr
    assert "Computed vs reported cost (tolerance 2.0%)" in result.stdout
    assert "DIFFERS" in result.stdout  # OpenRouter's total_cost in the fixture is not its list price


def test_reconcile_counts_only_rows_that_report_a_cost(cli_json: Json, tmp_path: Path) -> None:
    # a Langfuse export mixed with provider bodies that report nothing: only Langfuse rows compare
    doc = cli_json("report", FIXTURES / "langfuse-observations.json", FIXTURES / "anthropic-messages.jsonl",
                   "--reconcile")  # fmt: skip
    rows = {r["model"]: r for r in doc["reconciliation"]["models"]}
    assert set(rows) == {"gpt-4o", "claude-sonnet-4-5-20250929", "text-embedding-3-small"}
    assert rows["claude-sonnet-4-5-20250929"]["requests"] == 1
    assert rows["gpt-4o"]["status"] == "ok"  # Langfuse priced it like aicost: 0.005615
